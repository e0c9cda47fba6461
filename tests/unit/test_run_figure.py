"""sweeps/run_figure.sh's three modes, with a stand-in interpreter (PY) that records each command and fails the
sweep when told: the whole recipe runs sweep, collect, plot; `--plot-only` skips the sweep; `--sweep-only`
(`make demo`, which collects and plots both sweeps afterwards, side by side) stops after a sweep that finished,
and still collects and plots after one that failed, so its failures are listed, then fails."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers.commands import run_script


@pytest.fixture
def fake_python(tmp_path: Path) -> Path:
    """An interpreter that appends `-m MODULE` to calls.txt, and exits 1 for fakeid.train when FAIL_SWEEP is set."""
    script = tmp_path / "python"
    script.write_text(
        "#!/usr/bin/env bash\n"
        f'echo "$2" >> {tmp_path / "calls.txt"}\n'
        "if [[ $2 == fakeid.train && -n ${FAIL_SWEEP:-} ]]; then exit 1; fi\n"
    )
    script.chmod(0o755)
    return script


def modules(fake_python: Path, *args: str, fail: bool = False) -> tuple[int, list[str]]:
    env = {"PATH": os.environ["PATH"], "PY": str(fake_python), "FAKEID_OUTPUTS": str(fake_python.parent / "out")}
    if fail:
        env["FAIL_SWEEP"] = "1"
    done = run_script("sweeps/run_figure.sh", "fig2", "demo_dropout", *args, "seed=0", env=env, timeout=60)
    calls = fake_python.parent / "calls.txt"
    return done.returncode, calls.read_text().split() if calls.is_file() else []


@pytest.mark.parametrize(
    "args, fail, expected_status, expected",
    [
        ((), False, 0, ["fakeid.train", "fakeid.collect", "fakeid.figures"]),
        ((), True, 1, ["fakeid.train", "fakeid.collect", "fakeid.figures"]),
        (("--plot-only",), False, 0, ["fakeid.collect", "fakeid.figures"]),
        (("--sweep-only",), False, 0, ["fakeid.train"]),
        (("--sweep-only",), True, 1, ["fakeid.train", "fakeid.collect", "fakeid.figures"]),
    ],
)
def test_each_mode_runs_its_steps(fake_python: Path, args, fail, expected_status, expected):
    assert modules(fake_python, *args, fail=fail) == (expected_status, expected)
