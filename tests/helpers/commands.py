"""Running fakeid's commands as a user would, and the project's rule for what a bad input prints."""

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

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "notebooks" / "analysis.ipynb"

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


def run_script(script: str, *args: str, env: dict[str, str], timeout: int = 1200) -> subprocess.CompletedProcess:
    """A shell recipe of sweeps/ (`script` relative to the repository) as `make` runs it: its own process, the
    repository as its folder, `env` as its whole environment, output captured."""
    return subprocess.run([script, *args], cwd=REPO, env=env, text=True, capture_output=True, timeout=timeout)


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


def assert_one_line_error(
    done: subprocess.CompletedProcess, pattern: str, code: int = 2, preceded_by: str | None = None
) -> str:
    """The project's rule for bad input: exit `code`, no traceback, and stderr is exactly one line
    `fakeid: error: ...` matching `pattern` (a regular expression); returns that line. The one home of this
    rule: a test that tolerates more says what, rather than checking it by hand. `preceded_by`, for a command
    that legitimately prints before it fails (a sweep's launcher), is a regular expression each earlier line
    must match in full; the error is still the last line and the only `fakeid: error:` one."""
    lines = done.stderr.strip().splitlines()
    assert done.returncode == code, f"exit {done.returncode}: {done.stderr[-2000:]}"
    assert "Traceback" not in done.stderr + done.stdout and lines, done.stderr[-2000:]
    *before, line = lines
    if preceded_by is None:
        assert not before, done.stderr[-2000:]
    else:
        unexpected = [x for x in before if x.startswith("fakeid: error") or not re.fullmatch(preceded_by, x)]
        assert not unexpected, f"lines other than {preceded_by!r}: {unexpected[:5]}"
    assert line.startswith("fakeid: error: ") and re.search(pattern, line), line
    return line


def exited(stop: pytest.ExceptionInfo[SystemExit], capsys: pytest.CaptureFixture[str]) -> subprocess.CompletedProcess:
    """A command's `main` that a unit test called in this process and saw exit (`stop`), with what it printed
    so far, in the shape run_module returns: so assert_one_line_error checks it too."""
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(["main"], stop.value.code, out, err)


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
