"""Sweeps on a real SLURM cluster (launcher=slurm): a sweep with a failed job, refused requests, a requeued and a
signalled job that resume, a cancelled job, and a 2-task DDP job.

They need a cluster that answers `sinfo` (CI brings a single-node one up with `.ci/slurm-cluster.sh up`) and
a shared filesystem between the submitting process and the node, and are skipped otherwise.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers.commands import REPO, assert_one_line_error, run_module
from tests.helpers.ddp import CATEGORIES, DDP_ARGS, assert_two_process_run, ddp_layout
from tests.helpers.layouts import make_layout
from tests.helpers.sweeps import TINY as SWEEP_TINY


def cluster_answers() -> bool:
    if shutil.which("sinfo") is None:
        return False
    try:
        state = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True, timeout=10)
    except subprocess.TimeoutExpired:
        return False
    return state.returncode == 0 and state.stdout.strip().startswith(("idle", "mix", "alloc"))


pytestmark = [
    pytest.mark.slurm,
    pytest.mark.slow,
    pytest.mark.skipif(
        not cluster_answers(),
        reason="no SLURM cluster answers `sinfo` with an idle node (as root on Debian: .ci/slurm-cluster.sh up)",
    ),
]

TINY = [
    *SWEEP_TINY,  # tiny data, test_resnet, one epoch, no logger, checkpoints only
    "launcher=slurm",
    f"data.categories=[{','.join(CATEGORIES)}]",
    "data.train_per_class=6",
]
BATCH = 8  # data.batch_size of conf/data/tiny.yaml


def slurm_sweep(outputs: Path, root: Path, name: str, *extra: str, timeout: int = 600):
    return run_module(
        "fakeid.train",
        "-m",
        *TINY,
        f"data.root={root}",
        f"paths.outputs={outputs}",
        f"experiment_name={name}",
        *extra,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    # 12 per class: at n = 1 cat gives its training quota and reserves 4 for validation (data=tiny)
    return make_layout(tmp_path_factory.mktemp("slurm") / "data", categories=CATEGORIES, train_per_class=12)


def run_dirs(sweep_dir: Path) -> list[Path]:
    return sorted(p.parent for p in sweep_dir.glob("*/.hydra"))


def test_sweep_with_a_failed_job_exits_1_and_lists_it(root, tmp_path):
    """Three jobs: two train, one asks for more categories than exist and fails inside Python."""
    done = slurm_sweep(tmp_path, root, "grid", "data.num_categories=1,2,3")
    assert done.returncode == 1, done.stderr[-3000:]
    sweep_dir = tmp_path / "sweeps" / "grid"
    results = {d: json.loads((d / "metrics.json").read_text()) for d in run_dirs(sweep_dir)}
    assert sorted(r["status"] for r in results.values()) == ["failed", "ok", "ok"]
    assert sorted(r["hparams"]["data.num_categories"] for r in results.values() if r["status"] == "ok") == [1, 2]
    failed = next(d for d, r in results.items() if r["status"] == "failed")
    assert "1 of 3 jobs failed" in done.stderr
    assert f"{failed}: FakeidError: data.num_categories=3 is outside 1..2" in done.stderr
    assert str(failed / "error.log") in done.stderr and (failed / "error.log").is_file()
    assert len(list((sweep_dir / ".submitit").glob("*/*_log.out"))) == 3  # each job went through sbatch


@pytest.mark.parametrize(
    "request_, reason",
    [
        ("hydra.launcher.cpus_per_task=512", "More processors requested than permitted"),
        ("hydra.launcher.mem_gb=100000", "Memory specification can not be satisfied"),
        ("trainer=gpu", "Invalid generic resource (gres) specification"),
    ],
)
def test_a_request_the_cluster_cannot_satisfy_fails_at_once_in_one_line(root, tmp_path, request_, reason):
    started = time.monotonic()
    done = slurm_sweep(tmp_path, root, "refused", "data.num_categories=1,2", request_, timeout=120)
    line = assert_one_line_error(done, "^fakeid: error: the cluster refused the jobs:")
    assert reason in line
    assert time.monotonic() - started < 60


def job_id(sweep_dir: Path) -> str:
    folder = sweep_dir / ".submitit"
    jobs = [p.name for p in folder.iterdir() if p.is_dir()] if folder.is_dir() else []
    return jobs[0] if jobs else ""


def wait_for(condition, what: str, timeout: float = 240, poll: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(poll)
    raise AssertionError(f"timed out waiting for {what}")


def job_info(job: str) -> dict[str, str]:
    """The `Name=value` fields of `scontrol show job` (empty when the job is not shown)."""
    shown = subprocess.run(["scontrol", "show", "job", job], capture_output=True, text=True).stdout
    return dict(field.split("=", 1) for field in shown.split() if "=" in field)


def restarts(job: str) -> int:
    return int(job_info(job)["Restarts"])


def background_sweep(outputs: Path, root: Path, name: str, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "HYDRA_FULL_ERROR": "0"}
    args = [
        sys.executable,
        "-m",
        "fakeid.train",
        "-m",
        *TINY,
        f"data.root={root}",
        f"paths.outputs={outputs}",
        f"experiment_name={name}",
        "data.num_categories=2",
        *extra,
    ]
    return subprocess.Popen(args, cwd=REPO, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def job_logs(sweep_dir: Path, job: str) -> str:
    # the job's stdout and stderr (every task's), appended to by every start of the job (--open-mode=append);
    # Lightning's lines come through the job's logging, on stdout
    return "".join(p.read_text() for p in (sweep_dir / ".submitit" / job).glob("*_log.*"))


RESTORED = "Restored all states from the checkpoint"


def wait_for_resumed_training(sweep_dir: Path, job: str, last: Path, starts: int) -> None:
    """Until start `starts` of the job has restored last.ckpt and written a new one itself. A last.ckpt written
    after the requeue is not enough: the old process can still finish an epoch while SLURM stops it, and a
    signal sent then reaches no one (the requeued job is pending), which made this test flaky under load."""

    def running_again() -> bool:  # one scontrol call per poll
        info = job_info(job)
        return (
            int(info["Restarts"]) == starts
            and info["JobState"] == "RUNNING"
            and job_logs(sweep_dir, job).count(RESTORED) == starts
        )

    wait_for(running_again, f"start {starts + 1} of the job restoring last.ckpt")
    restored = last.stat().st_mtime_ns
    wait_for(
        lambda: last.is_file() and last.stat().st_mtime_ns != restored, f"a checkpoint written by start {starts + 1}"
    )


def test_requeued_and_signalled_job_resumes_from_last_ckpt(root, tmp_path):
    """`scontrol requeue` after the first epoch, then USR2 (submitit's signal before the time limit) once the
    requeued job trains again: each time the job comes back, resumes from checkpoints/last.ckpt and ends `ok`."""
    epochs = 60  # long enough that the signal lands while the job still trains
    sweep = background_sweep(
        tmp_path,
        root,
        "requeue",
        f"trainer.max_epochs={epochs}",
        "callbacks=default",
        "~callbacks.progress_bar",
        "trainer.enable_progress_bar=false",
        "hydra.launcher.timeout_min=10",
    )
    sweep_dir = tmp_path / "sweeps" / "requeue"
    try:
        last = wait_for(lambda: next(iter(sweep_dir.glob("*/checkpoints/last.ckpt")), None), "the first last.ckpt")
        job = job_id(sweep_dir)
        subprocess.run(["scontrol", "requeue", job], check=True)
        wait_for_resumed_training(sweep_dir, job, last, starts=1)
        subprocess.run(["scancel", "--signal=USR2", job], check=True)
        wait_for(lambda: restarts(job) == 2, "submitit's requeue after USR2")
        wait_for_resumed_training(sweep_dir, job, last, starts=2)
        out, err = sweep.communicate(timeout=420)
    finally:
        sweep.kill()
    assert sweep.returncode == 0, err[-3000:]
    run_dir = last.parent.parent
    result = json.loads((run_dir / "metrics.json").read_text())
    assert result["status"] == "ok" and result["epochs_trained"] == epochs
    assert result.get("resumed_from_step", 0) > 0
    logs = job_logs(sweep_dir, job)
    assert "Caught signal SIGUSR2" in logs and logs.count(RESTORED) == 2


def test_cancelled_job_is_reported_failed_without_hanging(root, tmp_path):
    sweep = background_sweep(tmp_path, root, "cancel", "trainer.max_epochs=200")
    sweep_dir = tmp_path / "sweeps" / "cancel"
    try:
        job = wait_for(lambda: job_id(sweep_dir), "the job's submitit folder")
        wait_for(lambda: next(iter(sweep_dir.glob("*/.hydra")), None), "the job to start")
        subprocess.run(["scancel", job], check=True)
        cancelled = time.monotonic()
        out, err = sweep.communicate(timeout=240)
    finally:
        sweep.kill()
    assert sweep.returncode == 1, err[-3000:]
    assert time.monotonic() - cancelled < 240
    assert "1 of 1 jobs failed" in err and "CANCELLED" in err, err[-3000:]


def test_ddp_as_one_two_task_job(tmp_path):
    root = ddp_layout(tmp_path)
    done = run_module(
        "fakeid.train",
        "-m",
        *DDP_ARGS,
        "launcher=slurm",
        f"data.root={root}",
        f"paths.outputs={tmp_path / 'outputs'}",
        "experiment_name=ddp",
    )
    assert done.returncode == 0, done.stderr[-3000:]
    sweep_dir = tmp_path / "outputs" / "sweeps" / "ddp"
    [run_dir] = run_dirs(sweep_dir)
    assert_two_process_run(run_dir, root)
    logs = job_logs(sweep_dir, job_id(sweep_dir))
    assert "MEMBER: 2/2" in logs  # the second process is SLURM's second task, not a re-launch
    assert len(list((sweep_dir / ".submitit").glob("*/*_log.out"))) == 2  # one log per task
