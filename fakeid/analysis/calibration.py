"""Reliability diagrams: is a score of 0.8 fake 80 % of the time?

For a run, or for every run at one level of the swept variable, the images of each test-set group
(`fakeid.analysis.rows.GROUPS`, a run's own group membership) are pooled from the runs' `scores.csv` and cut into
`ECE_BINS` equal bins of the score (`fakeid.evaluation.metrics.calibration_bins`). Each bin gives the mean score (x)
and the fraction of fakes (y); a calibrated detector lies on the diagonal. ECE and Brier score of the pooled
images are in the legend and in `calibration.csv` (columns `CALIBRATION_COLUMNS`, one row per level x group x
bin). Nothing is read from metrics.json, so runs written before it had `ece` and `brier` are drawn alike.

A bin's fraction of fakes is a proportion of its `count` images: each bin carries Wilson's 95 % interval
(`fakeid.analysis.bootstrap.wilson_interval`; `ci_low`, `ci_high`), drawn as its error bar, and its count is
written beside it. A bin with fewer than `min_bin_count` images (default `MIN_BIN_COUNT`, the key
`min_bin_count`) says little (one image draws a fraction of 0 or 1): it is drawn grey and hollow, outside the
joined line (`shown` False in the CSV), and the legend says so. ECE and Brier still count every image.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from fakeid.analysis.bootstrap import wilson_interval
from fakeid.analysis.compare import detect_variable, level_text, match_level, sorted_levels
from fakeid.analysis.pictures import open_markers, write_figure_files
from fakeid.analysis.rows import GROUPS, RUN_KEY, ok_test_rows
from fakeid.analysis.scores import read_scores, scores_file
from fakeid.core.errors import FakeidError
from fakeid.core.metric_names import ECE_BINS

# fakeid.evaluation.metrics holds the one definition of the bins, ECE and Brier score; it imports torch, which only this
# figure pays for (fakeid.analysis.figures.study imports this module when figure=calibration is asked for)
from fakeid.evaluation.metrics import brier, calibration_bins, ece

MIN_BIN_COUNT = 10  # fewer images in a bin: drawn grey, not joined (the key min_bin_count)
CALIBRATION_COLUMNS = [
    "level",
    "group",
    "bin",
    "bin_low",
    "bin_high",
    "count",
    "mean_score",
    "fraction_fake",
    "ci_low",
    "ci_high",
    "shown",
    "ece",
    "brier",
    "n_images",
    "n_runs",
    "runs",
]


def _select_runs(
    df: pd.DataFrame, run: str | None, level: Any, variable: str | None, source: str
) -> tuple[pd.DataFrame, str | None]:
    rows = ok_test_rows(df, "calibration", [], source)
    if run is not None:
        chosen = rows[(rows["run_dir"].astype(str) == str(run)) | (rows["sweep"] + "/" + rows["run_dir"] == str(run))]
        if chosen.empty:
            listed = ", ".join(sorted(rows["run_dir"].astype(str).unique())[:5])
            raise FakeidError(f"run={run}: {source} has no ok run with that run_dir (e.g. {listed})")
        return chosen.assign(_level=f"run {run}"), None
    try:
        variable, rows = detect_variable(rows, variable, source)
    except FakeidError:
        if level is not None or variable is not None:
            raise
        return rows.assign(_level="all runs"), None  # nothing varies: one diagram of every run
    levels = sorted_levels(rows[variable])
    if level is not None:
        wanted = match_level(levels, level, variable, source)
        rows = rows[rows[variable].map(lambda value: level_text(value) == level_text(wanted))]
    return rows.assign(_level=rows[variable].map(lambda value: f"{variable}={level_text(value)}")), variable


def reliability_data(
    df: pd.DataFrame,
    run: str | None = None,
    level: Any = None,
    variable: str | None = None,
    n_bins: int = ECE_BINS,
    source: str = "the results table",
    min_bin_count: int = MIN_BIN_COUNT,
) -> pd.DataFrame:
    """The reliability bins of each level (or the one run) and group: columns `CALIBRATION_COLUMNS`."""
    rows, _ = _select_runs(df, run, level, variable, source)
    missing = []
    loaded = {}
    for key, run_rows in rows.groupby(RUN_KEY, sort=True):
        recorded = run_rows["scores_file"].iloc[0] if "scores_file" in run_rows.columns else None
        path = scores_file(key[0], key[1], recorded, source)
        if path.is_file():
            loaded[key] = read_scores(path)
        else:
            missing.append(str(path.parent))
    if missing:
        raise FakeidError(
            f"calibration needs each run's scores.csv; {len(missing)} runs have none ({', '.join(missing[:3])})"
        )
    out = []
    for level_name, level_rows in rows.groupby("_level", sort=False):
        for group, mask in GROUPS.items():
            member = level_rows[mask(level_rows).to_numpy()]
            if member.empty:
                continue
            scores, labels = [], []
            for (sweep, run_dir), name in zip(
                zip(member["sweep"], member["run_dir"], strict=True), member["set"], strict=True
            ):
                data = loaded[(sweep, run_dir)][str(name)]
                scores.append(data.scores)
                labels.append(data.labels)
            score, label = np.concatenate(scores), np.concatenate(labels)
            count, mean_score, fraction_fake = calibration_bins(score, label, n_bins)
            n_runs = member[RUN_KEY].drop_duplicates().shape[0]
            for index in range(n_bins):
                n_bin = int(count[index])  # the fakes among them: the fraction is fakes / count exactly
                low, high = wilson_interval(round(fraction_fake[index] * n_bin), n_bin) if n_bin else (np.nan, np.nan)
                if n_bin:  # at a fraction of 0 or 1 Wilson's bound is the fraction up to rounding (1e-17)
                    low, high = min(low, fraction_fake[index]), max(high, fraction_fake[index])
                out.append(
                    {
                        "level": level_name,
                        "group": group,
                        "bin": index,
                        "bin_low": index / n_bins,
                        "bin_high": (index + 1) / n_bins,
                        "count": int(count[index]),
                        "mean_score": mean_score[index],
                        "fraction_fake": fraction_fake[index],
                        "ci_low": low,
                        "ci_high": high,
                        "shown": bool(count[index] >= min_bin_count),
                        "ece": ece(score, label, n_bins),
                        "brier": brier(score, label),
                        "n_images": int(score.size),
                        "n_runs": n_runs,
                        "runs": "; ".join(sorted(set(member["run_dir"].astype(str)))),
                    }
                )
    return pd.DataFrame(out, columns=CALIBRATION_COLUMNS)


def draw_reliability(data: pd.DataFrame, title: str, caption: str, min_bin_count: int = MIN_BIN_COUNT) -> plt.Figure:
    """One panel per group, one curve per level: each bin's fraction of fakes with its Wilson interval and its
    image count; bins under `min_bin_count` images (`shown` False) grey and hollow, not joined by the line."""
    groups = list(dict.fromkeys(data["group"]))
    fig, axes = plt.subplots(1, len(groups), figsize=(5.0 * len(groups), 5.0), squeeze=False, layout="constrained")
    levels = list(dict.fromkeys(data["level"]))
    palette = plt.get_cmap("viridis")
    shown_column = data["shown"].astype(str).str.lower() == "true" if "shown" in data.columns else data["count"] > 0
    for ax, group in zip(axes[0], groups, strict=True):
        ax.plot([0, 1], [0, 1], color="0.6", linestyle="--", linewidth=1, label="calibrated")
        for index, level in enumerate(levels):
            at = (data["group"] == group) & (data["level"] == level) & (data["count"] > 0)
            rows, few = data[at & shown_column], data[at & ~shown_column]
            if rows.empty and few.empty:
                continue
            color = palette(index / max(1, len(levels) - 1))
            first = data[at].iloc[0]
            ax.errorbar(
                rows["mean_score"],
                rows["fraction_fake"],
                yerr=[rows["fraction_fake"] - rows["ci_low"], rows["ci_high"] - rows["fraction_fake"]],
                color=color,
                marker="o",
                markersize=3,
                capsize=2,
                elinewidth=0.8,
                label=f"{level}: ECE {first['ece']:.3f}, Brier {first['brier']:.3f} ({first['n_images']} images)",
            )
            for row in rows.itertuples():  # each bin's image count beside its point
                ax.annotate(
                    str(int(row.count)),
                    (row.mean_score, row.fraction_fake),
                    fontsize=5,
                    color=color,
                    xytext=(3, -6),
                    textcoords="offset points",
                )
            if not few.empty:
                open_markers(ax, few["mean_score"], few["fraction_fake"], "0.6", size=4)
        open_markers(ax, [], [], "0.6", size=4, label=f"bin of fewer than {min_bin_count} images (not joined)")
        ax.set_title(group, fontsize=10)
        ax.set_xlabel("mean score in the bin (probability of fake)")
        ax.set_ylabel("fraction of fakes in the bin (Wilson 95 % interval)")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_aspect("equal")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), frameon=False)
    fig.suptitle(f"{title}\n{textwrap.fill(caption, 130)}", fontsize=9)
    return fig


def save_reliability(
    data: pd.DataFrame, out_dir: str | Path, title: str, caption: str, min_bin_count: int = MIN_BIN_COUNT
) -> dict[str, Path]:
    drawn = draw_reliability(data, title, caption, min_bin_count)
    return write_figure_files(
        drawn, data, out_dir, "calibration", meta={"title": title, "caption": caption, "min_bin_count": min_bin_count}
    )
