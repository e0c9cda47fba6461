"""The study's tables: per set, seen vs unseen, and the table-like makers of `figure=compare` and
`figure=calibration` (what they wrote and the object behind it)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from fakeid.analysis.compare import compare_runs
from fakeid.analysis.figures.figure import CATEGORIES, DROP_RATE, Options
from fakeid.analysis.rows import RUN_KEY, condition_label, ok_test_rows, training_rows
from fakeid.analysis.stats import summarize
from fakeid.core.metric_names import SUMMARY_METRICS, TEST_METRICS


@dataclass
class Written:
    """What a table-like maker wrote (the comparison, the reliability diagram): its files, and the object."""

    paths: dict[str, Path]
    result: object = None


def compare_table(df: pd.DataFrame, out_dir: str | Path, source: str, options: Options) -> Written:
    """figure=compare: compare.csv and compare.md (fakeid.analysis.compare), the summary printed on stderr."""
    comparison = compare_runs(df, options, source)
    paths = comparison.write(out_dir)
    table = comparison.table
    marked = table[table["supported"]]
    print(
        f"compared {comparison.variable} = {', '.join(map(str, comparison.levels))} with the baseline "
        f"{comparison.baseline} ({len(table)} differences, {len(marked)} supported: p_holm < 0.05 over the table, "
        "crossed bootstrap and crossed t both)",
        file=sys.stderr,
    )
    for group in comparison.power["group"].unique():
        print(f"  {comparison.power_statement(group)}", file=sys.stderr)
    for note in comparison.notes:
        print(f"  note: {note}", file=sys.stderr)
    return Written(paths, comparison)


def calibration_figure(df: pd.DataFrame, out_dir: str | Path, source: str, options: Options) -> Written:
    """figure=calibration: reliability diagrams per test-set group (fakeid.analysis.calibration)."""
    from fakeid.analysis import (
        calibration,  # imports torch through fakeid.evaluation.metrics: only this figure pays for it
    )

    data = calibration.reliability_data(
        training_rows(df),
        run=options.run,
        level=options.level,
        variable=options.variable,
        source=source,
        min_bin_count=options.min_bin_count,
    )
    which = f"run {options.run}" if options.run else "one curve per level, the images of its runs pooled"
    caption = (
        f"{which}; {calibration.ECE_BINS} equal-width bins of the score, each with its image count and Wilson 95 % "
        f"interval; bins of fewer than {options.min_bin_count} images (min_bin_count) grey and not joined; "
        "x: mean score, y: fraction of fakes; ECE = sum over bins of (share of images) x |fraction of fakes - "
        "mean score|; Brier = mean (score - label)^2. Groups: each run's own unseen-content, unseen-generator "
        "and seen sets."
    )
    title = "Reliability of the score as a probability of fake"
    paths = calibration.save_reliability(data, out_dir, title, caption, options.min_bin_count)
    return Written(paths, data)


# ----------------------------------------------------------------------------- tables
def per_set_table(
    df: pd.DataFrame,
    by: Sequence[str] = (CATEGORIES, DROP_RATE),
    metrics: Sequence[str] = TEST_METRICS,
    source: str = "the results table",
) -> pd.DataFrame:
    """Mean and 95% CI over runs of each metric, per test set and value of `by` (one row per set x value), and
    where the table has per-set image intervals, `<metric>_img_half`: their mean half width over the runs."""
    rows = ok_test_rows(df, "per_set_table", [*by, *metrics], source)
    rows["condition"] = [
        condition_label(g, c) for g, c in zip(rows["seen_generator"], rows["seen_category"], strict=True)
    ]
    # A set's condition can differ between values of `by` (its category is trained on from some n on).
    table = summarize(rows, ["set", "condition", *by], list(metrics))
    # the image-level uncertainty beside the seeds' (fakeid.analysis.collect.add_intervals): per run the half width of
    # the set's 95 % interval over its images (Wilson for acc, bootstrap for AP and AUROC), averaged over runs
    halves = [m for m in metrics if f"{m}_img_low" in rows.columns and rows[f"{m}_img_low"].notna().any()]
    if halves:
        for metric in halves:
            rows[f"{metric}_img_half"] = (rows[f"{metric}_img_high"] - rows[f"{metric}_img_low"]) / 2
        keys = ["set", "condition", *by]
        image = rows.groupby(keys, dropna=False)[[f"{m}_img_half" for m in halves]].mean().reset_index()
        table = table.merge(image, on=keys, how="left")
    return table


def seen_unseen_table(
    df: pd.DataFrame,
    by: Sequence[str] = (),
    metrics: Sequence[str] = SUMMARY_METRICS,
    source: str = "the results table",
) -> pd.DataFrame:
    """Seen vs unseen generator and content: per run the mean over the sets of each condition, then mean
    and 95% CI over runs, per condition (and value of `by`)."""
    rows = ok_test_rows(df, "seen_unseen_table", [*by, *metrics], source)
    rows["condition"] = [
        condition_label(g, c) for g, c in zip(rows["seen_generator"], rows["seen_category"], strict=True)
    ]
    per_run = rows.groupby([*RUN_KEY, "condition", *by], dropna=False)[list(metrics)].mean().reset_index()
    return summarize(per_run, ["condition", *by], list(metrics))
