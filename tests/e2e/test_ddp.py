"""trainer=ddp_cpu: one run as 2 CPU processes (gloo) on this machine, through the real CLI.

`assert_two_process_run` is shared with tests/e2e/test_slurm.py, which runs the same thing as one 2-task job.
"""

from __future__ import annotations

import pytest

from tests.helpers.commands import run_module
from tests.helpers.ddp import DDP_ARGS, assert_two_process_run, ddp_layout


@pytest.mark.slow
def test_two_cpu_processes_train_one_run(tmp_path):
    root = ddp_layout(tmp_path)
    run_dir = tmp_path / "run"
    done = run_module(
        "fakeid.train",
        *DDP_ARGS,
        f"data.root={root}",
        f"paths.outputs={tmp_path / 'outputs'}",
        f"hydra.run.dir={run_dir}",
        in_process=False,  # Lightning starts rank 1 as a copy of this process's command line
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "MEMBER: 2/2" in done.stdout + done.stderr  # Lightning started the second process
    assert_two_process_run(run_dir, root)
