"""The numbers of the study's figures: the rows a figure selects, its points with their intervals, its trend
lines, the paired comparison behind its marks, and the sentences of its caption (`fakeid.analysis.figures.study`
puts them together per figure)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from fakeid.analysis.compare import Comparison, compare
from fakeid.analysis.figures.figure import (
    CATEGORIES,
    CSV_COLUMNS,
    DATASET_KIND,
    DATASET_KIND_TEXT,
    DROP_RATE,
    SEED,
    Options,
)
from fakeid.analysis.rows import RUN_KEY
from fakeid.analysis.stats import summarize
from fakeid.analysis.trends import ALPHA, claim, line_text, trend_test
from fakeid.core.errors import FakeidError


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
        for end, fitted in zip(ends, test.predict(ends), strict=True)
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
) -> tuple[Comparison | None, str]:
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
        return _categories_text(float(value))  # type: ignore[arg-type]  # a number of categories
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
