"""Shared fixtures: tiny image folders in the layout of docs/STUDY.md, made by the tests themselves.

The images come from fakeid.synth.quick, the one writer of plain labelled images (the bench uses it too).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fakeid.data.layout import CLASS_DIRS, PAPER_MIXING_ORDER
from fakeid.synth.quick import write_images

REPO = Path(__file__).resolve().parents[1]
MIXING_ORDER = list(PAPER_MIXING_ORDER)


def make_layout(
    root: Path,
    categories=MIXING_ORDER,
    train_per_class: int = 12,
    test_per_class: int = 4,
    size: int = 32,
    test_sets=("progan/sheep", "progan/cat", "stylegan2/horse"),
) -> Path:
    for index, category in enumerate(categories):
        for class_dir, fake in CLASS_DIRS.items():
            write_images(
                root / "train" / category / class_dir, train_per_class, size, bool(fake), seed=2 * index + fake
            )
    for index, name in enumerate(test_sets):
        for class_dir, fake in CLASS_DIRS.items():
            write_images(
                root / "test" / name / class_dir, test_per_class, size, bool(fake), seed=1000 + 2 * index + fake
            )
    return root


@pytest.fixture
def tiny_root(tmp_path: Path) -> Path:
    return make_layout(tmp_path / "data")


def run_module(module: str, *args: str, cwd: Path | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run `python -m module args...` as a user would, with the package's own interpreter."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "HYDRA_FULL_ERROR": "0"}
    return subprocess.run(
        [sys.executable, "-m", module, *args], cwd=cwd or REPO, env=env, text=True, capture_output=True, timeout=timeout
    )


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
    root = make_layout(base / "data")
    run_dir = base / "run"
    done = run_module(
        "fakeid.train",
        "data=tiny",
        "model.name=test_resnet",
        f"data.root={root}",
        "data.num_categories=3",
        "model.drop_rate=0.3",
        "trainer.max_epochs=1",
        "logger=none",
        "seed=0",
        f"paths.outputs={base / 'outputs'}",
        f"hydra.run.dir={run_dir}",
        "trainer.enable_progress_bar=false",
        "callbacks=checkpoint_only",
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return run_dir
