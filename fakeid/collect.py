"""Turn Hydra sweep folders into one tidy table (a row per run and test set), and check completeness.

Contracts this module reads (nothing else; never job folder names, never `.hydra/config.yaml`):

- A *sweep folder* is what Hydra multirun writes: `SWEEP/multirun.yaml` (Hydra's composed config; we read
  only `hydra.sweeper.params`, a dict key -> sweep string such as `range(1,11)` or `0.0,0.5`, and
  `hydra.overrides.task`, the command-line overrides, some of which may be sweeps such as `seed=1,2`) and
  one job folder per grid point, each holding the job's `metrics.json`. `metrics.json` files are found
  recursively, at most `MAX_DEPTH` folders below the sweep folder. A job that crashed hard has none.
- `metrics.json` (schema in docs/METRICS.md): `status` ("ok" | "failed"), `error`, `hparams` (flat dotted keys,
  e.g. `data.num_categories`, `model.drop_rate`, `seed`, `data.dataset_kind`), `overrides` (the job's
  own override strings), `config_hash`, `threshold`, `wall_time_s`, and `test`: one entry per test set
  with `TEST_FIELDS`. A failed run has `test: []` and maybe partial hparams.

The grid is expanded the way Hydra's BasicSweeper does it: sweeper params first, then the task
overrides, keyed by the override's key (a later one replaces an earlier one), cartesian product in that
order, with Hydra's own override parser (so `range`, `choice`, `a,b,c` mean what they mean to Hydra).
The grid's keys are those whose final override is a sweeper param or a sweep override; plain task
overrides such as `data.root=/x` are constants of the sweep, not grid dimensions.

A run's value for a grid key is its resolved `hparams[key]`, else the value in its own `overrides`
(a config-group sweep such as `model=a,b` has no hparam of that name).
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import pandas as pd
import yaml

from fakeid.errors import FakeidError, one_line_errors
from fakeid.metric_names import TEST_METRICS
from fakeid.results import METRICS_FILE

TEST_FIELDS = ("set", "generator", "category", "seen_generator", "seen_category", "n_real", "n_fake", *TEST_METRICS)
# Hyper-parameters worth a column even when they were not swept.
RUN_HPARAMS = (
    "data.num_categories",
    "model.drop_rate",
    "seed",
    "data.image_size",
    "model.name",
    "data.dataset_kind",
    "experiment",
    "experiment_name",
)
RUN_FIELDS = ("config_hash", "threshold", "wall_time_s")
MULTIRUN_FILE = "multirun.yaml"
MAX_DEPTH = 3  # job folders sit 1 level down with the basic launcher, deeper with custom subdirs


# ----------------------------------------------------------------------------- the grid
def _parse_overrides(overrides: Sequence[str], source: str) -> list[Any]:
    # Imported here: Hydra's parser pulls in antlr, which only the grid needs.
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    try:
        return OverridesParser.create().parse_overrides(list(overrides))
    except HydraException as err:
        first_line = str(err).strip().splitlines()[0]
        raise FakeidError(f"{source}: cannot parse overrides {list(overrides)}: {first_line}") from None


def _read_multirun(sweep_dir: Path) -> dict[str, Any]:
    path = sweep_dir / MULTIRUN_FILE
    try:
        conf = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise FakeidError(f"{path}: not valid YAML ({type(err).__name__})") from None
    hydra_conf = conf.get("hydra") if isinstance(conf, dict) else None
    if not isinstance(hydra_conf, dict):
        raise FakeidError(f"{path}: expected Hydra's multirun config with a top-level `hydra` key")
    return hydra_conf


def _grid_overrides(sweep_dir: Path) -> list[Any]:
    """The overrides that define the grid, in BasicSweeper's order, a later one replacing an earlier one."""
    hydra_conf = _read_multirun(sweep_dir)
    source = str(sweep_dir / MULTIRUN_FILE)
    params = (hydra_conf.get("sweeper") or {}).get("params") or {}
    task = (hydra_conf.get("overrides") or {}).get("task") or []
    if not isinstance(params, dict) or not isinstance(task, list):
        raise FakeidError(f"{source}: expected hydra.sweeper.params to be a mapping and hydra.overrides.task a list")
    from_params = _parse_overrides([f"{key}={value}" for key, value in params.items()], source)
    from_task = _parse_overrides([str(item) for item in task], source)
    final: dict[str, tuple[Any, bool]] = {}
    for override in from_params:
        final[override.get_key_element()] = (override, True)
    for override in from_task:
        final[override.get_key_element()] = (override, override.is_sweep_override())
    return [override for override, is_grid in final.values() if is_grid]


def _override_values(override: Any, source: str) -> list[Any]:
    from hydra.errors import HydraException

    if not override.is_sweep_override():
        return [override.value()]
    try:
        return list(override.sweep_iterator())
    except HydraException as err:
        raise FakeidError(
            f"{source}: cannot enumerate the sweep of `{override.get_key_element()}`: {str(err).splitlines()[0]}"
        ) from None


def grid_keys(sweep_dir: str | Path) -> list[str]:
    """The hyper-parameters the sweep varies (or fixes through its sweeper params), in grid order."""
    return [override.key_or_group for override in _grid_overrides(Path(sweep_dir))]


def expected_grid(sweep_dir: str | Path) -> list[dict[str, Any]]:
    """Every grid point of the sweep as {key: value}, in the order Hydra launches the jobs."""
    sweep_dir = Path(sweep_dir)
    source = str(sweep_dir / MULTIRUN_FILE)
    overrides = _grid_overrides(sweep_dir)
    keys = [override.key_or_group for override in overrides]
    axes = [_override_values(override, source) for override in overrides]
    return [dict(zip(keys, point)) for point in itertools.product(*axes)]


def _comparable(value: Any) -> Any:
    """A value that compares equal across sources (hparams vs override strings, 3 vs 3.0, float noise)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return round(float(value), 9)
    if isinstance(value, (list, tuple)):
        return tuple(_comparable(item) for item in value)
    return str(value)


# ----------------------------------------------------------------------------- the runs
def find_metrics_files(sweep_dir: str | Path, max_depth: int = MAX_DEPTH) -> list[Path]:
    """`metrics.json` files at most `max_depth` folders below `sweep_dir`, sorted."""
    sweep_dir = Path(sweep_dir)
    found: list[Path] = []
    for folder, subfolders, files in os.walk(sweep_dir):
        depth = len(Path(folder).relative_to(sweep_dir).parts)
        if depth >= max_depth:
            subfolders[:] = []  # do not descend further
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]  # .hydra, .submitit
        if METRICS_FILE in files:
            found.append(Path(folder) / METRICS_FILE)
    return sorted(found)


def read_run_metrics(path: str | Path) -> dict[str, Any]:
    """Read one `metrics.json` and check the fields the collector relies on."""
    path = Path(path)
    try:
        metrics = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise FakeidError(f"{path}: unreadable metrics.json ({err})") from None
    if not isinstance(metrics, dict) or metrics.get("status") not in ("ok", "failed"):
        raise FakeidError(f"{path}: expected a JSON object with status \"ok\" or \"failed\"")
    if not isinstance(metrics.get("hparams") or {}, dict) or not isinstance(metrics.get("test") or [], list):
        raise FakeidError(f"{path}: expected `hparams` to be an object and `test` a list")
    if metrics["status"] == "ok":
        for entry in metrics.get("test") or []:
            absent = [name for name in TEST_FIELDS if name not in entry]
            if absent:
                raise FakeidError(f"{path}: test entry {entry.get('set')!r} lacks {', '.join(absent)}")
    return metrics


def _run_value(metrics: dict[str, Any], key: str, parsed_overrides: dict[str, Any]) -> Any:
    hparams = metrics.get("hparams") or {}
    if key in hparams:
        return hparams[key]
    return parsed_overrides.get(key)


def _job_overrides(metrics: dict[str, Any], source: str) -> dict[str, Any]:
    parsed = _parse_overrides([str(item) for item in metrics.get("overrides") or []], source)
    return {override.key_or_group: override.value() for override in parsed}


def load_runs(sweep_dirs: Iterable[str | Path]) -> list[dict[str, Any]]:
    """Every run of every sweep folder: its metrics.json plus `sweep`, `run_dir` (relative to the sweep)
    and `swept` ({grid key: this run's value})."""
    runs: list[dict[str, Any]] = []
    for sweep_dir in map(Path, sweep_dirs):
        has_multirun = (sweep_dir / MULTIRUN_FILE).is_file()
        paths = find_metrics_files(sweep_dir) if sweep_dir.is_dir() else []
        if not has_multirun and not paths:
            raise FakeidError(f"{sweep_dir}: expected a sweep folder with {MULTIRUN_FILE} or {METRICS_FILE} files")
        keys = grid_keys(sweep_dir) if has_multirun else []
        for path in paths:
            metrics = read_run_metrics(path)
            overrides = _job_overrides(metrics, str(path))
            runs.append(
                {
                    **metrics,
                    "sweep": str(sweep_dir),
                    "run_dir": str(path.parent.relative_to(sweep_dir)),
                    "swept": {key: _run_value(metrics, key, overrides) for key in keys},
                }
            )
    return runs


def tidy(runs: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """One row per run and test set (a failed run gets one row with empty test fields)."""
    swept = list(dict.fromkeys(key for run in runs for key in run["swept"]))
    hparam_columns = [*swept, *(key for key in RUN_HPARAMS if key not in swept)]
    columns = ["sweep", "run_dir", "status", "error", *hparam_columns, *RUN_FIELDS, *TEST_FIELDS]
    rows = []
    for run in runs:
        hparams = run.get("hparams") or {}
        base = {"sweep": run["sweep"], "run_dir": run["run_dir"], "status": run["status"], "error": run.get("error")}
        base.update({key: run["swept"].get(key, hparams.get(key)) for key in hparam_columns})
        base.update({key: run.get(key) for key in RUN_FIELDS})
        entries = run.get("test") or [{}]
        for entry in entries:
            rows.append({**base, **{name: entry.get(name) for name in TEST_FIELDS}})
    return pd.DataFrame(rows, columns=columns)


def read_results(csv_path: str | Path) -> pd.DataFrame:
    """Read a CSV written by `write_results` back with the dtypes `tidy` gives (booleans stay booleans)."""
    csv_path = Path(csv_path)
    if not csv_path.is_file():
        raise FakeidError(f"{csv_path}: no such results CSV (write one with `python -m fakeid.collect SWEEP`)")
    # Job folders are often named 0, 1, ...: keep identifiers as text.
    df = pd.read_csv(csv_path, dtype={"sweep": str, "run_dir": str, "config_hash": str, "error": str})
    for name in ("seen_generator", "seen_category"):
        if name in df.columns:
            df[name] = df[name].map({True: True, False: False, "True": True, "False": False})
    return df


def write_results(df: pd.DataFrame, csv_path: str | Path) -> Path:
    csv_path = Path(csv_path)
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(csv_path, index=False)
    return csv_path


# ----------------------------------------------------------------------------- completeness
@dataclass
class FailedJob:
    run_dir: str
    point: dict[str, Any]
    error: str | None


@dataclass
class Completeness:
    """How a sweep's jobs compare with its grid. `grid_size` is None when there is no multirun.yaml."""

    sweep: str
    grid_size: int | None
    n_jobs: int  # metrics.json files found
    n_ok: int
    failed: list[FailedJob] = field(default_factory=list)
    missing: list[dict[str, Any]] = field(default_factory=list)  # grid points without any metrics.json
    without_ok: list[dict[str, Any]] = field(default_factory=list)  # grid points without an ok run
    unexpected: list[str] = field(default_factory=list)  # run dirs whose values match no grid point

    @property
    def complete(self) -> bool:
        return self.grid_size is not None and not self.without_ok

    def summary(self) -> str:
        grid = "grid unknown (no multirun.yaml)" if self.grid_size is None else f"grid of {self.grid_size} points"
        lines = [
            f"{self.sweep}: {grid}; {self.n_jobs} jobs with metrics.json: {self.n_ok} ok, "
            f"{len(self.failed)} failed; {len(self.missing)} grid points missing (no metrics.json)"
        ]
        lines += [f"  failed  {job.run_dir} {_point_str(job.point)}: {job.error}" for job in self.failed]
        lines += [f"  missing {_point_str(point)}" for point in self.missing]
        lines += [f"  not in the grid: {run_dir}" for run_dir in self.unexpected]
        return "\n".join(lines)


def _point_str(point: dict[str, Any]) -> str:
    return " ".join(f"{key}={value}" for key, value in point.items())


def check_completeness(sweep_dir: str | Path, runs: Sequence[dict[str, Any]]) -> Completeness:
    """Compare the runs of `sweep_dir` (from `load_runs`, other sweeps' runs are ignored) with its grid."""
    sweep_dir = Path(sweep_dir)
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
        failed=[FailedJob(run["run_dir"], run["swept"], run.get("error")) for run in mine if run["status"] == "failed"],
        missing=[point for point in grid if signature(point) not in seen],
        without_ok=[point for point in grid if signature(point) not in ok],
        unexpected=[run["run_dir"] for run in mine if has_grid and signature(run["swept"]) not in grid_signatures],
    )


def collect(sweep_dirs: Sequence[str | Path]) -> tuple[pd.DataFrame, list[Completeness]]:
    """The tidy table of all sweeps and one completeness report per sweep."""
    runs = load_runs(sweep_dirs)
    return tidy(runs), [check_completeness(sweep_dir, runs) for sweep_dir in sweep_dirs]


# ----------------------------------------------------------------------------- CLI
def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m fakeid.collect",
        description="Collect the metrics.json of Hydra sweep folders into one tidy CSV "
        "(a row per run and test set) and report failed and missing jobs.",
    )
    parser.add_argument("sweeps", nargs="+", type=Path, metavar="SWEEP", help="sweep folder(s) written by `-m`")
    parser.add_argument("--out", type=Path, help="CSV to write (default: <first SWEEP>/results.csv)")
    args = parser.parse_args(argv)
    with one_line_errors():
        for sweep_dir in args.sweeps:
            if not sweep_dir.is_dir():
                raise FakeidError(f"{sweep_dir}: no such sweep folder")
        df, reports = collect(args.sweeps)
        for report in reports:
            print(report.summary(), file=sys.stderr)
        out = write_results(df, args.out or args.sweeps[0] / "results.csv")
        n_runs = df[["sweep", "run_dir"]].drop_duplicates().shape[0]
        print(f"wrote {out} ({len(df)} rows, {n_runs} runs)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
