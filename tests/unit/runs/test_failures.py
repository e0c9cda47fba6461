"""Failed jobs, one way for every listing: a sweep's end, an evaluation grid's end, collect and the report."""

from __future__ import annotations

import json
from pathlib import Path

from fakeid.runs.failures import (
    NO_ERROR,
    NO_METRICS,
    NOTHING_RECORDED,
    FailedJob,
    folder_failure,
    listing,
    point_text,
    where_to_read,
)
from fakeid.runs.sweep_status import report


def job_folder(path: Path, metrics: dict | None = None, traceback: bool = False) -> Path:
    path.mkdir(parents=True)
    if metrics is not None:
        (path / "metrics.json").write_text(json.dumps(metrics))
    if traceback:
        (path / "error.log").write_text("Traceback ...\n")
    return path


def test_the_pointer_names_a_file_that_exists(tmp_path):
    assert where_to_read(job_folder(tmp_path / "nothing")) == NOTHING_RECORDED
    recorded = job_folder(tmp_path / "recorded", {"status": "failed"})
    assert where_to_read(recorded) == f"error in {recorded / 'metrics.json'}"
    both = job_folder(tmp_path / "both", {"status": "failed"}, traceback=True)
    assert where_to_read(both) == f"traceback in {both / 'error.log'}"


def test_a_folder_is_ok_failed_or_without_a_record(tmp_path):
    assert folder_failure(job_folder(tmp_path / "ok", {"status": "ok"})) is None
    assert folder_failure(job_folder(tmp_path / "killed")) == FailedJob(tmp_path / "killed", NO_METRICS)
    failed = job_folder(tmp_path / "failed", {"status": "failed", "error": "ValueError: x"}, traceback=True)
    assert folder_failure(failed).line() == f"  {failed}: ValueError: x (traceback in {failed / 'error.log'})"
    # no error recorded: said so, not `None`
    assert folder_failure(job_folder(tmp_path / "bare", {"status": "failed"})).reason == NO_ERROR


def test_a_listing_is_its_header_then_a_line_per_job():
    jobs = [FailedJob("0", "RuntimeError: a\nmore", "traceback in 0/error.log"), FailedJob(None, "SLURM job 7: lost")]
    assert (
        listing("fakeid: 2 failed", jobs)
        == "fakeid: 2 failed\n  0: RuntimeError: a (traceback in 0/error.log)\n  SLURM job 7: lost"
    )
    assert point_text({"data.num_categories": 3, "seed": 1}) == "data.num_categories=3 seed=1"


def test_a_sweep_lists_its_failed_and_lost_jobs(tmp_path, capsys):
    ok = job_folder(tmp_path / "a", {"status": "ok"})
    failed = job_folder(tmp_path / "b", {"status": "failed", "error": "FakeidError: bad"}, traceback=True)
    lost = job_folder(tmp_path / "c")
    assert report(tmp_path, [ok], {}) == 0
    code = report(
        tmp_path, [ok, failed, lost], {lost: "SLURM job 3 (seed=1): CANCELLED", "job 4": "SLURM job 4: TIMEOUT"}
    )
    assert code == 1
    assert capsys.readouterr().err.splitlines() == [
        f"fakeid: sweep {tmp_path}: 3 of 4 jobs failed",
        f"  {failed}: FakeidError: bad (traceback in {failed / 'error.log'})",
        f"  {lost}: SLURM job 3 (seed=1): CANCELLED",
        "  SLURM job 4: TIMEOUT",
    ]
