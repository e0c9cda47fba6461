"""add_intervals fills its columns as arrays, assigned once: the table it writes is byte for byte the one the old
cell-by-cell writes made (the reference below is that code, kept here only to hold the new one to it)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from fakeid.analysis import collect
from fakeid.analysis.bootstrap import seed_sequence, set_intervals, stratified_resamples, wilson_interval
from fakeid.analysis.collect.columns import INTERVAL_COLUMNS, SCORES_COLUMN
from fakeid.analysis.scores import read_scores
from fakeid.core.metric_names import RANKING_METRICS
from tests.helpers.fake_scores import add_scores
from tests.helpers.fake_sweep import write_fake_sweep


def _cell_by_cell(df: pd.DataFrame, n_boot: int, bootstrap_seed: int) -> tuple[pd.DataFrame, list[str]]:
    """add_intervals as it was before the columns were built whole (a pandas write per run and set)."""
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
            if name not in per_set:
                without.append(f"{sweep}/{run_dir} (set {name})")
                continue
            data = per_set[name]
            rng = np.random.default_rng(seed_sequence(bootstrap_seed, "images", name))
            intervals = set_intervals(data.scores, data.labels, stratified_resamples(data.labels, n_boot, rng))
            for metric in RANKING_METRICS:
                df.loc[index, [f"{metric}_img_low", f"{metric}_img_high"]] = intervals[metric]
    return df, without


def test_intervals_written_whole_equal_the_cell_by_cell_table(tmp_path: Path) -> None:
    sweep = write_fake_sweep(tmp_path / "sweep", fail=(2,), missing=(5,))
    add_scores(sweep, n_per_class=8, skip=(3,))  # job 3 keeps no scores: its AP and AUROC intervals stay empty
    plain, _ = collect.collect([sweep.path], n_boot=None)
    # the table as collect holds it, and one whose index is out of order with gaps (a sweep's slice of a study)
    for table in (plain, plain.set_index(plain.index * 3 + 1).iloc[::-1]):
        new, new_without = collect.add_intervals(table, n_boot=50, bootstrap_seed=3)
        old, old_without = _cell_by_cell(table, n_boot=50, bootstrap_seed=3)
        assert new_without == old_without and any("(set" not in name for name in new_without)
        assert new[list(INTERVAL_COLUMNS)].notna().any().all()  # every column has numbers: the check can fail
        collect.write_results(new, tmp_path / "new.csv")
        collect.write_results(old, tmp_path / "old.csv")
        assert (tmp_path / "new.csv").read_bytes() == (tmp_path / "old.csv").read_bytes()
