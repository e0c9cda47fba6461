"""The statistics every figure and table reports: a mean with its 95% CI, Holm's correction, the paired t.

Trends are not here: `fakeid.analysis.trends` tests them without assuming a line (Page's L, lack of fit).

- `mean_ci`: mean over runs (seeds) with a Student-t interval, `mean +- t(1-a/2, n-1) * sd / sqrt(n)`.
  NaN values are dropped first (a metric can be undefined for a run). With n == 1 the interval is
  undefined and reported as NaN (never as a zero-width interval, which would look like certainty).
  With `bounds` (a metric that is a share: `UNIT_INTERVAL_METRICS`, which `summarize` bounds by name) the
  interval is intersected with [0, 1]: the mean of shares lies in [0, 1], so whenever the t interval covers it
  the cut interval does too, and the coverage is exactly the t interval's (a logit-scale interval would move
  the centre and fail at a seed's value of exactly 0 or 1). fig1.csv had acc_cal [0.189, 1.328] before.
- `holm`: Holm's step-down correction of a family of p-values; `paired_t`: the seed-only paired t test.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from fakeid.core.metric_names import UNIT_INTERVAL_METRICS

CONFIDENCE = 0.95


@dataclass(frozen=True)
class MeanCI:
    mean: float
    ci_low: float
    ci_high: float
    n: int


def _t_quantile(confidence: float, dof: int) -> float:
    return float(scipy_stats.t.ppf(0.5 + confidence / 2.0, dof))


def mean_ci(
    values: Sequence[float] | np.ndarray | pd.Series,
    confidence: float = CONFIDENCE,
    bounds: tuple[float, float] | None = None,
) -> MeanCI:
    """Mean of `values` (NaN dropped) with a two-sided Student-t confidence interval, cut to `bounds` (the
    range of the mean, when the values have one: module docstring)."""
    arr = np.asarray(values, dtype=float)
    arr = arr[~np.isnan(arr)]
    n = int(arr.size)
    if n == 0:
        return MeanCI(math.nan, math.nan, math.nan, 0)
    mean = float(arr.mean())
    if n == 1:
        return MeanCI(mean, math.nan, math.nan, 1)
    half = _t_quantile(confidence, n - 1) * float(arr.std(ddof=1)) / math.sqrt(n)
    low, high = mean - half, mean + half
    if bounds is not None:
        low, high = max(bounds[0], low), min(bounds[1], high)
    return MeanCI(mean, low, high, n)


def metric_bounds(name: str) -> tuple[float, float] | None:
    """(0, 1) for a metric that is a share (`UNIT_INTERVAL_METRICS`), else None (a difference, a slope, ...)."""
    return (0.0, 1.0) if name in UNIT_INTERVAL_METRICS else None


def summarize(
    df: pd.DataFrame, by: Sequence[str], value: str | Sequence[str], confidence: float = CONFIDENCE
) -> pd.DataFrame:
    """The grouped mean and CI of every figure and table: one row per group of `by` (sorted; a NaN key is a
    group too), each value's `mean_ci` over the group's rows.

    One `value` (a column name): columns `by..., mean, ci_low, ci_high, n`, n counting the values that are not
    NaN. Several (a list of metrics, a table): `by..., n, m, m_ci_low, m_ci_high` for each metric m, n counting
    the group's rows. A metric named in `UNIT_INTERVAL_METRICS` gets an interval within [0, 1] (`mean_ci`)."""
    one = isinstance(value, str)
    values: list[str] = [value] if isinstance(value, str) else list(value)
    columns = [*by, "mean", "ci_low", "ci_high", "n"] if one else [*by, "n"]
    if not one:
        columns += [name for metric in values for name in (metric, f"{metric}_ci_low", f"{metric}_ci_high")]
    rows = []
    for key, group in df.groupby(list(by), sort=True, dropna=False):
        row = dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True))
        cis = {metric: mean_ci(group[metric], confidence, metric_bounds(metric)) for metric in values}
        if one:
            ci = cis[values[0]]  # the one metric
            row.update(mean=ci.mean, ci_low=ci.ci_low, ci_high=ci.ci_high, n=ci.n)
        else:
            row["n"] = len(group)
            for metric, ci in cis.items():
                row.update({metric: ci.mean, f"{metric}_ci_low": ci.ci_low, f"{metric}_ci_high": ci.ci_high})
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)


def holm(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Holm's step-down adjustment of a family of p-values (NaN stays NaN and is not counted): sorted
    ascending, the i-th (0-based) of m becomes `max_{j<=i} min(1, (m - j) * p_(j))`, in the input order."""
    p = np.asarray(p_values, dtype=float)
    adjusted = np.full(p.shape, math.nan)
    present = np.flatnonzero(~np.isnan(p))
    m = present.size
    if m == 0:
        return adjusted
    order = present[np.argsort(p[present], kind="stable")]
    scaled = np.minimum(1.0, (m - np.arange(m)) * p[order])
    adjusted[order] = np.maximum.accumulate(scaled)
    return adjusted


def paired_t(differences: Sequence[float] | np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """The Student-t interval and two-sided p-value of the mean of paired differences (NaN dropped): the
    seed-only test (`scipy.stats.ttest_rel` on the two sides gives the same p). NaN with fewer than 2."""
    ci = mean_ci(differences, confidence)
    arr = np.asarray(differences, dtype=float)
    arr = arr[~np.isnan(arr)]
    if arr.size < 2:
        return ci.ci_low, ci.ci_high, math.nan
    sd = float(arr.std(ddof=1))
    if sd == 0:
        return ci.ci_low, ci.ci_high, (1.0 if arr.mean() == 0 else 0.0)
    t = float(arr.mean()) / (sd / math.sqrt(arr.size))
    return ci.ci_low, ci.ci_high, float(2 * scipy_stats.t.sf(abs(t), arr.size - 1))
