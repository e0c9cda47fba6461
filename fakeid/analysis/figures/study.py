"""The paper's figures and the per-test-set tables, from the tidy results table of `fakeid.analysis.collect`.

Definitions (stated again in every figure's caption):
- *unseen content*: test sets of the training generator (`seen_generator`) whose category was not in the
  training mix (`not seen_category`); the holdout `sheep` is always among them. Which sets these are changes
  with the number of categories, so Fig 1's primary series is the mean over the sets unseen at *every* n
  (`fakeid.analysis.rows.constant_sets`; the demo's and the paper's: `sheep`), the mean over all of a run's
  unseen-content sets (the paper's "average accuracy on unseen data") is a grey secondary series, and two
  panels show each category's set while it is unseen. Fig 2's lines use, per number of categories, the sets
  unseen at every dropout ratio. Every point records the sets it averages (`sets`, `n_sets`).
- *unseen generator*: test sets with `not seen_generator` (StyleGAN2 horse, FFHQ); each set plotted on its own.
- Points are the mean over runs (seeds) with a 95% CI (`fakeid.analysis.stats.mean_ci`; no bar when n == 1).
  Every metric lives in [0, 1]: an interval (or a mean) reaching outside is clipped to it in the CSV and the
  drawing, and the point is flagged (`clipped`, an open marker), never cut silently.
- Trends (`fakeid.analysis.trends`): per series Page's L with the seeds as blocks (`trend_p`), the lack of fit
  of a straight line (`lack_of_fit_p`) and the slope of the level means with its interval. The line is drawn
  only where it fits (`line` True); elsewhere the joined level means are the trend and the legend says why.
- Fig 1 varies the number of categories at one dropout ratio: the ratio with the most distinct category
  counts unless `drop_rate` is given. Fig 3 shows one number of categories: the one with the most distinct
  dropout ratios unless `num_categories` is given. Ties go to the value with more runs, then the larger
  value. The choice is printed in the title.

Each figure is written as `<name>.png`, `<name>.pdf` and `<name>.csv`. The CSV holds exactly the numbers
drawn (the drawing reads only that table): columns `CSV_COLUMNS`; `kind` is "point" (mean and CI) or
"trend" (the line through the level means at its two ends, with slope, slope CI, R^2, n of runs, `trend_p`,
`trend_direction`, `lack_of_fit_p`, `line`: whether it is drawn); `role` is "primary", "secondary" or "per
set"; `marked` (a star) and `p_holm` come from the paired comparison of each level with the smallest one
(`fakeid.analysis.compare`): a star needs `supported` *and* p_holm < 0.05 (Holm over the comparison's
family, stated in compare.md), and the caption quotes the comparison's power statement for the group it names.

`figure=compare` writes `compare.csv` and `compare.md` (`fakeid.analysis.compare`; keys `baseline`,
`variable`, `n_boot`, `bootstrap_seed`, `effect`); `figure=calibration` writes `calibration.{png,pdf,csv}`,
reliability diagrams per test-set group (`fakeid.analysis.calibration`; `run=` or `level=`). They are entry
points of this app rather than commands of their own because Figs 1-3 need the same comparison for their
marks and the same keys: one dialect, one config (conf/figures.yaml).

Fig R and the format-bias table, drawn from evaluation rows (`kind` "eval"), live in
`fakeid.analysis.figures.robustness`; Figs 1-3 read training rows only (`kind` "train", or a table without `kind`).

CLI (a Hydra app, conf/figures.yaml):
`python -m fakeid.figures figure=NAME csv=[A.csv,B.csv] out=DIR`, NAME one of `CHOICES`
(`drop_rate=` for Figs 1 and A, `num_categories=` for Fig 3, `baseline=` for the comparison). Fig A (unseen
content and generators vs categories, one line per training augmentation) lives in `figures.augment`; when
the runs of a table differ in training augmentation (column `augment`), Figs 1-3 draw each augmentation's lines
apart (`by_augmentation`); so do they each network's when the runs differ in `model.name` (`by_model`).

This module is the figure list (each figure's data and `fig1`-`fig3`); the pieces live beside it: `figure`
(what a figure is, its options and names), `points` (its rows, points, trends and marks), `drawing` (PNG, PDF,
CSV and redrawing) and `tables` (per set, seen vs unseen, the compare and calibration makers).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from fakeid.analysis.figures.drawing import draw, figure_meta, redraw, save  # noqa: F401 - draw, redraw: used through here
from fakeid.analysis.figures.figure import (  # noqa: F401 - CSV_COLUMNS: re-exported for the tests
    AUGMENT,
    CATEGORIES,
    CSV_COLUMNS,
    DROP_RATE,
    METRIC_TEXT,
    MODEL,
    PER_SET,
    PRIMARY,
    SECONDARY,
    TREND_TEXT,
    UNSEEN_CONTENT_TEXT,
    Figure,
    Options,
)
from fakeid.analysis.figures.points import (  # noqa: F401 - bounded: re-exported for the tests
    _apply_marks,
    _categories_text,
    _describe_runs,
    _frame,
    _has_values,
    _marks,
    _pick_fixed,
    _point_rows,
    _require_spread,
    _sentence,
    _trend_rows,
    _unseen_content,
    _with_sets,
    bounded,
    per_run_means,
    trend_sentence,
)
from fakeid.analysis.figures.tables import per_set_table, seen_unseen_table  # noqa: F401 - the notebook's tables
from fakeid.analysis.rows import (  # noqa: F401 - some re-exported: the tests and the notebook use them
    GROUPS,
    RUN_KEY,
    UNSEEN_CONTENT,
    condition_label,
    constant_sets,
    ok_test_rows,
    row_kinds,
    set_list_text,
    sweeps_varying,
    training_rows,
)
from fakeid.core.errors import FakeidError
from fakeid.core.metric_names import HEADLINE_METRICS
from fakeid.data.layout import UNSEEN_GENERATOR


def fig1_data(
    df: pd.DataFrame,
    drop_rate: float | None = None,
    source: str = "the results table",
    options: Options | None = None,
) -> Figure:
    """Fig 1 vs the number of training categories: accuracy and AP on the sets unseen at every n (primary),
    the mean over all unseen-content sets, whose sets change with n (secondary), and each category's set
    while it is unseen (the per-set panels)."""
    options = options or Options(drop_rate=drop_rate)
    drop_rate = drop_rate if drop_rate is not None else options.drop_rate
    metrics = ["acc", "acc_cal", "ap"]
    rows = ok_test_rows(df, "fig1", [CATEGORIES, DROP_RATE, *metrics], source)
    unseen = _unseen_content(rows, "fig1", source)
    per_run = per_run_means(unseen, metrics, keep=[CATEGORIES, DROP_RATE])
    fixed = _pick_fixed(per_run, DROP_RATE, CATEGORIES, drop_rate, "fig1", source)
    rows = rows[np.isclose(rows[DROP_RATE], fixed)]
    unseen = unseen[np.isclose(unseen[DROP_RATE], fixed)]
    per_run = per_run[np.isclose(per_run[DROP_RATE], fixed)]
    _require_spread(per_run[CATEGORIES], CATEGORIES, "fig1", source, f" at {DROP_RATE}={fixed}")
    constant = constant_sets(rows, GROUPS[UNSEEN_CONTENT](rows), CATEGORIES)
    comparison, marks_text = (
        _marks(rows, CATEGORIES, {UNSEEN_CONTENT: GROUPS[UNSEEN_CONTENT]}, metrics, options, source)
        if constant
        else (None, "")
    )
    fixed_rows = unseen[unseen["set"].isin(constant)]
    primary = per_run_means(fixed_rows, metrics, keep=[CATEGORIES]) if constant else per_run.iloc[0:0]
    out: list[dict] = []
    for panel, metric in (("acc", "acc"), ("acc", "acc_cal"), ("ap", "ap")):
        if not _has_values(per_run, metric):
            continue
        if constant:
            labels = {
                "figure": "fig1",
                "panel": panel,
                "series": f"{METRIC_TEXT[metric]} on {set_list_text(constant, 3)} (unseen at every n)",
                "group": metric,
                "role": PRIMARY,
            }
            points = _with_sets(_point_rows(primary, CATEGORIES, metric, **labels), fixed_rows, CATEGORIES)
            out += _apply_marks(points, comparison, UNSEEN_CONTENT, metric)
            if metric != "acc_cal":  # one trend per series keeps the legend readable
                out += _trend_rows(primary, CATEGORIES, metric, **labels)
        if metric == "acc_cal":
            continue
        labels = {
            "figure": "fig1",
            "panel": panel,
            "series": f"{METRIC_TEXT[metric]}, mean over all unseen sets (the sets change with n)",
            "group": f"{metric} (all unseen)",
            "role": SECONDARY,
        }
        out += _with_sets(_point_rows(per_run, CATEGORIES, metric, **labels), unseen, CATEGORIES)
        out += _trend_rows(per_run, CATEGORIES, metric, **labels)
    for panel, metric in (("set_acc", "acc"), ("set_ap", "ap")):
        for test_set, set_rows in unseen.groupby("set", sort=True):
            labels = {"figure": "fig1", "panel": panel, "series": str(test_set), "group": test_set, "role": PER_SET}
            points = _point_rows(set_rows.reset_index(drop=True), CATEGORIES, metric, **labels)
            out += [{**point, "sets": str(test_set), "n_sets": 1} for point in points]
    data = _frame(out)
    trend_text = ""
    if constant:
        trend_text = (
            " "
            + "; ".join(
                trend_sentence(primary, CATEGORIES, metric, f"{METRIC_TEXT[metric]} on the fixed sets")
                for metric in HEADLINE_METRICS
                if _has_values(primary, metric)
            )
            + "."
        )
    if constant:
        which = (
            f"Solid: the set{'s' if len(constant) > 1 else ''} unseen at every n ({set_list_text(constant)}); grey: "
            "the mean over all unseen-content sets, whose sets change with n (composition effect; `sets` in the CSV)"
        )
    else:
        which = "No set is unseen at every n: only the mean over all unseen sets (its sets change with n) is drawn"
    power_text = ""
    if comparison is not None:
        power_text = f" {_sentence(comparison.power_statement(UNSEEN_CONTENT))}; {marks_text}."
    elif marks_text:
        power_text = f" {marks_text}"
    return Figure(
        name="fig1",
        data=data,
        title=f"Fig 1. Detection of unseen content vs number of training categories (dropout {fixed:g})",
        xlabel="number of training categories",
        panels=[
            ("acc", "accuracy on unseen content"),
            ("ap", "AP on unseen content"),
            ("set_acc", "accuracy on category c while c is unseen"),
            ("set_ap", "AP on category c while c is unseen"),
        ],
        caption=f"{_describe_runs(rows, data)}. {UNSEEN_CONTENT_TEXT}. {which}. {TREND_TEXT}{trend_text}{power_text}",
        integer_x=True,
        comparison=comparison,
    )


def fig2_data(df: pd.DataFrame, source: str = "the results table", options: Options | None = None) -> Figure:
    """Fig 2: unseen-content accuracy and AP vs dropout ratio, a line and trend per number of categories, each
    on the unseen-content sets of that mix (the same at every dropout ratio)."""
    options = options or Options()
    metrics = list(HEADLINE_METRICS)
    rows = ok_test_rows(df, "fig2", [CATEGORIES, DROP_RATE, *metrics], source)
    unseen_all = _unseen_content(rows, "fig2", source)
    per_run = per_run_means(unseen_all, metrics, keep=[CATEGORIES, DROP_RATE])
    _require_spread(per_run[DROP_RATE], DROP_RATE, "fig2", source)
    spread = per_run.groupby(CATEGORIES)[DROP_RATE].nunique()
    out: list[dict] = []
    statements, trends = [], []
    for categories in spread[spread >= 2].index:
        line_rows = rows[rows[CATEGORIES] == categories]
        constant = constant_sets(line_rows, GROUPS[UNSEEN_CONTENT](line_rows), DROP_RATE)
        unseen = unseen_all[(unseen_all[CATEGORIES] == categories) & unseen_all["set"].isin(constant)]
        if unseen.empty:
            continue
        runs = per_run_means(unseen, metrics, keep=[CATEGORIES, DROP_RATE])
        groups = {UNSEEN_CONTENT: GROUPS[UNSEEN_CONTENT]}
        comparison, marks_text = _marks(line_rows, DROP_RATE, groups, metrics, options, source)
        if comparison is not None:
            statements.append(f"{_categories_text(categories)}: {comparison.power_statement(UNSEEN_CONTENT)}")
        elif marks_text:
            statements.append(f"{_categories_text(categories)}: {marks_text}")
        for metric in metrics:
            labels = {
                "figure": "fig2",
                "panel": metric,
                "series": _categories_text(categories),
                "group": categories,
                "role": PRIMARY,
            }
            points = _with_sets(_point_rows(runs, DROP_RATE, metric, **labels), unseen, DROP_RATE)
            out += _apply_marks(points, comparison, UNSEEN_CONTENT, metric)
            out += _trend_rows(runs, DROP_RATE, metric, **labels)
            trends.append(trend_sentence(runs, DROP_RATE, metric, f"{metric} at {_categories_text(categories)}"))
    if not out:
        raise FakeidError(f"fig2 needs, for some {CATEGORIES}, runs with more than one {DROP_RATE}; {source} has none")
    data = _frame(out)
    marks = f" {marks_text}." if statements and "marks" in marks_text else ""
    return Figure(
        name="fig2",
        data=data,
        title="Fig 2. Detection of unseen content vs dropout ratio",
        xlabel="dropout ratio",
        panels=[("acc", "accuracy on unseen content (threshold 0.5)"), ("ap", "AP on unseen content")],
        caption=f"{_describe_runs(rows, data)}. {UNSEEN_CONTENT_TEXT} (per line, the sets unseen at every dropout "
        f"ratio; `sets` in the CSV). {TREND_TEXT} {'; '.join(trends)}. {'; '.join(statements)}.{marks}",
    )


def has_other_generators(df: pd.DataFrame) -> bool:
    """Whether a table has test sets of an unseen generator other than StyleGAN2 (then `all` draws fig3_deconvgan)."""
    if "generator" not in df.columns or "seen_generator" not in df.columns:
        return False
    unseen = df[df["seen_generator"].astype(str).str.lower() == "false"]
    return bool((unseen["generator"].dropna().astype(str) != UNSEEN_GENERATOR).any())


def fig3_data(
    df: pd.DataFrame,
    num_categories: int | None = None,
    source: str = "the results table",
    options: Options | None = None,
    others: bool = False,
) -> Figure:
    """Fig 3, the paper's: accuracy (at 0.5 and calibrated) and AP vs dropout ratio on each test set of the
    unseen generator StyleGAN2 (`fakeid.data.layout.UNSEEN_GENERATOR`). `others`: the same on the test sets of
    every other unseen generator (the benchmark's DeconvGAN), as a figure of its own, `fig3_deconvgan`."""
    name = "fig3_deconvgan" if others else "fig3"
    options = options or Options(num_categories=num_categories)
    num_categories = num_categories if num_categories is not None else options.num_categories
    metrics = ["acc", "acc_cal", "ap"]
    rows = ok_test_rows(df, name, [CATEGORIES, DROP_RATE, *metrics], source)
    unseen = rows[~rows["seen_generator"]]
    generator = unseen["generator"].astype(str) if "generator" in unseen.columns else pd.Series("", index=unseen.index)
    unseen = unseen[(generator != UNSEEN_GENERATOR) if others else (generator == UNSEEN_GENERATOR)]
    which = (
        f"an unseen generator other than {UNSEEN_GENERATOR}" if others else f"the unseen generator {UNSEEN_GENERATOR}"
    )
    if unseen.empty:
        raise FakeidError(
            f"{name} needs test sets of {which} (seen_generator False, generator column); {source} has none"
        )
    fixed = _pick_fixed(unseen, CATEGORIES, DROP_RATE, num_categories, name, source)
    unseen = unseen[np.isclose(unseen[CATEGORIES], fixed)]
    _require_spread(unseen[DROP_RATE], DROP_RATE, name, source, f" at {CATEGORIES}={fixed:g}")
    set_names = sorted(unseen["set"].astype(str).unique())
    groups = {one: (lambda frame, one=one: ~frame["seen_generator"] & (frame["set"] == one)) for one in set_names}
    comparison, marks_text = _marks(
        rows[np.isclose(rows[CATEGORIES], fixed)], DROP_RATE, groups, metrics, options, source
    )
    out: list[dict] = []
    trends = []
    for test_set, set_rows in unseen.groupby("set", sort=True):
        seen = set_rows["seen_category"].unique()
        content = condition_label(False, bool(seen[0])) if len(seen) == 1 else "unseen generator, mixed content"
        per_run = per_run_means(set_rows, metrics, keep=[DROP_RATE])  # one row per run already
        for panel, metric in (("acc", "acc"), ("acc", "acc_cal"), ("ap", "ap")):
            if not _has_values(per_run, metric):
                continue
            suffix = ", calibrated threshold" if metric == "acc_cal" else ""
            labels = {
                "figure": name,
                "panel": panel,
                "series": f"{test_set} ({content}){suffix}",
                "group": test_set,
                "role": PER_SET,
                "sets": str(test_set),
                "n_sets": 1,
            }
            out += _apply_marks(_point_rows(per_run, DROP_RATE, metric, **labels), comparison, str(test_set), metric)
            if metric != "acc_cal":  # one trend per series keeps the legend readable
                out += _trend_rows(per_run, DROP_RATE, metric, **labels)
                trends.append(trend_sentence(per_run, DROP_RATE, metric, f"{metric} on {test_set}"))
    data = _frame(out)
    power_text = ""
    if comparison is not None:
        # each set's own power statement, named by its set (a figure of 2-4 sets; never one set's for all)
        statements = "; ".join(comparison.power_statement(one) for one in set_names)
        power_text = f" {_sentence(statements)}; {marks_text}."
    elif marks_text:
        power_text = f" {marks_text}"
    title_generator = (
        "other unseen generators (not the paper's Fig 3)" if others else f"unseen generator {UNSEEN_GENERATOR}"
    )
    return Figure(
        name=name,
        data=data,
        title=f"Fig 3{' (other generators)' if others else ''}. Detection of fakes from the {title_generator} vs "
        f"dropout ratio ({_categories_text(fixed)})",
        xlabel="dropout ratio",
        panels=[("acc", "accuracy"), ("ap", "average precision")],
        caption=f"{_describe_runs(rows, data)}. Each line is one test set of {which}; the calibrated threshold is "
        f"chosen on validation data of the training generator. {TREND_TEXT} {'; '.join(trends)}.{power_text}",
        comparison=comparison,
    )


def by_augmentation(make: Callable[[pd.DataFrame], Figure], df: pd.DataFrame) -> Figure:
    """`make(df)`; when the runs differ in training augmentation (column `augment`, fakeid.analysis.collect), `make` on
    each augmentation's runs, merged into one figure: every series and colour group carries its augmentation,
    so no point pools runs trained differently. An augmentation whose runs cannot make the figure is left out
    and named in the caption."""
    return _split_by(make, df, AUGMENT, "training augmentation", "augment", first="none")


def by_model(make: Callable[[pd.DataFrame], Figure], df: pd.DataFrame) -> Figure:
    """`by_augmentation(make, df)`, and when the runs differ in network (column `model.name`: `model=xception,npr`),
    that on each network's runs, merged the same way: one line per model, never a point pooling two networks."""
    return _split_by(lambda rows: by_augmentation(make, rows), df, MODEL, "model", "model")


def _split_by(
    make: Callable[[pd.DataFrame], Figure], df: pd.DataFrame, column: str, what: str, short: str, first: str = ""
) -> Figure:
    """`make` on each value of `column` when it takes several, merged into one figure (by_augmentation)."""
    found = df[column].dropna().astype(str).unique() if column in df.columns else []
    labels = sorted(found, key=lambda label: (label != first, label))
    if len(labels) < 2:
        return make(df)
    made, left_out = [], []
    for label in labels:
        try:
            made.append((label, make(df[df[column].astype(str) == label])))
        except FakeidError as err:
            left_out.append(f"{label} ({err})")
    if not made:
        raise FakeidError(f"no {what} has runs for this figure: {'; '.join(left_out)}")
    parts = []
    for label, figure in made:
        data = figure.data.copy()
        data["series"] = data["series"].astype(str) + f" | {short} {label}"
        data["group"] = data["group"].astype(str) + f" | {label}"
        parts.append(data)
    figure = made[0][1]
    figure.data = pd.concat(parts, ignore_index=True)
    figure.title += f", by {what}"
    figure.caption += f" One line per {what} ({', '.join(label for label, _ in made)})."
    figure.caption += f" Left out: {'; '.join(left_out)}." if left_out else ""
    return figure


def fig1(
    df: pd.DataFrame,
    out_dir: str | Path,
    drop_rate: float | None = None,
    source: str = "the results table",
    options: Options | None = None,
) -> Figure:
    return save(by_model(lambda rows: fig1_data(rows, drop_rate, source, options), df), out_dir)


def fig2(
    df: pd.DataFrame, out_dir: str | Path, source: str = "the results table", options: Options | None = None
) -> Figure:
    return save(by_model(lambda rows: fig2_data(rows, source, options), df), out_dir)


def fig3(
    df: pd.DataFrame,
    out_dir: str | Path,
    num_categories: int | None = None,
    source: str = "the results table",
    options: Options | None = None,
    others: bool = False,
) -> Figure:
    """Fig 3 (StyleGAN2's sets), or with `others` fig3_deconvgan (the other unseen generators' sets)."""
    return save(by_model(lambda rows: fig3_data(rows, num_categories, source, options, others=others), df), out_dir)


# ----------------------------------------------------------------------------- CLI
