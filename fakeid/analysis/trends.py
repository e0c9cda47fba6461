"""Trends that do not assume a line: is a metric monotone in an ordered hyper-parameter, and is a line fair?

A sweep runs every level (number of categories, dropout ratio) with the same seeds, so the runs are a seeds x
levels table, not independent points. Three numbers per drawn series:

- `trend_p`: Page's L test (`scipy.stats.page_trend_test`) with the seeds as blocks (rows) and the levels in
  their order as treatments (columns): does the metric rank the levels in increasing (or decreasing) order
  within seeds? It assumes no shape, only monotony. Two-sided: twice the smaller of the two one-sided p
  (capped at 1), `direction` the side with the smaller p. Only seeds with a value at every level take part (a
  seed with a missing cell is left out and counted in `note`); fewer than 2 such seeds, or fewer than 3
  levels, give NaN and the reason in `note`.
- `lack_of_fit_p`: the classical lack-of-fit F test of the straight line against the level means, with *pure
  error* from the replicates (the runs at one level): `F = [SS_lof / (L - 2)] / [SS_pe / (N - L)]`, where
  `SS_pe` sums the squared deviations of each run from its level's mean and `SS_lof` those of the level means
  from the line (weighted by the runs at the level). The seed effect stays in the pure error, which makes the
  test conservative (it rejects a line less often than a test with seeds as blocks); with 3 seeds x 6 levels
  it is F(4, 12). NaN with fewer than 3 levels (a line through 2 means always fits) or no replicates.
- the slope and its interval from the **level means** (ordinary least squares on the L means, a t interval
  with L - 2 degrees of freedom), not from the N runs as if they were independent: runs of one seed share
  its training sample, and the figure's question is how the mean moves with the level.

A figure draws its straight line only where the lack of fit is not rejected (`line_fits`: p >= 0.05, or
undefined); elsewhere the level means are joined and the caption says why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

ALPHA = 0.05
CONFIDENCE = 0.95


@dataclass(frozen=True)
class TrendTest:
    """What a figure says about one series: Page's L, the line's lack of fit, the slope of the level means."""

    slope: float
    intercept: float
    slope_ci_low: float
    slope_ci_high: float
    r2: float  # of the line through the level means
    n_levels: int
    n_runs: int
    trend_p: float
    direction: str  # "rises", "falls" or "" (no test)
    lack_of_fit_p: float
    lack_of_fit_f: float
    lack_of_fit_dof: tuple[int, int]
    note: str = ""

    @property
    def line_fits(self) -> bool:
        """Whether a straight line may be drawn: its lack of fit is not rejected (or cannot be tested)."""
        return math.isnan(self.lack_of_fit_p) or self.lack_of_fit_p >= ALPHA

    @property
    def monotone(self) -> bool:
        return not math.isnan(self.trend_p) and self.trend_p < ALPHA

    def predict(self, x) -> np.ndarray:
        return self.intercept + self.slope * np.asarray(x, dtype=float)


def page_trend(table: pd.DataFrame) -> tuple[float, str, str]:
    """(two-sided p, direction, note) of Page's L on a seeds x levels table (columns in level order)."""
    complete = table.dropna(axis=0, how="any")
    dropped = len(table) - len(complete)
    note = f"{dropped} seed{'s' if dropped != 1 else ''} without a value at every level left out" if dropped else ""
    if table.shape[1] < 3:
        return math.nan, "", _join(note, f"Page's L needs 3 or more levels (has {table.shape[1]})")
    if len(complete) < 2:
        return math.nan, "", _join(note, f"Page's L needs 2 or more seeds with every level (has {len(complete)})")
    data = complete.to_numpy(dtype=float)
    up = scipy_stats.page_trend_test(data).pvalue
    down = scipy_stats.page_trend_test(data[:, ::-1]).pvalue
    p = min(1.0, 2.0 * min(up, down))
    return float(p), "rises" if up <= down else "falls", note


def lack_of_fit(x: np.ndarray, y: np.ndarray) -> tuple[float, float, tuple[int, int]]:
    """(F, p, (dof_lof, dof_pe)) of the line's lack of fit against the level means, pure error from replicates."""
    levels = np.unique(x)
    n_levels, n_runs = levels.size, x.size
    dof_lof, dof_pe = n_levels - 2, n_runs - n_levels
    if dof_lof < 1 or dof_pe < 1:
        return math.nan, math.nan, (dof_lof, dof_pe)
    slope, intercept = np.polyfit(x, y, 1)  # the run-level line: the model whose fit is tested
    ss_pe = ss_lof = 0.0
    for level in levels:
        at = y[x == level]
        ss_pe += float(((at - at.mean()) ** 2).sum())
        ss_lof += at.size * float((at.mean() - (intercept + slope * level)) ** 2)
    if ss_pe == 0:
        return (math.inf, 0.0, (dof_lof, dof_pe)) if ss_lof > 0 else (math.nan, math.nan, (dof_lof, dof_pe))
    f = (ss_lof / dof_lof) / (ss_pe / dof_pe)
    return float(f), float(scipy_stats.f.sf(f, dof_lof, dof_pe)), (dof_lof, dof_pe)


def mean_line(levels: np.ndarray, means: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, ...]:
    """(slope, intercept, ci_low, ci_high, r2) of least squares through the level means (t with L - 2 dof)."""
    if levels.size < 2:
        return (math.nan,) * 5
    result = scipy_stats.linregress(levels, means)
    r2 = float(result.rvalue**2) if np.ptp(means) > 0 else math.nan
    if levels.size < 3:
        return float(result.slope), float(result.intercept), math.nan, math.nan, r2
    half = float(scipy_stats.t.ppf(0.5 + confidence / 2, levels.size - 2)) * float(result.stderr)
    return float(result.slope), float(result.intercept), result.slope - half, result.slope + half, r2


def trend_test(runs: pd.DataFrame, x: str, y: str, block: str = "seed") -> TrendTest:
    """The trend of `y` over the ordered levels of `x`, one row per run, `block` naming its seed (runs without
    a `block` column count as one seed each)."""
    data = runs[[x, y, *([block] if block in runs.columns else [])]].dropna(subset=[x, y])
    xs, ys = data[x].to_numpy(dtype=float), data[y].to_numpy(dtype=float)
    means = data.groupby(x, sort=True)[y].mean()
    slope, intercept, low, high, r2 = mean_line(means.index.to_numpy(dtype=float), means.to_numpy(dtype=float))
    if block in data.columns:
        table = data.pivot_table(index=block, columns=x, values=y, aggfunc="mean").sort_index(axis=1)
        trend_p, direction, note = page_trend(table)
    else:
        trend_p, direction, note = math.nan, "", f"no `{block}` column: Page's L needs the seeds"
    f, lof_p, dof = lack_of_fit(xs, ys)
    if math.isnan(lof_p):
        note = _join(note, "lack of fit untestable (fewer than 3 levels or no replicates)")
    return TrendTest(
        slope=slope,
        intercept=intercept,
        slope_ci_low=low,
        slope_ci_high=high,
        r2=r2,
        n_levels=int(means.size),
        n_runs=int(xs.size),
        trend_p=trend_p,
        direction=direction,
        lack_of_fit_p=lof_p,
        lack_of_fit_f=f,
        lack_of_fit_dof=dof,
        note=note,
    )


def claim(test: TrendTest) -> str:
    """The trend in words, with its test: "rises (Page's L p = 0.003)", "shows no monotone trend (p = 0.41)"."""
    return claim_text(test.trend_p, test.direction, test.note)


def claim_text(trend_p: float, direction: str, note: str = "") -> str:
    """`claim` from the numbers a figure's CSV keeps (`trend_p`, `trend_direction`): the docs render it so."""
    if pd.isna(trend_p):
        return f"has no trend test ({note})" if note else "has no trend test"
    if trend_p < ALPHA:
        return f"{direction} (Page's L p = {p_text(trend_p)})"
    return f"shows no monotone trend (Page's L p = {p_text(trend_p)})"


def line_text(test: TrendTest) -> str:
    """Whether the straight line fits, in words: "a line fits (lack of fit F(4, 12) = 0.9, p = 0.48)" or why
    none is drawn."""
    if math.isnan(test.lack_of_fit_p):
        return "lack of fit untestable"
    dof = f"F({test.lack_of_fit_dof[0]}, {test.lack_of_fit_dof[1]}) = {test.lack_of_fit_f:.1f}, "
    return line_words(test.lack_of_fit_p, dof)


def line_words(lack_of_fit_p: float, statistic: str = "") -> str:
    """`line_text` from a CSV's `lack_of_fit_p` (`statistic`: "F(4, 12) = 13.7, " where known)."""
    if pd.isna(lack_of_fit_p):
        return "lack of fit untestable"
    if lack_of_fit_p >= ALPHA:
        return f"a line fits (lack of fit {statistic}p = {p_text(lack_of_fit_p)})"
    return f"not a line (lack of fit {statistic}p = {p_text(lack_of_fit_p)}): level means joined"


def p_text(p: float) -> str:
    if math.isnan(p):
        return "n/a"
    return f"{p:.2g}" if p < 0.001 else f"{p:.3f}" if p < 0.1 else f"{p:.2f}"


def _join(*parts: str) -> str:
    return "; ".join(part for part in parts if part)
