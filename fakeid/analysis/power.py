"""The power of a sweep: the smallest paired difference it can detect, and the seeds a given one needs.

A level's difference from the baseline on seed s is `d_s = delta + u_s + e_s`: the true difference, seed noise
(training sample and initial weights) and image noise (the finite test set). The comparison estimates `delta`
by the mean over k seeds, whose variance is `sigma2 / k` with `sigma2 = var(u) + var(e)`. `sigma2` is the
sample variance of the observed `d_s` (it holds both parts), but never less than the image-level variance
`var(e)` the bootstrap measures (with 3 seeds the sample variance can come out near 0 by chance).

Normal approximation, two-sided test at level `alpha` with power `power`:
- smallest detectable difference: `(z_{1-alpha/2} + z_{power}) * sqrt(sigma2 / k)`;
- seeds needed for a difference `effect`: `ceil((z_{1-alpha/2} + z_{power})^2 * sigma2 / effect^2)`.
With few seeds a t quantile would be larger: these numbers are optimistic lower bounds, said so in compare.md.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats as scipy_stats

ALPHA, POWER = 0.05, 0.80


def z_sum(alpha: float = ALPHA, power: float = POWER) -> float:
    return float(scipy_stats.norm.ppf(1 - alpha / 2) + scipy_stats.norm.ppf(power))


def difference_variance(seed_differences: np.ndarray, image_variance: float = math.nan) -> float:
    """`sigma2`: the sample variance of the per-seed differences, floored at the image-level variance (either
    alone when the other is unknown: fewer than 2 seeds, or no scores.csv)."""
    values = np.asarray(seed_differences, dtype=float)
    values = values[~np.isnan(values)]
    sample = float(values.var(ddof=1)) if values.size >= 2 else math.nan
    candidates = [value for value in (sample, image_variance) if not math.isnan(value)]
    return max(candidates) if candidates else math.nan


def detectable_difference(sigma2: float, n_seeds: int, alpha: float = ALPHA, power: float = POWER) -> float:
    if math.isnan(sigma2) or n_seeds < 1:
        return math.nan
    return z_sum(alpha, power) * math.sqrt(sigma2 / n_seeds)


def seeds_needed(sigma2: float, effect: float, alpha: float = ALPHA, power: float = POWER) -> float:
    if math.isnan(sigma2) or effect <= 0:
        return math.nan
    return float(math.ceil(z_sum(alpha, power) ** 2 * sigma2 / effect**2))
