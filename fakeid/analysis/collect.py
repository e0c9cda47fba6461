"""Turn Hydra sweep folders into one tidy table (a row per run and test set), and check completeness.

Contracts this module reads (nothing else; never job folder names, never `.hydra/config.yaml`):

- A *sweep folder* is what Hydra multirun writes: `SWEEP/multirun.yaml` (Hydra's composed config; we read
  only `hydra.sweeper.params`, a dict key -> sweep string such as `range(1,11)` or `0.0,0.5`, and
  `hydra.overrides.task`, the command-line overrides, some of which may be sweeps such as `seed=1,2`) and
  one job folder per grid point, each holding the job's `metrics.json`. `metrics.json` files are found
  recursively, at most `MAX_DEPTH` folders below the sweep folder. A job that crashed hard has none.
- `metrics.json` (schema in docs/metrics.md): `status` ("ok" | "failed"), `error`, `hparams` (flat dotted keys,
  e.g. `data.num_categories`, `model.drop_rate`, `seed`, `data.dataset_kind`), `overrides` (the job's
  own override strings), `config_hash`, `threshold`, `wall_time_s`, and `test`: one entry per test set
  with `TEST_FIELDS`. A failed run has `test: []` and maybe partial hparams.

The grid is expanded the way Hydra's BasicSweeper does it: sweeper params first, then the task
overrides, keyed by the override's key (a later one replaces an earlier one), cartesian product in that
order, with Hydra's own override parser (so `range`, `choice`, `a,b,c` mean what they mean to Hydra).
The grid's keys are those whose final override is a sweeper param or a sweep override; plain task
overrides such as `data.root=/x` are constants of the sweep, not grid dimensions.

A run's value for a grid key is its resolved `hparams[key]`, else the value in its own `overrides`
(a config-group sweep such as `model=a,b` has no hparam of that name). The training augmentation gets the
column `augment`, a label of its recorded `augment.*` hparams (`none` when a run has none; also for a sweep
over `augment=...` choices), and a column per `augment.*` hparam any run records.

- An *evaluation folder* (`python -m fakeid.eval +experiment=robustness sweep=SWEEP`) is recognised by its
  `eval_grid.json`: `sweep` (the absolute path of the source training sweep), `levels` and `level_ids`
  (the perturbation grid, same order) and `runs` (every job of the source sweep, `run_dir` relative to it,
  with its `status`). Each evaluation lies in `EVALS/<run_dir>/<level_id>/metrics.json`: the training schema
  plus `kind: "eval"`, `perturbation` ({"name": ..., params}), `source` ({"run", "ckpt", "config_hash"}),
  and `hparams` holding the SOURCE run's hparams plus `eval.perturbation` (the level id). Its rows get
  `kind` "eval", `level`, `perturbation`, one `perturbation.<param>` column per parameter seen, the source
  sweep's grid keys (from its multirun.yaml while it exists, else `RUN_HPARAMS` only), `source_run` and
  `source_run_dir`. Completeness: every (ok source run x level) pair needs an ok metrics.json.
  A single evaluation's own folder (no eval_grid.json) is read like a sweep folder without multirun.yaml.

CLI (a Hydra app, conf/collect.yaml): `python -m fakeid.collect sweeps=[DIR1,DIR2] out=FILE.csv`.
"""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from fakeid.analysis.bootstrap import seed_sequence, set_intervals, wilson_interval
from fakeid.analysis.scores import CorruptScores, read_scores
from fakeid.core.errors import FakeidError
from fakeid.core.metric_names import CALIBRATION_METRICS, TEST_METRICS
from fakeid.core.names import inside
from fakeid.data.augment import augment_label
from fakeid.runs.failures import FailedJob, point_text
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
OPTIONAL_TEST_FIELDS = CALIBRATION_METRICS  # absent from test entries written before they existed: left empty
SCORES_COLUMN = "scores_file"  # the run's scores.csv (absolute), empty when it has none
# A run collect cannot trust gets one row with this status, its reason as `error` and no test fields, as a
# failed run does: every consumer reads status "ok" rows only, so it is counted and listed but enters no statistic.
CORRUPT = "corrupt"  # an ok record whose scores.csv fails fakeid.analysis.scores' checks
NEWER = "newer"  # a metrics.json written by a newer fakeid (fakeid.runs.record.NewerRecord): not read at all
INTERVAL_METRICS = ("acc", "ap", "auroc")
INTERVAL_COLUMNS = tuple(f"{metric}_img_{end}" for metric in INTERVAL_METRICS for end in ("low", "high"))
AUGMENT = "augment"  # the training augmentation's label (fakeid.data.augment.augment_label), "none" without
AUGMENT_PREFIX = "augment."
DATA_COLUMNS = ("data_root", "data_fingerprint")  # a run's data identity (fakeid.data.fingerprint)
LEVEL_KEY = "eval.perturbation"  # the level id in an evaluation's hparams
PERTURBATION_PREFIX = "perturbation."
KIND_COLUMNS = ("kind", "level", "perturbation")
SOURCE_COLUMNS = ("source_run", "source_run_dir")
TEXT_COLUMNS = (
    "sweep",
    "run_dir",
    "config_hash",
    "error",
    "kind",
    "level",
    "perturbation",
    "perturbation.format",
    AUGMENT,
    "augment.name",
    "augment.format",
    "augment.crop",
    *SOURCE_COLUMNS,
    *DATA_COLUMNS,
    SCORES_COLUMN,
)


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


def read_multirun(sweep_dir: Path) -> dict[str, Any]:
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
    hydra_conf = read_multirun(sweep_dir)
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
    return [dict(zip(keys, point, strict=True)) for point in itertools.product(*axes)]


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
    parsed = _parse_overrides([str(item) for item in metrics.get("overrides") or []], source)
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


def _perturbation_params(runs: Sequence[dict[str, Any]]) -> list[str]:
    params = (key for run in runs for key in (run.get("perturbation") or {}) if key != "name")
    return [f"{PERTURBATION_PREFIX}{key}" for key in dict.fromkeys(params)]


def _augment_params(runs: Sequence[dict[str, Any]]) -> list[str]:
    """The `augment.*` hparams any run records (none for runs without training augmentation)."""
    keys = (key for run in runs for key in (run.get("hparams") or {}) if key.startswith(AUGMENT_PREFIX))
    return list(dict.fromkeys(keys))


def tidy(runs: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """One row per run and test set (a failed run gets one row with empty test fields)."""
    swept = list(dict.fromkeys(key for run in runs for key in run["swept"]))
    hparam_columns = [*swept, *(key for key in RUN_HPARAMS if key not in swept)]
    hparam_columns += [key for key in (AUGMENT, *_augment_params(runs)) if key not in hparam_columns]
    params = _perturbation_params(runs)
    columns = [
        "sweep",
        "run_dir",
        "status",
        "error",
        *KIND_COLUMNS,
        *params,
        *hparam_columns,
        *SOURCE_COLUMNS,
        *DATA_COLUMNS,
        *RUN_FIELDS,
        SCORES_COLUMN,
        *TEST_FIELDS,
        *OPTIONAL_TEST_FIELDS,
    ]
    rows = []
    for run in runs:
        hparams = run.get("hparams") or {}
        perturbation = run.get("perturbation") or {}
        base = {
            "sweep": run["sweep"],
            "run_dir": run["run_dir"],
            "status": run["status"],
            "error": run.get("error"),
            "kind": run.get("kind", "train"),
            "level": run.get("level"),
            "perturbation": perturbation.get("name"),
        }
        base.update({column: perturbation.get(column[len(PERTURBATION_PREFIX) :]) for column in params})
        base.update({key: run["swept"].get(key, hparams.get(key)) for key in hparam_columns})
        base[AUGMENT] = augment_label(hparams)  # a label of the recorded values, whatever the choice was named
        base.update({key: run.get(key) for key in (*SOURCE_COLUMNS, *RUN_FIELDS, SCORES_COLUMN)})
        identity = run.get("data_identity") or {}
        base.update(data_root=identity.get("root"), data_fingerprint=identity.get("fingerprint"))
        entries = run.get("test") or [{}]
        for entry in entries:
            rows.append({**base, **{name: entry.get(name) for name in (*TEST_FIELDS, *OPTIONAL_TEST_FIELDS)}})
    return pd.DataFrame(rows, columns=columns)


def hparam_columns(columns: Iterable[str]) -> list[str]:
    """The columns of a tidy table that hold a run's hyper-parameters (grid keys and `RUN_HPARAMS`): all but
    the run's identity, status, kind, source, data identity, run fields, scores and test fields."""
    others = {
        "sweep",
        "run_dir",
        "status",
        "error",
        *KIND_COLUMNS,
        *SOURCE_COLUMNS,
        *DATA_COLUMNS,
        *RUN_FIELDS,
        SCORES_COLUMN,
        *TEST_FIELDS,
        *OPTIONAL_TEST_FIELDS,
        *INTERVAL_COLUMNS,
    }
    return [name for name in columns if name not in others and not str(name).startswith(PERTURBATION_PREFIX)]


def add_intervals(df: pd.DataFrame, n_boot: int = 2000, bootstrap_seed: int = 0) -> tuple[pd.DataFrame, list[str]]:
    """The table with `INTERVAL_COLUMNS`: per run and test set, 95 % intervals over the set's images. Accuracy
    at 0.5: Wilson's interval (from `acc` and the set's size); AP and AUROC: the stratified bootstrap of
    `fakeid.analysis.bootstrap` on the run's scores.csv (`n_boot` replicates, seeded by `bootstrap_seed` and
    the set's name). Also returns the runs without scores.csv (and `run (set S)` for a scores.csv without set S),
    whose AP and AUROC intervals stay empty."""
    df = df.copy()
    for name in INTERVAL_COLUMNS:
        df[name] = float("nan")
    tested = df["set"].notna() & (df["status"] == "ok")
    sizes = pd.to_numeric(df["n_real"], errors="coerce") + pd.to_numeric(df["n_fake"], errors="coerce")
    accuracy = pd.to_numeric(df["acc"], errors="coerce")
    for index in df.index[tested & sizes.notna() & accuracy.notna()]:
        n = float(sizes[index])
        df.loc[index, ["acc_img_low", "acc_img_high"]] = wilson_interval(round(accuracy[index] * n), n)
    without = []
    for (sweep, run_dir), rows in df[tested].groupby(["sweep", "run_dir"], sort=True):
        path = rows[SCORES_COLUMN].iloc[0]
        if not isinstance(path, str) or not Path(path).is_file():
            without.append(f"{sweep}/{run_dir}")
            continue
        per_set = read_scores(path)
        for index, name in zip(rows.index, rows["set"], strict=True):
            if name not in per_set:  # a scores.csv that lacks a set metrics.json lists: no interval, counted
                without.append(f"{sweep}/{run_dir} (set {name})")
                continue
            data = per_set[name]
            rng = np.random.default_rng(seed_sequence(bootstrap_seed, "images", name))
            intervals = set_intervals(data.scores, data.labels, n_boot, rng)
            for metric in ("ap", "auroc"):
                df.loc[index, [f"{metric}_img_low", f"{metric}_img_high"]] = intervals[metric]
    return df, without


def read_results(csv_path: str | Path) -> pd.DataFrame:
    """Read a CSV written by `write_results` back with the dtypes `tidy` gives (booleans stay booleans)."""
    csv_path = Path(csv_path)
    if not csv_path.is_file():
        raise FakeidError(
            f"{csv_path}: no such results CSV (write one with `python -m fakeid.collect sweeps=DIR out=FILE.csv`)"
        )
    # Job folders are often named 0, 1, ...: keep identifiers as text.
    df = pd.read_csv(csv_path, dtype={name: str for name in TEXT_COLUMNS})
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


# ----------------------------------------------------------------------------- evaluation folders
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


def datasets(df: pd.DataFrame) -> pd.DataFrame:
    """The distinct data identities of the table's ok runs, per kind, with how many runs each has."""
    ok = df[df["status"] == "ok"].drop_duplicates(["sweep", "run_dir"])
    keys = ["kind", *DATA_COLUMNS]
    return ok.fillna({name: "(not recorded)" for name in DATA_COLUMNS}).groupby(keys).size().reset_index(name="runs")


def keep_dataset(df: pd.DataFrame, data_root: str | None = None) -> pd.DataFrame:
    """The table, refusing (one line) to pool runs of different datasets of one kind unless `data_root` (a
    root, or a root:fingerprint) says which to keep; runs of other datasets are then dropped and counted."""
    found = datasets(df)
    if data_root is not None:
        root, _, fingerprint = str(data_root).partition(":")
        keep = (df["data_root"] == root) & ((df["data_fingerprint"] == fingerprint) if fingerprint else True)
        kept = df[keep | (df["status"] != "ok")]
        dropped = df.loc[~df.index.isin(kept.index), ["sweep", "run_dir"]].drop_duplicates().shape[0]
        print(f"kept the runs of data.root={data_root}; left out {dropped} runs of other datasets", file=sys.stderr)
        return kept
    for kind, group in found.groupby("kind"):
        if len(group) > 1:
            listed = "; ".join(
                f"{row.data_root} (fingerprint {row.data_fingerprint}): {row.runs} runs" for row in group.itertuples()
            )
            raise FakeidError(
                f"the {kind} runs come from {len(group)} datasets ({listed}): one figure never pools "
                "them; pass data_root=ROOT (or ROOT:FINGERPRINT) to keep one"
            )
    return df


def collect(
    sweep_dirs: Sequence[str | Path],
    data_root: str | None = None,
    n_boot: int | None = None,
    bootstrap_seed: int = 0,
) -> tuple[pd.DataFrame, list[Completeness]]:
    """The tidy table of all sweeps (one dataset per kind, see `keep_dataset`) and a completeness report per
    sweep; with `n_boot`, the per-set image-level intervals of `add_intervals` too (runs without scores.csv are
    named on stderr)."""
    runs = load_runs(sweep_dirs)
    df = keep_dataset(tidy(runs), data_root)
    if n_boot is not None:
        if int(n_boot) < 1:
            raise FakeidError(f"n_boot={n_boot}: expected a positive number of bootstrap replicates, e.g. 2000")
        df, without = add_intervals(df, int(n_boot), int(bootstrap_seed))
        if without:
            shown = ", ".join(without[:3]) + (f", ... ({len(without)} runs)" if len(without) > 3 else "")
            print(
                f"fakeid: note: {len(without)} runs (or sets) have no scores in {SCORES_FILE} ({shown}): their AP "
                "and AUROC intervals over images are left empty",
                file=sys.stderr,
            )
    return df, [check_completeness(sweep_dir, runs) for sweep_dir in sweep_dirs]


# ----------------------------------------------------------------------------- CLI
def collect_to_csv(
    sweep_dirs: Sequence[str | Path],
    out: str | Path | None = None,
    data_root: str | None = None,
    n_boot: int | None = 2000,
    bootstrap_seed: int = 0,
) -> Path:
    """What the CLI does: collect, print each completeness report on stderr, write the CSV."""
    folders = [Path(sweep_dir) for sweep_dir in sweep_dirs]
    if not folders:
        raise FakeidError("sweeps=[]: expected at least one sweep or evaluation folder")
    for sweep_dir in folders:
        if not sweep_dir.is_dir():
            raise FakeidError(f"{sweep_dir}: no such sweep folder")
    df, reports = collect(folders, data_root, n_boot, bootstrap_seed)
    for report in reports:
        print(report.summary(), file=sys.stderr)
    written = write_results(df, out or folders[0] / "results.csv")
    n_runs = df[["sweep", "run_dir"]].drop_duplicates().shape[0]
    print(f"wrote {written} ({len(df)} rows, {n_runs} runs)", file=sys.stderr)
    return written
