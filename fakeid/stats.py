"""The statistics every figure and table reports: a mean with its 95% CI, and a linear trend.

- `mean_ci`: mean over runs (seeds) with a Student-t interval, `mean +- t(1-a/2, n-1) * sd / sqrt(n)`.
  NaN values are dropped first (a metric can be undefined for a run). With n == 1 the interval is
  undefined and reported as NaN (never as a zero-width interval, which would look like certainty).
- `linear_trend`: ordinary least squares `y = intercept + slope * x` with the slope's t interval
  (n-2 degrees of freedom: `slope +- t * sqrt(SSR / (n-2) / Sxx)`) and R^2. With n == 2 the line
  is exact and the slope's interval is NaN; R^2 is NaN when y does not vary.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from fakeid.errors import FakeidError

CONFIDENCE = 0.95


@dataclass(frozen=True)
class MeanCI:
    mean: float
    ci_low: float
    ci_high: float
    n: int


@dataclass(frozen=True)
class Trend:
    slope: float
    intercept: float
    slope_ci_low: float
    slope_ci_high: float
    r2: float
    n: int

    def predict(self, x: Sequence[float] | np.ndarray) -> np.ndarray:
        return self.intercept + self.slope * np.asarray(x, dtype=float)


def _t_quantile(confidence: float, dof: int) -> float:
    return float(scipy_stats.t.ppf(0.5 + confidence / 2.0, dof))


def mean_ci(values: Sequence[float] | np.ndarray | pd.Series, confidence: float = CONFIDENCE) -> MeanCI:
    """Mean of `values` (NaN dropped) with a two-sided Student-t confidence interval."""
    arr = np.asarray(values, dtype=float)
    arr = arr[~np.isnan(arr)]
    n = int(arr.size)
    if n == 0:
        return MeanCI(math.nan, math.nan, math.nan, 0)
    mean = float(arr.mean())
    if n == 1:
        return MeanCI(mean, math.nan, math.nan, 1)
    half = _t_quantile(confidence, n - 1) * float(arr.std(ddof=1)) / math.sqrt(n)
    return MeanCI(mean, mean - half, mean + half, n)


def summarize(df: pd.DataFrame, by: Sequence[str], value: str, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """One row per group of `by`: columns `by..., mean, ci_low, ci_high, n` of column `value`."""
    rows = []
    for key, group in df.groupby(list(by), sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        ci = mean_ci(group[value], confidence)
        rows.append({**dict(zip(by, key)), "mean": ci.mean, "ci_low": ci.ci_low, "ci_high": ci.ci_high, "n": ci.n})
    return pd.DataFrame(rows, columns=[*by, "mean", "ci_low", "ci_high", "n"])


def linear_trend(
    x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray, confidence: float = CONFIDENCE
) -> Trend:
    """Least-squares line through (x, y) (pairs with a NaN dropped) with the slope's t interval."""
    xa = np.asarray(x, dtype=float)
    ya = np.asarray(y, dtype=float)
    if xa.shape != ya.shape:
        raise FakeidError(f"linear_trend needs x and y of the same length; got {xa.size} and {ya.size}")
    keep = ~(np.isnan(xa) | np.isnan(ya))
    xa, ya = xa[keep], ya[keep]
    n = int(xa.size)
    if n < 2 or np.ptp(xa) == 0:
        raise FakeidError(f"linear_trend needs at least two distinct x values; got {sorted(set(xa.tolist()))}")
    x_mean, y_mean = xa.mean(), ya.mean()
    sxx = float(((xa - x_mean) ** 2).sum())
    slope = float(((xa - x_mean) * (ya - y_mean)).sum() / sxx)
    intercept = float(y_mean - slope * x_mean)
    residuals = ya - (intercept + slope * xa)
    ssr = float((residuals**2).sum())
    sst = float(((ya - y_mean) ** 2).sum())
    r2 = 1.0 - ssr / sst if sst > 0 else math.nan
    if n > 2:
        half = _t_quantile(confidence, n - 2) * math.sqrt(ssr / (n - 2) / sxx)
        low, high = slope - half, slope + half
    else:
        low = high = math.nan
    return Trend(slope, intercept, low, high, r2, n)
