"""A launcher that cannot submit is one line (issue 31): `launcher=slurm` on a machine without SLURM's
commands ended in submitit's traceback. Nothing is submitted here: `sbatch` is missing from PATH in both
cases, so these run on any machine (test_slurm.py needs a cluster)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.commands import assert_one_line_error, run_module
from tests.helpers.layouts import make_layout
from tests.helpers.sweeps import TINY as SWEEP_TINY


@pytest.mark.parametrize("present", [(), ("srun",)], ids=["no-slurm", "srun-without-sbatch"])
def test_slurm_without_its_commands_is_one_line(tmp_path: Path, monkeypatch, present):
    """submitit checks for `srun` when the executor is made (a RuntimeError) and runs `sbatch` when the jobs
    are submitted (an OSError): both are refused in one line naming what is missing, before any job."""
    path = tmp_path / "bin"
    path.mkdir()
    for command in present:
        (path / command).write_text("#!/bin/sh\nexit 0\n")
        (path / command).chmod(0o755)
    monkeypatch.setenv("PATH", str(path))
    root = make_layout(tmp_path / "data")
    done = run_module(
        "fakeid.train",
        "-m",
        *SWEEP_TINY,
        "launcher=slurm",
        f"data.root={root}",
        "data.num_categories=1,2",
        f"paths.outputs={tmp_path / 'outputs'}",
        "experiment_name=nowhere",
        cwd=tmp_path,
    )
    missing = "sbatch" if present else "srun and sbatch"
    assert_one_line_error(done, rf"launcher=slurm could not submit the jobs: SLURM's {missing} not on PATH")
    assert not list((tmp_path / "outputs").rglob("metrics.json"))
