"""Failed jobs, said one way by everything that lists them: the end of a training sweep (`fakeid.runs.sweep_status`),
the end of an evaluation grid (`fakeid.evaluation.runner`), fakeid.collect's completeness report
(`fakeid.analysis.collect.Completeness`) and the report page built from it (`fakeid.reporting.site`).

A failed job is its folder, the one-line error its metrics.json records, and where to read more: a file that
exists (error.log's traceback, else metrics.json's error), or, when the job wrote nothing, the line it printed
when it failed. A folder without metrics.json failed too: its job was killed, cancelled or is still running.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fakeid.runs.files import ERROR_LOG, METRICS_FILE
from fakeid.runs.record import RunRecord, given, read_record

NO_ERROR = "(no error recorded)"
NO_METRICS = "no metrics.json: the job was killed, cancelled or is still running"
NOTHING_RECORDED = "nothing recorded in the folder: the error was printed above"


@dataclass
class FailedJob:
    run_dir: str | Path | None  # as its listing names it (absolute, or relative to its sweep); None: no folder
    error: str | None = None  # the one-line error recorded; None when none was
    where: str = ""  # where to read more (`where_to_read`); empty: nothing to point at
    point: dict[str, Any] = field(default_factory=dict)  # its grid point, where the listing knows the grid

    @property
    def reason(self) -> str:
        """The error's first line (fakeid records one line; a metrics.json from elsewhere may hold more)."""
        lines = str(self.error or "").strip().splitlines()
        return lines[0] if lines else NO_ERROR

    def line(self) -> str:
        """`  RUN_DIR: ERROR (WHERE)`, one line of a listing."""
        where = f" ({self.where})" if self.where else ""
        return f"  {self.run_dir}: {self.reason}{where}" if self.run_dir is not None else f"  {self.reason}{where}"


def where_to_read(run_dir: Path) -> str:
    """Where the reason of a failed job can be read: a file that exists, else the line printed when it failed."""
    for name, what in ((ERROR_LOG, "traceback"), (METRICS_FILE, "error")):
        if (run_dir / name).is_file():
            return f"{what} in {run_dir / name}"
    return NOTHING_RECORDED


def recorded_failure(run_dir: Path, record: RunRecord) -> FailedJob | None:
    """The failure a job's record (its metrics.json) holds, or None when it says ok."""
    if given(record.status) == "ok":
        return None
    return FailedJob(run_dir, given(record.error), where_to_read(run_dir))


def folder_failure(run_dir: Path) -> FailedJob | None:
    """The failure of a job folder as its metrics.json says (none there: a failure too), or None when ok."""
    record = read_record(run_dir)
    if record is None:
        return FailedJob(run_dir, NO_METRICS)
    return recorded_failure(run_dir, record)


def point_text(point: Mapping[str, Any]) -> str:
    """A grid point as the command line would set it: `data.num_categories=3 seed=1`."""
    return " ".join(f"{key}={value}" for key, value in point.items())


def listing(header: str, failed: Sequence[FailedJob]) -> str:
    """The header line, then one line per failed job."""
    return "\n".join([header, *(job.line() for job in failed)])
