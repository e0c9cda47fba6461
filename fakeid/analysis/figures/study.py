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
apart (`by_augmentation`).
"""

from __future__ import annotations

import math
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import matplotlib

matplotlib.use("Agg")  # files only; never a display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from fakeid.analysis.compare import compare, compare_runs  # noqa: E402
from fakeid.analysis.pictures import open_markers, write_figure_files  # noqa: E402
from fakeid.analysis.rows import (  # noqa: E402, F401 - some re-exported: fakeid.analysis.figures.robustness and tests use them
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
from fakeid.analysis.stats import summarize  # noqa: E402
from fakeid.analysis.trends import ALPHA, claim, line_text, p_text, trend_test  # noqa: E402
from fakeid.core.errors import FakeidError  # noqa: E402
from fakeid.core.metric_names import HEADLINE_METRICS, SUMMARY_METRICS, TEST_METRICS  # noqa: E402
from fakeid.data.layout import UNSEEN_GENERATOR  # noqa: E402

CATEGORIES = "data.num_categories"
DROP_RATE = "model.drop_rate"
DATASET_KIND = "data.dataset_kind"
AUGMENT = "augment"  # the training augmentation's label (fakeid.analysis.collect); figures group by it when it varies
DATASET_KIND_TEXT = {"synthetic": "embedded synthetic benchmark", "real": "real data"}
METRIC_TEXT = {
    "acc": "accuracy (threshold 0.5)",
    "acc_cal": "accuracy (validation-calibrated threshold)",
    "ap": "average precision",
    "auroc": "AUROC",
    "real_acc": "accuracy on reals",
    "fake_acc": "accuracy on fakes",
}
LINESTYLE = {"acc_cal": "--"}  # calibrated accuracy dashed beside the solid acc@0.5
CSV_COLUMNS = [
    "figure",
    "panel",
    "metric",
    "series",
    "group",
    "kind",
    "x",
    "mean",
    "ci_low",
    "ci_high",
    "n",
    "slope",
    "slope_ci_low",
    "slope_ci_high",
    "r2",
    "trend_p",
    "trend_direction",
    "lack_of_fit_p",
    "line",
    "clipped",
    "role",
    "sets",
    "n_sets",
    "marked",
    "p_holm",
]
# role of a series: "primary" (the test sets held fixed across x), "secondary" (an average whose sets change
# with x: drawn grey), "per set" (one test set, at the x where it is in the group)
PRIMARY, SECONDARY, PER_SET = "primary", "secondary", "per set"
FIGURES = ("fig1", "fig2", "fig3")
OTHER_GENERATORS = ("fig3_deconvgan",)  # Fig 3 on the unseen generators besides StyleGAN2, where a table has them
SEED = "seed"
ROBUSTNESS = ("figR", "formatbias")  # from evaluation rows: fakeid.analysis.figures.robustness
ANALYSES = ("compare", "plan", "calibration")  # fakeid.analysis: asked for by name, not part of `all`
AUGMENTATION = ("figA",)  # from training rows of an augmentation sweep: fakeid.analysis.figures.augment
CHOICES = (*FIGURES, *ROBUSTNESS, *AUGMENTATION, *OTHER_GENERATORS, *ANALYSES, "all")
UNSEEN_CONTENT_TEXT = "unseen content = test sets of the training generator whose category was not trained on"
TREND_TEXT = (
    "Trend: Page's L with seeds as blocks; dotted line through the level means only where a line fits (lack of "
    "fit p >= 0.05), else the joined means are the trend; clipped intervals (open markers) end at [0, 1]."
)


@dataclass
class Figure:
    """What one figure shows: its numbers (`data`, the CSV) and the words around them."""

    name: str
    data: pd.DataFrame
    title: str
    xlabel: str
    panels: list[tuple[str, str]]  # (panel id, y label)
    caption: str
    integer_x: bool = False
    paths: dict[str, Path] = field(default_factory=dict)
    comparison: object = None  # the fakeid.analysis.compare.Comparison behind the marks, when one was made

    @property
    def trends(self) -> pd.DataFrame:
        """One row per trend: series, slope of the level means with its 95% CI, R^2, n of runs, Page's L p, the
        line's lack-of-fit p and whether the line is drawn (none for Fig R)."""
        columns = [
            "panel",
            "series",
            "slope",
            "slope_ci_low",
            "slope_ci_high",
            "r2",
            "n",
            "trend_p",
            "trend_direction",
            "lack_of_fit_p",
            "line",
        ]
        if "kind" not in self.data.columns:
            return pd.DataFrame(columns=columns)
        rows = self.data[self.data["kind"] == "trend"]
        return rows.drop_duplicates(["panel", "series"])[columns].reset_index(drop=True)


# ----------------------------------------------------------------------------- selecting rows
def per_run_means(rows: pd.DataFrame, metrics: Sequence[str], keep: Sequence[str] = ()) -> pd.DataFrame:
    """One row per run: the mean of each metric over the given test-set rows, plus the `keep` columns (and the
    run's seed, the block of its trend test, where the table has it)."""
    grouped = rows.groupby(RUN_KEY, sort=True)
    means = grouped[list(metrics)].mean()
    keep = [*keep, *([SEED] if SEED in rows.columns and SEED not in keep else [])]
    if keep:
        means = means.join(grouped[list(keep)].first())
    return means.reset_index()


def _unseen_content(rows: pd.DataFrame, figure: str, source: str) -> pd.DataFrame:
    unseen = rows[rows["seen_generator"] & ~rows["seen_category"]]
    if unseen.empty:
        raise FakeidError(
            f"{figure} needs test sets of the training generator with unseen content "
            f"(seen_generator True, seen_category False); {source} has none"
        )
    return unseen


def _values_text(values: pd.Series) -> str:
    return ", ".join(str(value) for value in sorted(values.dropna().unique()))


def _pick_fixed(
    per_run: pd.DataFrame, fixed: str, varied: str, wanted: float | None, figure: str, source: str
) -> float:
    """The value of `fixed` to plot: `wanted`, else the one whose runs cover most values of `varied`."""
    available = per_run[fixed].dropna().unique()
    if wanted is not None:
        if not np.isclose(available, wanted).any():
            raise FakeidError(
                f"{figure}: {source} has no runs with {fixed}={wanted} (has {_values_text(per_run[fixed])})"
            )
        return float(available[np.isclose(available, wanted)][0])
    coverage = per_run.groupby(fixed)[varied].agg(["nunique", "size"]).reset_index()
    if coverage.empty:
        raise FakeidError(f"{figure} needs runs with {fixed} recorded; {source} has none")
    # Most values of `varied`, then most runs, then the largest value (e.g. the most diverse training mix).
    return float(coverage.sort_values(["nunique", "size", fixed], ascending=False).iloc[0][fixed])


def _require_spread(values: pd.Series, column: str, figure: str, source: str, where: str = "") -> None:
    if values.nunique() < 2:
        raise FakeidError(
            f"{figure} needs runs with more than one {column}{where}; {source} has only {_values_text(values)}"
        )


# ----------------------------------------------------------------------------- numbers of a figure
def bounded(mean: float, low: float, high: float) -> tuple[float, float, float, bool]:
    """A metric's mean and interval held to [0, 1], where every metric of these figures lives, and whether the
    interval was cut there (so the CSV and the drawing flag it instead of cutting it silently). `summarize`
    already cuts a share's t interval to [0, 1] (`stats.mean_ci`); a bound reached while the mean lies strictly
    inside can only come from that cut (a t interval is symmetric), so it is flagged here too."""
    values = [mean, low, high]
    clipped = any(not pd.isna(v) and (v < 0.0 or v > 1.0) for v in values) or (
        not pd.isna(mean) and 0.0 < mean < 1.0 and (low == 0.0 or high == 1.0)
    )
    mean, low, high = (v if pd.isna(v) else min(1.0, max(0.0, float(v))) for v in values)
    return mean, low, high, clipped


def _point_rows(per_run: pd.DataFrame, x: str, metric: str, **labels: object) -> list[dict]:
    table = summarize(per_run, [x], metric)
    rows = []
    for _, row in table.iterrows():
        if row["n"] <= 0:
            continue
        mean, low, high, clipped = bounded(row["mean"], row["ci_low"], row["ci_high"])
        rows.append(
            {
                **labels,
                "metric": metric,
                "kind": "point",
                "x": row[x],
                "mean": mean,
                "ci_low": low,
                "ci_high": high,
                "n": row["n"],
                "clipped": clipped,
            }
        )
    return rows


def _trend_rows(per_run: pd.DataFrame, x: str, metric: str, **labels: object) -> list[dict]:
    """The series' trend (`fakeid.analysis.trends`): two rows, the line through the level means at its ends,
    each carrying the slope, its interval, Page's L and the line's lack of fit."""
    test = trend_test(per_run, x, metric, block=SEED)
    data = per_run[[x, metric]].dropna()
    ends = [float(data[x].min()), float(data[x].max())]
    return [
        {
            **labels,
            "metric": metric,
            "kind": "trend",
            "x": end,
            "mean": fitted,
            "ci_low": math.nan,
            "ci_high": math.nan,
            "n": test.n_runs,
            "slope": test.slope,
            "slope_ci_low": test.slope_ci_low,
            "slope_ci_high": test.slope_ci_high,
            "r2": test.r2,
            "trend_p": test.trend_p,
            "trend_direction": test.direction,
            "lack_of_fit_p": test.lack_of_fit_p,
            "line": test.line_fits,
        }
        for end, fitted in zip(ends, test.predict(ends))
    ]


def trend_sentence(per_run: pd.DataFrame, x: str, metric: str, what: str) -> str:
    """A caption's words on one series' trend: the claim and whether its line is drawn."""
    test = trend_test(per_run, x, metric, block=SEED)
    return f"{what} {claim(test)}, {line_text(test)}"


def _categories_text(categories: float) -> str:
    return f"{int(categories)} training categor{'y' if int(categories) == 1 else 'ies'}"


def _has_values(frame: pd.DataFrame, metric: str) -> bool:
    return metric in frame.columns and frame[metric].notna().any()


def _describe_runs(rows: pd.DataFrame, data: pd.DataFrame) -> str:
    kinds = rows[DATASET_KIND].dropna().unique() if DATASET_KIND in rows.columns else []
    kind_text = " + ".join(DATASET_KIND_TEXT.get(kind, str(kind)) for kind in sorted(kinds)) or "data kind not recorded"
    counts = data.loc[data["kind"] == "point", "n"].astype(int)
    low, high = int(counts.min()), int(counts.max())
    per_point = f"n = {low} runs (seeds) per point" if low == high else f"n = {low}-{high} runs (seeds) per point"
    generators = _values_text(rows.loc[rows["seen_generator"], "generator"]) if "generator" in rows.columns else "?"
    unknown = rows.attrs.get("unknown_sets") or []
    left_out = f"; left out (content unknown: no category level): {', '.join(unknown)}" if unknown else ""
    return f"{kind_text}; trained on {generators}; mean \u00b1 95% CI, {per_point}{left_out}"


def _frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows).reindex(columns=CSV_COLUMNS)


@dataclass
class Options:
    """The figure keys of conf/figures.yaml that choose a slice or tune the comparison behind the marks."""

    drop_rate: float | None = None
    num_categories: int | None = None
    baseline: object = None
    variable: str | None = None
    n_boot: int = 2000
    bootstrap_seed: int = 0
    effect: float = 0.05  # the default of conf/figures.yaml's `effect`
    run: str | None = None
    level: object = None
    min_bin_count: int = 10


def _sets_of(rows: pd.DataFrame) -> tuple[str, int]:
    names = sorted(rows["set"].astype(str).unique())
    return "; ".join(names), len(names)


def _with_sets(points: list[dict], rows: pd.DataFrame, x: str) -> list[dict]:
    """Each point gets the sets its runs' values average (`sets`, `n_sets`) at its x."""
    for point in points:
        at_x = rows[np.isclose(rows[x].astype(float), float(point["x"]))]
        point["sets"], point["n_sets"] = _sets_of(at_x)
    return points


def _marks(
    rows: pd.DataFrame, variable: str, groups: dict, metrics: Sequence[str], options: Options, source: str
) -> tuple[object, str]:
    """The paired comparison behind a figure's marks (baseline: `options.baseline` or the smallest level), and
    a caption sentence; without a comparison (one seed, one level, ...) None and the reason."""
    baseline = options.baseline if options.variable in (None, variable) else None
    try:
        comparison = compare(
            rows,
            variable,
            baseline,
            metrics=list(metrics),
            groups=groups,
            n_boot=options.n_boot,
            bootstrap_seed=options.bootstrap_seed,
            effect=options.effect,
            source=source,
        )
    except FakeidError as err:
        return None, f"No paired comparison ({err})."
    method = comparison.table["method"].iloc[0] if len(comparison.table) else "?"
    return comparison, (
        f"* marks a level whose paired difference from {_level_text(variable, comparison.baseline)} has a "
        f"Holm-adjusted p < 0.05 ({method}; p is the larger of the bootstrap's over seeds and shared test images "
        "and the crossed t's; the family is every level x group x metric of the figure's comparison; p_holm in the CSV)"
    )


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _level_text(variable: str, value: object) -> str:
    if variable == CATEGORIES:
        return _categories_text(float(value))
    return f"{'dropout' if variable == DROP_RATE else variable} {value:g}" if isinstance(value, float) else str(value)


def _apply_marks(points: list[dict], comparison: object, group: str, metric: str) -> list[dict]:
    if comparison is None:
        return points
    marks = comparison.marks(group, metric)  # type: ignore[attr-defined]
    for point in points:
        supported, p_holm = marks.get(round(float(point["x"]), 9), (None, math.nan))
        # the figure's own rule on top of the comparison's: a star needs the Holm-adjusted p under 5 % too
        point["marked"] = None if supported is None else bool(supported) and bool(p_holm < ALPHA)
        point["p_holm"] = p_holm
    return points


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
        power_text = f" {_sentence(comparison.power_statement(UNSEEN_CONTENT))}; {marks_text}."  # type: ignore
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
        statements = "; ".join(comparison.power_statement(one) for one in set_names)  # type: ignore[attr-defined]
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


# ----------------------------------------------------------------------------- drawing
def draw(figure: Figure) -> plt.Figure:
    """Draw a figure from its `data` table only, so the CSV is exactly what is plotted."""
    # Constrained layout makes room for the title, the caption and the legends below the axes.
    columns = 2 if len(figure.panels) > 3 else len(figure.panels)  # four panels: two rows of two
    lines = math.ceil(len(figure.panels) / columns)
    fig, axes = plt.subplots(
        lines,
        columns,
        figsize=(6.2 * columns, (4.8 if lines == 1 else 6.4) * lines),
        squeeze=False,
        layout="constrained",
    )
    roles = figure.data["role"] if "role" in figure.data.columns else pd.Series("", index=figure.data.index)
    groups = list(dict.fromkeys(figure.data.loc[roles != SECONDARY, "group"].astype(str)))
    palette = plt.get_cmap("tab10" if len(groups) <= 10 else "tab20")
    colors = {group: palette(index % palette.N) for index, group in enumerate(groups)}
    for ax in axes.ravel()[len(figure.panels) :]:
        ax.set_visible(False)
    for ax, (panel, ylabel) in zip(axes.ravel(), figure.panels):
        panel_rows = figure.data[figure.data["panel"] == panel]
        handles = []  # legend in drawing order: each series, then its trend
        for (series, metric), rows in panel_rows.groupby(["series", "metric"], sort=False):
            secondary = rows.get("role", pd.Series([""])).iloc[0] == SECONDARY
            color = "0.55" if secondary else colors[str(rows["group"].iloc[0])]
            points = rows[rows["kind"] == "point"].sort_values("x")
            lower = (points["mean"] - points["ci_low"]).fillna(0.0)
            upper = (points["ci_high"] - points["mean"]).fillna(0.0)
            handles.append(
                ax.errorbar(
                    points["x"],
                    points["mean"],
                    yerr=[lower, upper],
                    color=color,
                    marker="o",
                    markersize=4,
                    capsize=3,
                    linestyle="-." if secondary else LINESTYLE.get(metric, "-"),
                    alpha=0.8 if secondary else 1.0,
                    label=series,
                )
            )
            if "marked" in points.columns:
                marked = points[points["marked"].fillna(False).astype(bool)]
                if not marked.empty:
                    ax.plot(marked["x"], marked["mean"], linestyle="none", marker="*", markersize=11, color=color)
            if "clipped" in points.columns:  # an interval that reached outside [0, 1]: shown as clipped
                clipped = points[points["clipped"].fillna(False).astype(bool)]
                if not clipped.empty:
                    open_markers(ax, clipped["x"], clipped["mean"], color, size=9)
            trend = rows[rows["kind"] == "trend"].sort_values("x")
            if not trend.empty:
                first = trend.iloc[0]
                drawn = _flag(first.get("line", True), default=True)
                handles += ax.plot(
                    trend["x"] if drawn else [],
                    trend["mean"] if drawn else [],
                    color=color,
                    linestyle=":",
                    linewidth=1.5,
                    label=_trend_label(first, drawn),
                )
        ax.set_xlabel(figure.xlabel)
        ax.set_ylabel(ylabel)
        # every metric lives in [0, 1]; a t-interval over 2-3 seeds can reach far outside it, so the view is
        # fixed there (the CSV keeps the full intervals)
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
        # Below the axes: with several test sets a legend inside would hide points.
        ax.legend(handles=handles, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), frameon=False)
        if figure.integer_x:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.suptitle(f"{figure.title}\n{textwrap.fill(figure.caption, 150)}", fontsize=9)
    return fig


def _r2_text(r2: float) -> str:
    return "n/a" if pd.isna(r2) else f"{r2:.2f}"


def _flag(value: object, default: bool) -> bool:
    """A CSV's boolean cell (True, "True", NaN for a CSV written before the column existed)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return default
    return str(value).lower() in ("true", "1", "1.0")


def _trend_label(row: pd.Series, drawn: bool) -> str:
    """A trend's legend entry: Page's L, and either the line's slope or why no line is drawn."""
    page = "" if pd.isna(row.get("trend_p")) else f"Page's L p = {p_text(float(row['trend_p']))}, "
    lof = row.get("lack_of_fit_p")
    if not drawn:
        return f"  trend: {page}no line: lack of fit p = {p_text(float(lof))} (means joined)"
    ci = "" if pd.isna(row["slope_ci_low"]) else f" [{row['slope_ci_low']:+.3f}, {row['slope_ci_high']:+.3f}]"
    return f"  trend: {page}line of the means, slope {row['slope']:+.3f}{ci}, R\u00b2 {_r2_text(row['r2'])}"


def save(figure: Figure, out_dir: str | Path) -> Figure:
    """Write `<name>.png`, `.pdf` and `.csv` into `out_dir`; returns the figure with `paths` filled in."""
    figure.paths = write_figure_files(draw(figure), figure.data, out_dir, figure.name, meta=figure_meta(figure))
    return figure


def figure_meta(figure: Figure) -> dict:
    """The words of a figure that its CSV does not hold: with them `redraw` draws it from the CSV alone."""
    return {
        "name": figure.name,
        "title": figure.title,
        "xlabel": figure.xlabel,
        "panels": [list(panel) for panel in figure.panels],
        "caption": figure.caption,
        "integer_x": figure.integer_x,
    }


def redraw(csv: str | Path, meta: dict) -> plt.Figure:
    """A figure drawn again from its CSV and its `<name>.json` (`figure_meta`): the docs' demo pictures."""
    data = pd.read_csv(csv)
    panels = [(str(panel), str(label)) for panel, label in meta["panels"]]
    figure = Figure(meta["name"], data, meta["title"], meta["xlabel"], panels, meta["caption"], meta["integer_x"])
    return draw(figure)


def by_augmentation(make: Callable[[pd.DataFrame], Figure], df: pd.DataFrame) -> Figure:
    """`make(df)`; when the runs differ in training augmentation (column `augment`, fakeid.analysis.collect), `make` on
    each augmentation's runs, merged into one figure: every series and colour group carries its augmentation,
    so no point pools runs trained differently. An augmentation whose runs cannot make the figure is left out
    and named in the caption."""
    found = df[AUGMENT].dropna().astype(str).unique() if AUGMENT in df.columns else []
    labels = sorted(found, key=lambda label: (label != "none", label))  # no augmentation first
    if len(labels) < 2:
        return make(df)
    made, left_out = [], []
    for label in labels:
        try:
            made.append((label, make(df[df[AUGMENT].astype(str) == label])))
        except FakeidError as err:
            left_out.append(f"{label} ({err})")
    if not made:
        raise FakeidError(f"no training augmentation has runs for this figure: {'; '.join(left_out)}")
    parts = []
    for label, figure in made:
        data = figure.data.copy()
        data["series"] = data["series"].astype(str) + f" | augment {label}"
        data["group"] = data["group"].astype(str) + f" | {label}"
        parts.append(data)
    figure = made[0][1]
    figure.data = pd.concat(parts, ignore_index=True)
    figure.title += ", by training augmentation"
    figure.caption += f" One line per training augmentation ({', '.join(label for label, _ in made)})."
    figure.caption += f" Left out: {'; '.join(left_out)}." if left_out else ""
    return figure


def fig1(
    df: pd.DataFrame,
    out_dir: str | Path,
    drop_rate: float | None = None,
    source: str = "the results table",
    options: Options | None = None,
) -> Figure:
    return save(by_augmentation(lambda rows: fig1_data(rows, drop_rate, source, options), df), out_dir)


def fig2(
    df: pd.DataFrame, out_dir: str | Path, source: str = "the results table", options: Options | None = None
) -> Figure:
    return save(by_augmentation(lambda rows: fig2_data(rows, source, options), df), out_dir)


def fig3(
    df: pd.DataFrame,
    out_dir: str | Path,
    num_categories: int | None = None,
    source: str = "the results table",
    options: Options | None = None,
    others: bool = False,
) -> Figure:
    """Fig 3 (StyleGAN2's sets), or with `others` fig3_deconvgan (the other unseen generators' sets)."""
    return save(
        by_augmentation(lambda rows: fig3_data(rows, num_categories, source, options, others=others), df), out_dir
    )


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
    rows["condition"] = [condition_label(g, c) for g, c in zip(rows["seen_generator"], rows["seen_category"])]
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
    rows["condition"] = [condition_label(g, c) for g, c in zip(rows["seen_generator"], rows["seen_category"])]
    per_run = rows.groupby([*RUN_KEY, "condition", *by], dropna=False)[list(metrics)].mean().reset_index()
    return summarize(per_run, ["condition", *by], list(metrics))


# ----------------------------------------------------------------------------- CLI
