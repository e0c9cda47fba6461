"""How a sweep's (or an evaluation folder's) jobs compare with its grid: missing, failed, corrupt, newer."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fakeid.analysis.collect.columns import CORRUPT, NEWER
from fakeid.analysis.collect.grid import expected_grid
from fakeid.analysis.collect.loading import is_eval_folder, read_eval_grid
from fakeid.runs.failures import FailedJob, point_text
from fakeid.runs.files import MULTIRUN_FILE


def _comparable(value: Any) -> Any:
    """A value that compares equal across sources (hparams vs override strings, 3 vs 3.0, float noise)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return round(float(value), 9)
    if isinstance(value, (list, tuple)):
        return tuple(_comparable(item) for item in value)
    return str(value)


@dataclass
class Completeness:
    """How a sweep's jobs compare with its grid. `grid_size` is None when there is no multirun.yaml."""

    sweep: str
    grid_size: int | None
    n_jobs: int  # metrics.json files found
    n_ok: int
    failed: list[FailedJob] = field(default_factory=list)
    corrupt: list[FailedJob] = field(default_factory=list)  # ok records whose scores.csv fails its checks (CORRUPT)
    newer: list[FailedJob] = field(default_factory=list)  # records of a newer fakeid, not read (NEWER)
    missing: list[dict[str, Any]] = field(default_factory=list)  # grid points without any metrics.json
    without_ok: list[dict[str, Any]] = field(default_factory=list)  # grid points without an ok run
    unexpected: list[str] = field(default_factory=list)  # run dirs whose values match no grid point
    notes: list[str] = field(default_factory=list)  # what else the reader should know (evaluation folders)

    @property
    def complete(self) -> bool:
        return self.grid_size is not None and not self.without_ok

    def summary(self) -> str:
        grid = "grid unknown (no multirun.yaml)" if self.grid_size is None else f"grid of {self.grid_size} points"
        untrusted = (f", {len(self.corrupt)} corrupt (left out)" if self.corrupt else "") + (
            f", {len(self.newer)} of a newer fakeid (not read)" if self.newer else ""
        )
        lines = [
            f"{self.sweep}: {grid}; {self.n_jobs} jobs with metrics.json: {self.n_ok} ok, "
            f"{len(self.failed)} failed{untrusted}; {len(self.missing)} grid points missing (no metrics.json"
            f"{' this fakeid reads' if self.newer else ''})"
        ]
        lines += [f"  failed  {job.run_dir} {point_text(job.point)}: {job.reason}" for job in self.failed]
        lines += [f"  corrupt {job.run_dir} {point_text(job.point)}: {job.reason}" for job in self.corrupt]
        lines += [f"  newer   {job.run_dir}: {job.reason}" for job in self.newer]
        lines += [f"  missing {point_text(point)}" for point in self.missing]
        lines += [f"  not in the grid: {run_dir}" for run_dir in self.unexpected]
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)


def _untrusted(runs: Iterable[dict[str, Any]], point_of: Any) -> dict[str, list[FailedJob]]:
    """Completeness's `corrupt` and `newer` lists of `runs`."""
    runs = list(runs)
    jobs: dict[str, list[FailedJob]] = {CORRUPT: [], NEWER: []}
    for run in runs:
        if run["status"] in jobs:
            jobs[run["status"]].append(FailedJob(run["run_dir"], run.get("error"), point=point_of(run)))
    return {"corrupt": jobs[CORRUPT], "newer": jobs[NEWER]}


def check_completeness(sweep_dir: str | Path, runs: Sequence[dict[str, Any]]) -> Completeness:
    """Compare the runs of `sweep_dir` (from `load_runs`, other sweeps' runs are ignored) with its grid."""
    sweep_dir = Path(sweep_dir)
    if is_eval_folder(sweep_dir):
        return check_eval_completeness(sweep_dir, runs)
    mine = [run for run in runs if run["sweep"] == str(sweep_dir)]
    has_grid = (sweep_dir / MULTIRUN_FILE).is_file()
    grid = expected_grid(sweep_dir) if has_grid else []

    def signature(values: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(_comparable(values.get(key)) for key in (grid[0] if grid else {}))

    grid_signatures = {signature(point) for point in grid}
    seen = {signature(run["swept"]) for run in mine}
    ok = {signature(run["swept"]) for run in mine if run["status"] == "ok"}
    return Completeness(
        sweep=str(sweep_dir),
        grid_size=len(grid) if has_grid else None,
        n_jobs=len(mine),
        n_ok=sum(run["status"] == "ok" for run in mine),
        failed=[
            FailedJob(run["run_dir"], run.get("error"), point=run["swept"]) for run in mine if run["status"] == "failed"
        ],
        **_untrusted(mine, lambda run: run["swept"]),  # type: ignore[arg-type]  # corrupt= and newer=
        missing=[point for point in grid if signature(point) not in seen],
        without_ok=[point for point in grid if signature(point) not in ok],
        unexpected=[
            run["run_dir"]
            for run in mine
            if has_grid and run["status"] != NEWER and signature(run["swept"]) not in grid_signatures
        ],
    )


def check_eval_completeness(evals_dir: str | Path, runs: Sequence[dict[str, Any]]) -> Completeness:
    """Every (ok source run x level) pair of `eval_grid.json` needs an ok metrics.json."""
    grid = read_eval_grid(evals_dir)
    mine = [run for run in runs if run["sweep"] == str(Path(evals_dir))]
    expected = [(run_dir, level) for run_dir in grid.ok_runs for level in grid.level_ids]
    found = {(run["source_run_dir"], str(Path(run["run_dir"]).name)): run for run in mine}

    def point(pair: tuple[str | None, str]) -> dict[str, Any]:
        return {"run": pair[0], "level": pair[1]}

    pairs, expected_pairs = set(found), set(expected)
    not_ok = len(grid.runs) - len(grid.ok_runs)
    notes = [f"{len(grid.ok_runs)} ok source runs x {len(grid.level_ids)} levels of {grid.source_sweep}"]
    if not_ok:
        notes.append(f"{not_ok} of {len(grid.runs)} source runs are not ok and were not evaluated")
    return Completeness(
        sweep=str(Path(evals_dir)),
        grid_size=len(expected),
        n_jobs=len(mine),
        n_ok=sum(run["status"] == "ok" for run in mine),
        failed=[
            FailedJob(run["run_dir"], run.get("error"), point=point(pair))
            for pair, run in found.items()
            if run["status"] == "failed"
        ],
        **_untrusted(found.values(), lambda run: point((run["source_run_dir"], str(Path(run["run_dir"]).name)))),
        missing=[point(pair) for pair in expected if pair not in pairs],
        without_ok=[point(pair) for pair in expected if pair not in found or found[pair]["status"] != "ok"],
        unexpected=[run["run_dir"] for pair, run in found.items() if pair not in expected_pairs],
        notes=notes,
    )
