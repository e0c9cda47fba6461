"""Shared fixtures: tiny image folders in the layout of docs/study.md, made by the tests themselves.

The images come from fakeid.synth.quick, the one writer of plain labelled images (the bench uses it too).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import runpy
import subprocess
import sys
import traceback
import warnings
from pathlib import Path

import pytest

from fakeid.data.datamodule import CategoryMixDataModule
from fakeid.data.layout import CLASS_DIRS, PAPER_MIXING_ORDER
from fakeid.synth.quick import write_images
from tests.helpers.parity import ScoredRun

REPO = Path(__file__).resolve().parents[1]
MIXING_ORDER = list(PAPER_MIXING_ORDER)


def make_layout(
    root: Path,
    categories=MIXING_ORDER,
    train_per_class: int = 12,
    test_per_class: int = 4,
    size: int = 32,
    test_sets=("progan/sheep", "progan/cat", "stylegan2/horse"),
    test_size: int | None = None,
) -> Path:
    """Train and test folders of quick images; the test images are `test_size` px (default: `size`)."""
    for index, category in enumerate(categories):
        for class_dir, fake in CLASS_DIRS.items():
            write_images(
                root / "train" / category / class_dir, train_per_class, size, bool(fake), seed=2 * index + fake
            )
    for index, name in enumerate(test_sets):
        for class_dir, fake in CLASS_DIRS.items():
            write_images(
                root / "test" / name / class_dir,
                test_per_class,
                test_size or size,
                bool(fake),
                seed=1000 + 2 * index + fake,
            )
    return root


def make_datamodule(root: Path, **overrides) -> CategoryMixDataModule:
    """A CategoryMixDataModule on `root` with small test settings; `overrides` replace any of them."""
    settings = dict(
        root=str(root),
        num_categories=3,
        train_per_class=12,
        val_per_class=6,
        test_per_class=3,
        image_size=32,
        batch_size=4,
        num_workers=0,
        seed=0,
    )
    return CategoryMixDataModule(**{**settings, **overrides})


@pytest.fixture
def tiny_root(tmp_path: Path) -> Path:
    return make_layout(tmp_path / "data")


# FAKEID_TESTS_SUBPROCESS=1 runs every command of the tests in its own process, as a user would type it
SUBPROCESS_ONLY = os.environ.get("FAKEID_TESTS_SUBPROCESS") == "1"


def run_module(
    module: str, *args: str, cwd: Path | None = None, timeout: int = 600, in_process: bool = True
) -> subprocess.CompletedProcess:
    """Run `python -m module args...` as a user would: the module's `__main__` with that argv, its stdout,
    stderr and exit status captured. In this process by default (torch, Lightning and timm take 8-15 s to
    import on the 2-core CI machine, which dominated the suite's time); `in_process=False` starts a fresh
    interpreter, as tests that depend on process state (threads, signals) need."""
    if in_process and not SUBPROCESS_ONLY:
        return run_here(module, list(args), cwd or REPO)
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "HYDRA_FULL_ERROR": "0"}
    return subprocess.run(
        [sys.executable, "-m", module, *args], cwd=cwd or REPO, env=env, text=True, capture_output=True, timeout=timeout
    )


def run_here(module: str, args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """`python -m module args` inside this process, as runpy runs it for `-m`; what a fresh process would
    start without (argv, cwd, environment, warning filters, Hydra's global state) is set and put back."""
    from hydra.core.global_hydra import GlobalHydra

    out, err = io.StringIO(), io.StringIO()
    saved_argv, saved_cwd, saved_env = sys.argv[:], os.getcwd(), dict(os.environ)
    saved_handlers, saved_level = logging.root.handlers[:], logging.root.level
    code: int = 0
    GlobalHydra.instance().clear()
    os.environ["HYDRA_FULL_ERROR"] = "0"
    try:
        os.chdir(cwd)
        sys.argv = [module, *args]
        with warnings.catch_warnings(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            warnings.simplefilter("default")  # each warning once per run, as in a fresh process
            # runpy's note that the tests imported the module already: `-m` in a fresh process would not see it
            warnings.filterwarnings("ignore", "'fakeid.* found in sys.modules", RuntimeWarning)
            try:
                runpy.run_module(module, run_name="__main__", alter_sys=True)
            except SystemExit as stop:
                code = exit_status(stop, err)
            except BaseException:  # noqa: BLE001 - what an uncaught exception does to a process
                traceback.print_exc(file=err)
                code = 1
    finally:
        sys.argv = saved_argv
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        GlobalHydra.instance().clear()
        for handler in logging.root.handlers:  # Hydra's: they write into this run's streams and log files
            if handler not in saved_handlers:
                handler.close()
        logging.root.handlers[:] = saved_handlers
        logging.root.setLevel(saved_level)
    return subprocess.CompletedProcess([sys.executable, "-m", module, *args], code, out.getvalue(), err.getvalue())


def exit_status(stop: SystemExit, err: io.StringIO) -> int:
    """The status `sys.exit(code)` gives a process: None is 0, an int itself, anything else printed and 1."""
    if stop.code is None:
        return 0
    if isinstance(stop.code, int):
        return stop.code
    print(stop.code, file=err)
    return 1


def assert_one_line_error(done: subprocess.CompletedProcess, pattern: str, code: int = 2) -> str:
    """The project's rule for bad input: exit `code`, no traceback, and stderr is exactly one line
    `fakeid: error: ...` matching `pattern` (a regular expression); returns that line."""
    lines = done.stderr.strip().splitlines()
    assert done.returncode == code, f"exit {done.returncode}: {done.stderr[-2000:]}"
    assert "Traceback" not in done.stderr and len(lines) == 1, done.stderr[-2000:]
    assert lines[0].startswith("fakeid: error: ") and re.search(pattern, lines[0]), lines[0]
    return lines[0]


def train_tiny_run(base: Path, root: Path, *overrides: str) -> Path:
    """A 3-category `test_resnet` run on `root` through the real CLI, into `base / "run"` (the shared detectors)."""
    run_dir = base / "run"
    done = run_module(
        "fakeid.train",
        "data=tiny",
        "model.name=test_resnet",
        f"data.root={root}",
        "data.num_categories=3",
        *overrides,
        "logger=none",
        "seed=0",
        f"paths.outputs={base / 'outputs'}",
        f"hydra.run.dir={run_dir}",
        "trainer.enable_progress_bar=false",
        "callbacks=checkpoint_only",
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return run_dir


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory) -> Path:
    """One tiny training run shared by every test that needs a trained detector (eval, predict, export).

    Trained once per session through the real CLI: 3 categories, 1 epoch at 32 px, dropout 0.3 (so that a
    swept model key is seen reaching metrics.json), with timm's tiny `test_resnet` backbone (0.4 M parameters:
    the commands under test load it many times; the study's Xception trains in test_train_cli and
    test_reliability). Tests must not modify its folder; copy it first. Tests that use it are slow (the first
    one trains).
    """
    base = tmp_path_factory.mktemp("trained")
    return train_tiny_run(base, make_layout(base / "data"), "model.drop_rate=0.3", "trainer.max_epochs=1")


# test images of the discriminating run: larger than its 32 px input, so that the centre crop has room to be
# wrong by a pixel ((41 - 32) / 2 = 4.5: a crop rounding up instead of down is one pixel off)
DISCRIMINATING_TEST_SIZE = 41


@pytest.fixture(scope="session")
def discriminating_run(tmp_path_factory) -> ScoredRun:
    """The detector of every numeric-agreement test (eval vs training, predict vs training, exports, tiles, cache).

    `trained_run` (one epoch) scores its test images between 0.477 and 0.509 and random noise within 0.013 of
    each other: a wrong preprocessing moves its scores by hundredths at most, and its 32 px test images leave a
    centre crop no room to be off by a pixel. This run trains timm's `test_resnet` through the real CLI for 2
    epochs at lr 0.01 on the same quick images, enough to learn their fakes' period-2 checkerboard but not to
    saturate: its test scores spread over most of [0, 1] (asserted by `ScoredRun.of`; 0.036..0.874, std 0.33),
    and they depend on colour, on crop position (the checkerboard's phase) and on normalisation, which
    tests/test_parity_guard.py measures. About 2 s of training (all figures: 2-core Intel Xeon sandbox,
    2026-12-03). Tests must not modify its folders (run and data).
    """
    base = tmp_path_factory.mktemp("discriminating")
    root = make_layout(base / "data", test_size=DISCRIMINATING_TEST_SIZE)
    return ScoredRun.of(train_tiny_run(base, root, "trainer.max_epochs=2", "model.lr=0.01"))
