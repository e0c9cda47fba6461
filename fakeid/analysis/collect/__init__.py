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

The work is split along its seams: `columns` (the table's columns), `grid` (the sweep's grid), `loading`
(folders -> runs), `tidying` (runs -> table, one dataset per kind), `intervals` (per-set intervals over images),
`completeness`; this module pools them (`collect`) and reads and writes results.csv.

CLI (a Hydra app, conf/collect.yaml): `python -m fakeid.collect sweeps=[DIR1,DIR2] out=FILE.csv`.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from fakeid.analysis.collect.columns import (
    AUGMENT,
    CORRUPT,
    INTERVAL_COLUMNS,
    NEWER,
    RUN_HPARAMS,
    SCORES_COLUMN,
    TEST_FIELDS,
    TEXT_COLUMNS,
)
from fakeid.analysis.collect.completeness import Completeness, check_completeness, check_eval_completeness
from fakeid.analysis.collect.grid import expected_grid, grid_keys, read_multirun
from fakeid.analysis.collect.intervals import add_intervals
from fakeid.analysis.collect.loading import (
    EvalGrid,
    is_eval_folder,
    load_runs,
    read_eval_grid,
    read_run_record,
)
from fakeid.analysis.collect.tidying import datasets, hparam_columns, keep_dataset, tidy
from fakeid.core.errors import FakeidError
from fakeid.runs.files import RESULTS_FILE, SCORES_FILE

__all__ = [
    "Study",
    "collect_study",
    "current_intervals",  # what callers import from fakeid.analysis.collect
    "AUGMENT",
    "CORRUPT",
    "INTERVAL_COLUMNS",
    "NEWER",
    "RUN_HPARAMS",
    "SCORES_COLUMN",
    "TEST_FIELDS",
    "TEXT_COLUMNS",
    "Completeness",
    "EvalGrid",
    "add_intervals",
    "check_completeness",
    "check_eval_completeness",
    "collect",
    "collect_to_csv",
    "datasets",
    "expected_grid",
    "grid_keys",
    "hparam_columns",
    "is_eval_folder",
    "keep_dataset",
    "load_runs",
    "read_eval_grid",
    "read_multirun",
    "read_results",
    "read_run_record",
    "tidy",
    "write_results",
]


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
    if n_boot is not None:  # its range is the schema's (CollectConfig.n_boot), checked before the command runs
        df, without = add_intervals(df, int(n_boot), int(bootstrap_seed))
        _note_without(without)
    return df, [check_completeness(sweep_dir, runs) for sweep_dir in sweep_dirs]


def _note_without(without: Sequence[str]) -> None:
    """Name on stderr the runs (or sets) whose AP and AUROC intervals stay empty (`add_intervals`)."""
    if without:
        shown = ", ".join(without[:3]) + (f", ... ({len(without)} runs)" if len(without) > 3 else "")
        print(
            f"fakeid: note: {len(without)} runs (or sets) have no scores in {SCORES_FILE} ({shown}): their AP "
            "and AUROC intervals over images are left empty",
            file=sys.stderr,
        )


@dataclass
class Study:
    """What the report reads of its folders, once: the runs, the collected table (with `INTERVAL_COLUMNS`) and
    a completeness report per folder; `reused` names the folders whose own results.csv gave the intervals."""

    runs: list[dict[str, Any]]
    table: pd.DataFrame
    completeness: list[Completeness]
    reused: list[str] = field(default_factory=list)


def current_intervals(sweep_dir: Path, fresh: pd.DataFrame) -> pd.DataFrame | None:
    """The interval columns of `sweep_dir/results.csv` for the rows of `fresh` (the sweep's tidy rows as read
    now), or None when that file is absent or not current.

    Current means: its rows of this sweep, in every column `tidy` writes, are the text `fresh` would be written
    as, row for row. Those columns hold every run's status, scores.csv path and every metric of its
    metrics.json, and a scores.csv that changed since its record is CORRUPT (its digest), so equal text means
    the intervals were computed from the same runs and scores; any difference (a new or rerun job, another
    `data_root`) means collect again. Reading the intervals back rather than bootstrapping again is what
    lets `make demo`'s report reuse the collect of sweeps/fig1.sh and fig2.sh."""
    path = sweep_dir / RESULTS_FILE
    if not path.is_file() or fresh.empty:
        return None
    try:
        saved = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError):
        return None  # unreadable: collected again, as if absent
    needed = [*fresh.columns, *INTERVAL_COLUMNS]
    if "sweep" not in saved.columns or any(name not in saved.columns for name in needed):
        return None
    saved = saved[saved["sweep"] == str(sweep_dir)].reset_index(drop=True)
    now = pd.read_csv(io.StringIO(fresh.to_csv(index=False)), dtype=str, keep_default_na=False)
    if len(saved) != len(now) or not saved[list(fresh.columns)].equals(now):
        return None
    # float() reads back exactly what to_csv wrote (pandas' own parser may differ in the last bit)
    intervals = saved[list(INTERVAL_COLUMNS)].map(lambda text: float(text) if text else float("nan"))
    return intervals.set_axis(fresh.index)


def collect_study(
    sweep_dirs: Sequence[Path], data_root: str | None = None, n_boot: int = 2000, bootstrap_seed: int = 0
) -> Study:
    """`collect` for the report: each folder's intervals from its own results.csv when current
    (`current_intervals`), else computed here with `n_boot` and `bootstrap_seed` (collect's defaults), so the
    report's table is collect's table without bootstrapping a sweep twice."""
    runs = load_runs(sweep_dirs)
    df = keep_dataset(tidy(runs), data_root)
    parts, reused, without = [], [], []
    for sweep in dict.fromkeys(map(str, sweep_dirs)):
        fresh = df[df["sweep"] == sweep]
        intervals = current_intervals(Path(sweep), fresh)
        if intervals is None:
            part, missing = add_intervals(fresh, n_boot, bootstrap_seed)
            without += missing
        else:
            part = pd.concat([fresh, intervals], axis=1)
            reused.append(sweep)
        parts.append(part)
    _note_without(without)
    table = pd.concat(parts) if parts else add_intervals(df, n_boot, bootstrap_seed)[0]
    return Study(runs, table, [check_completeness(sweep_dir, runs) for sweep_dir in sweep_dirs], reused)


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
    written = write_results(df, out or folders[0] / RESULTS_FILE)
    n_runs = df[["sweep", "run_dir"]].drop_duplicates().shape[0]
    print(f"wrote {written} ({len(df)} rows, {n_runs} runs)", file=sys.stderr)
    return written
