"""Fig A: detection of unseen content and of unseen generators vs the number of training categories, one line
per training augmentation (`+experiment=augment`; docs/augment.md), from the training rows of the tidy table.

Definitions, stated again in the caption:
- *unseen content* and *unseen generator* as in `fakeid.analysis.figures.study` and Fig R: test sets of the training
  generator whose category was not trained on; test sets of any other generator. A run's value is the mean of
  the metric over its sets of the group (the number of unseen-content sets falls as categories are added).
- One line per training augmentation (the collector's `augment` label of the recorded `augment.*` hparams;
  `none` for runs without), at one dropout ratio: the one whose runs cover most category counts (the
  experiment fixes 0).
- Points: mean over runs (seeds) with a Student-t 95% CI (`fakeid.analysis.stats.summarize`; no bar when n == 1).

The robustness grid on the same checkpoints is Fig R (`fakeid.analysis.figures.robustness`), which draws one line per
augmentation and category count when a sweep varies them. Written as `figA.png`, `figA.pdf` and `figA.csv`
(exactly the plotted numbers, the columns of `fakeid.analysis.figures.study.CSV_COLUMNS`).
CLI: `python -m fakeid.figures figure=figA csv=RESULTS.csv out=DIR`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from fakeid.analysis.figures.drawing import save
from fakeid.analysis.figures.figure import AUGMENT, CATEGORIES, DROP_RATE, METRIC_TEXT, UNSEEN_CONTENT_TEXT, Figure
from fakeid.analysis.figures.points import (
    _describe_runs,
    _frame,
    _pick_fixed,
    _point_rows,
    _require_spread,
    per_run_means,
)
from fakeid.analysis.rows import ok_test_rows, training_rows
from fakeid.core.errors import FakeidError
from fakeid.core.metric_names import HEADLINE_METRICS

GROUPS = ("unseen content", "unseen generator")
METRICS = HEADLINE_METRICS


def _group_rows(rows: pd.DataFrame, group: str) -> pd.DataFrame:
    if group == "unseen content":
        return rows[rows["seen_generator"] & ~rows["seen_category"]]
    return rows[~rows["seen_generator"]]


def figA_data(df: pd.DataFrame, drop_rate: float | None = None, source: str = "the results table") -> Figure:
    """Fig A's numbers: per set group and metric, mean and CI over seeds per augmentation and category count."""
    rows = ok_test_rows(training_rows(df), "figA", [CATEGORIES, DROP_RATE, AUGMENT, *METRICS], source)
    rows[AUGMENT] = rows[AUGMENT].fillna("none").astype(str)
    keep = [CATEGORIES, DROP_RATE, AUGMENT]
    fixed = _pick_fixed(per_run_means(rows, METRICS, keep=keep), DROP_RATE, CATEGORIES, drop_rate, "figA", source)
    rows = rows[np.isclose(rows[DROP_RATE], fixed)]
    _require_spread(rows[CATEGORIES], CATEGORIES, "figA", source, f" at {DROP_RATE}={fixed:g}")
    out: list[dict] = []
    groups = [group for group in GROUPS if not _group_rows(rows, group).empty]
    if not groups:
        raise FakeidError(f"figA needs unseen-content or unseen-generator test sets; {source} has none")
    for group in groups:
        per_run = per_run_means(_group_rows(rows, group), METRICS, keep=keep)
        for label, runs in sorted(per_run.groupby(AUGMENT), key=lambda item: (item[0] != "none", item[0])):
            for metric in METRICS:
                labels = {
                    "figure": "figA",
                    "panel": f"{group} | {metric}",
                    "series": f"augment {label}",
                    "group": label,
                }
                out += _point_rows(runs, CATEGORIES, metric, **labels)
    data = _frame(out)
    augmentations = ", ".join(sorted(rows[AUGMENT].unique()))
    return Figure(
        name="figA",
        data=data,
        title=f"Fig A. Unseen content and unseen generators vs number of training categories, by training "
        f"augmentation (dropout {fixed:g})",
        xlabel="number of training categories",
        panels=[(f"{group} | {metric}", f"{METRIC_TEXT[metric]}, {group}") for group in groups for metric in METRICS],
        caption=f"{_describe_runs(rows, data)}. One line per training augmentation ({augmentations}). A run's "
        f"value is its mean over the sets of the group: {UNSEEN_CONTENT_TEXT}; unseen generator = sets of other "
        "generators. The robustness grid on the same checkpoints: Fig R.",
        integer_x=True,
    )


def figA(
    df: pd.DataFrame, out_dir: str | Path, drop_rate: float | None = None, source: str = "the results table"
) -> Figure:
    """Compute, draw and write Fig A as figA.png, figA.pdf and figA.csv in `out_dir`."""
    return save(figA_data(df, drop_rate, source), out_dir)
