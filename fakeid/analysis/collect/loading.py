"""Sweep and evaluation folders -> a list of runs: each run's checked metrics.json plus where it lies and its
grid values (the contracts in `fakeid.analysis.collect`'s docstring)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fakeid.analysis.collect.columns import CORRUPT, LEVEL_KEY, NEWER, SCORES_COLUMN, TEST_FIELDS
from fakeid.analysis.collect.grid import grid_keys, parse_overrides
from fakeid.analysis.scores import CorruptScores, read_scores
from fakeid.core.errors import FakeidError
from fakeid.core.names import inside
from fakeid.runs.files import EVAL_GRID_FILE, METRICS_FILE, MULTIRUN_FILE, SCORES_FILE
from fakeid.runs.record import (
    STATUSES,
    NewerRecord,
    RunRecord,
    find_metrics_files,
    given,
    read_record,
    record_path,
)


# ----------------------------------------------------------------------------- the runs
def read_run_record(path: str | Path) -> RunRecord:
    """Read one `metrics.json` (fakeid.runs.record.read_record) and check the fields the collector relies on."""
    path = Path(path)
    record = read_record(path, strict=True)
    if record is None or record.status not in STATUSES:
        raise FakeidError(f"{path}: expected a JSON object with status {', '.join(map(repr, STATUSES))}")
    if not isinstance(record.hparams or {}, dict) or not isinstance(record.test or [], list):
        raise FakeidError(f"{path}: expected `hparams` to be an object and `test` a list")
    if record.status == "ok":
        for entry in record.test or []:
            absent = [name for name in TEST_FIELDS if name not in entry]
            if absent:
                raise FakeidError(f"{path}: test entry {entry.get('set')!r} lacks {', '.join(absent)}")
    return record


def _run_value(metrics: dict[str, Any], key: str, parsed_overrides: dict[str, Any]) -> Any:
    hparams = metrics.get("hparams") or {}
    if key in hparams:
        return hparams[key]
    return parsed_overrides.get(key)


def _job_overrides(metrics: dict[str, Any], source: str) -> dict[str, Any]:
    parsed = parse_overrides([str(item) for item in metrics.get("overrides") or []], source)
    return {override.key_or_group: override.value() for override in parsed}


def _eval_fields(
    metrics: dict[str, Any], path: Path, level: str | None = None, source_run_dir: str | None = None
) -> dict[str, Any]:
    """`kind`, and for an evaluation its level, perturbation and source run (training runs: kind only)."""
    if metrics.get("kind", "train") != "eval":
        return {"kind": metrics.get("kind", "train")}
    perturbation = metrics.get("perturbation") or {}
    if not isinstance(perturbation, dict):
        raise FakeidError(f'{path}: expected `perturbation` to be an object such as {{"name": "jpeg", ...}}')
    recorded = (metrics.get("hparams") or {}).get(LEVEL_KEY)
    if level is not None and recorded is not None and recorded != level:
        raise FakeidError(f"{path}: hparams {LEVEL_KEY}={recorded!r} differs from its level folder {level!r}")
    source = metrics.get("source") or {}
    return {
        "kind": "eval",
        "level": recorded if recorded is not None else level,
        "perturbation": perturbation,
        "source_run": source.get("run") if isinstance(source, dict) else None,
        "source_run_dir": source_run_dir,
    }


def _checked_run(path: Path) -> dict[str, Any]:
    """A run's metrics.json as a dict with its `SCORES_COLUMN`; a record of a newer fakeid, or an ok run whose
    scores.csv fails its checks (or is gone while the record holds its digest), becomes a run of status NEWER or
    CORRUPT with the one-line reason as `error` and no test entries (see CORRUPT)."""
    try:
        record = read_run_record(path)
    except NewerRecord as newer:
        return {"status": NEWER, "error": str(newer), "hparams": {}, "overrides": [], "test": [], SCORES_COLUMN: None}
    metrics = record.to_dict()
    scores = path.parent / SCORES_FILE
    if record.status == "ok" and (scores.is_file() or given(record.scores_sha256)):
        try:
            read_scores(scores, record)
        except CorruptScores as corrupt:
            return {**metrics, "status": CORRUPT, "error": str(corrupt), "test": [], SCORES_COLUMN: None}
    return {**metrics, SCORES_COLUMN: str(scores.resolve()) if scores.is_file() else None}


def _load_sweep_runs(sweep_dir: Path) -> list[dict[str, Any]]:
    has_multirun = (sweep_dir / MULTIRUN_FILE).is_file()
    paths = find_metrics_files(sweep_dir) if sweep_dir.is_dir() else []
    if not has_multirun and not paths:
        raise FakeidError(
            f"{sweep_dir}: expected a sweep folder with {MULTIRUN_FILE} or {METRICS_FILE} files, "
            f"or an evaluation folder with {EVAL_GRID_FILE}"
        )
    keys = grid_keys(sweep_dir) if has_multirun else []
    runs = []
    for path in paths:
        metrics = _checked_run(path)
        overrides = _job_overrides(metrics, str(path))
        runs.append(
            {
                **metrics,
                **_eval_fields(metrics, path),
                "sweep": str(sweep_dir),
                "run_dir": str(path.parent.relative_to(sweep_dir)),
                "swept": {key: _run_value(metrics, key, overrides) for key in keys},
            }
        )
    return runs


def load_runs(sweep_dirs: Iterable[str | Path]) -> list[dict[str, Any]]:
    """Every run of every sweep or evaluation folder: its metrics.json plus `sweep`, `run_dir` (relative to
    the folder), `swept` ({grid key: this run's value}), `kind`, and for evaluations `level`,
    `perturbation`, `source_run` and `source_run_dir`."""
    runs: list[dict[str, Any]] = []
    for sweep_dir in map(Path, sweep_dirs):
        runs += _load_eval_runs(sweep_dir) if is_eval_folder(sweep_dir) else _load_sweep_runs(sweep_dir)
    return runs


@dataclass
class EvalGrid:
    """What `eval_grid.json` says: the source sweep, the perturbation levels and the source sweep's jobs."""

    path: Path  # the evaluation folder
    source_sweep: Path
    levels: list[dict[str, Any]]
    level_ids: list[str]
    runs: list[dict[str, Any]]  # {"run_dir": relative to the source sweep, "status": "ok" | ...}

    @property
    def ok_runs(self) -> list[str]:
        return [run["run_dir"] for run in self.runs if run.get("status") == "ok"]


def is_eval_folder(path: str | Path) -> bool:
    return (Path(path) / EVAL_GRID_FILE).is_file()


def read_eval_grid(evals_dir: str | Path) -> EvalGrid:
    """Read and check `evals_dir/eval_grid.json` (the contract in the module docstring)."""
    path = Path(evals_dir) / EVAL_GRID_FILE
    try:
        grid = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise FakeidError(f"{path}: unreadable {EVAL_GRID_FILE} ({err})") from None
    if not isinstance(grid, dict) or grid.get("kind") != "eval_grid":
        raise FakeidError(f'{path}: expected a JSON object with kind "eval_grid"')
    levels, level_ids, runs = grid.get("levels"), grid.get("level_ids"), grid.get("runs")
    if not isinstance(levels, list) or not isinstance(level_ids, list) or len(levels) != len(level_ids):
        raise FakeidError(f"{path}: expected `levels` and `level_ids` to be lists of the same length")
    if not isinstance(runs, list) or not all(isinstance(run, dict) and "run_dir" in run for run in runs):
        raise FakeidError(f'{path}: expected `runs` to be a list of {{"run_dir", "status"}} objects')
    if not isinstance(grid.get("sweep"), str):
        raise FakeidError(f"{path}: expected `sweep`, the path of the source training sweep")
    for index, run in enumerate(runs):  # a job folder of the source sweep: never a path out of it
        inside(grid["sweep"], run["run_dir"], f"{path}: runs[{index}].run_dir")
    return EvalGrid(Path(evals_dir), Path(grid["sweep"]), levels, [str(level) for level in level_ids], runs)


def _source_overrides(grid: EvalGrid, source_run_dir: str | None) -> dict[str, Any]:
    """The source job's own overrides (for grid keys that are not hparams), when its metrics.json is there."""
    path = record_path(grid.source_sweep / str(source_run_dir))
    if source_run_dir is None or not path.is_file():
        return {}
    return _job_overrides(read_run_record(path).to_dict(), str(path))


def _load_eval_runs(evals_dir: Path) -> list[dict[str, Any]]:
    grid = read_eval_grid(evals_dir)
    keys = grid_keys(grid.source_sweep) if (grid.source_sweep / MULTIRUN_FILE).is_file() else []
    depth = max((len(Path(run["run_dir"]).parts) for run in grid.runs), default=1) + 1  # <run_dir>/<level_id>
    runs = []
    for path in find_metrics_files(evals_dir, max_depth=depth):
        relative = path.parent.relative_to(evals_dir)
        source_run_dir = str(relative.parent) if len(relative.parts) > 1 else None
        metrics = _checked_run(path)
        if metrics["status"] == NEWER:  # nothing of it is read: where it lies says what it is
            metrics.update(kind="eval", perturbation={}, hparams={LEVEL_KEY: relative.name})
        fields = _eval_fields(metrics, path, level=relative.name, source_run_dir=source_run_dir)
        if fields["kind"] != "eval":
            raise FakeidError(
                f'{path}: expected an evaluation\'s metrics.json (kind "eval") in the folder of {EVAL_GRID_FILE}'
            )
        hparams = metrics.get("hparams") or {}
        overrides = {} if all(key in hparams for key in keys) else _source_overrides(grid, source_run_dir)
        runs.append(
            {
                **metrics,
                **fields,
                "sweep": str(evals_dir),
                "run_dir": str(relative),
                "swept": {key: _run_value(metrics, key, overrides) for key in keys},
            }
        )
    return runs
