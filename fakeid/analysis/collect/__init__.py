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

import sys
from pathlib import Path
from typing import Sequence

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
from fakeid.runs.files import SCORES_FILE

__all__ = [  # what callers import from fakeid.analysis.collect
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
    sweep_dirs = [Path(sweep_dir) for sweep_dir in sweep_dirs]
    if not sweep_dirs:
        raise FakeidError("sweeps=[]: expected at least one sweep or evaluation folder")
    for sweep_dir in sweep_dirs:
        if not sweep_dir.is_dir():
            raise FakeidError(f"{sweep_dir}: no such sweep folder")
    df, reports = collect(sweep_dirs, data_root, n_boot, bootstrap_seed)
    for report in reports:
        print(report.summary(), file=sys.stderr)
    written = write_results(df, out or sweep_dirs[0] / "results.csv")
    n_runs = df[["sweep", "run_dir"]].drop_duplicates().shape[0]
    print(f"wrote {written} ({len(df)} rows, {n_runs} runs)", file=sys.stderr)
    return written
