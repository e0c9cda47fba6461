"""Per run and test set, 95 % intervals over the set's images (the `*_img_low/high` columns of results.csv)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from fakeid.analysis.bootstrap import seed_sequence, seeded_resamples, set_intervals, wilson_interval
from fakeid.analysis.collect.columns import INTERVAL_COLUMNS, SCORES_COLUMN
from fakeid.analysis.scores import read_scores
from fakeid.core.metric_names import RANKING_METRICS


def add_intervals(df: pd.DataFrame, n_boot: int = 2000, bootstrap_seed: int = 0) -> tuple[pd.DataFrame, list[str]]:
    """The table with `INTERVAL_COLUMNS`: per run and test set, 95 % intervals over the set's images. Accuracy
    at 0.5: Wilson's interval (from `acc` and the set's size); AP and AUROC: the stratified bootstrap of
    `fakeid.analysis.bootstrap` on the run's scores.csv (`n_boot` replicates, seeded by `bootstrap_seed` and
    the set's name). Also returns the runs without scores.csv (and `run (set S)` for a scores.csv without set S),
    whose AP and AUROC intervals stay empty.

    The columns are filled as arrays and assigned once: a pandas cell write per run and set (`df.loc[i, [..]]`)
    cost a third of a sweep's collect (BENCHMARKS.md); the numbers are the same."""
    df = df.copy()
    columns = {name: np.full(len(df), np.nan) for name in INTERVAL_COLUMNS}
    position = pd.Series(np.arange(len(df)), index=df.index)  # label -> row, the index as the table has it
    tested = df["set"].notna() & (df["status"] == "ok")
    sizes = pd.to_numeric(df["n_real"], errors="coerce") + pd.to_numeric(df["n_fake"], errors="coerce")
    accuracy = pd.to_numeric(df["acc"], errors="coerce")
    for index in df.index[tested & sizes.notna() & accuracy.notna()]:
        n = float(sizes[index])
        row = position[index]
        columns["acc_img_low"][row], columns["acc_img_high"][row] = wilson_interval(round(accuracy[index] * n), n)
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
            resamples = seeded_resamples(data.labels, n_boot, seed_sequence(bootstrap_seed, "images", name))
            intervals = set_intervals(data.scores, data.labels, resamples)
            row = position[index]
            for metric in RANKING_METRICS:
                columns[f"{metric}_img_low"][row], columns[f"{metric}_img_high"][row] = intervals[metric]
    return df.assign(**columns), without
