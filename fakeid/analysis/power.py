"""The power of a sweep: the smallest paired difference it detects, and the seeds and test images one needs.

A level's difference from the baseline, measured on seed s and a test set of m images, is
`d_s = delta + u_s + a + e_s`: the true difference, seed noise (training sample and initial weights, variance
`seed`), the noise of the test images that every seed shares (`image`: all runs are scored on the same images,
so the same hard images move every seed's difference alike), and the seed x image interaction (`interaction`:
the part of the image noise that differs between seeds). The two image parts are variances of a set mean, so
they shrink as `n_images / m` with m images. The mean over k seeds then has variance

    V(k, m) = (seed + interaction * r) / k + image * r,    r = n_images / m,

and the shared image part does not average out over seeds: beyond some number of seeds only more test images
help. `components` estimates the three parts from a pilot: the covariance across seeds of the image-resample
replicates (one resample shared by every seed, `fakeid.analysis.resampling`) is `image`, the rest of their
variance is `interaction`, and the seeds' sample variance of `d_s` (in which the shared part cancels) less
`interaction` is `seed`.

The test is the crossed t (`fakeid.analysis.resampling.crossed_t`): `mean(d) / sqrt(V_hat)` on k - 1 degrees of
freedom. Its power at a true difference `delta` is that of the noncentral t, `T ~ t'(k - 1, delta / sqrt(V))`,
two-sided at `alpha` (`scipy.stats.nct`). With 3 seeds and no shared image noise, 80 % power needs a difference
of 3.26 sd of one seed's difference; the normal approximation this module used before said 1.62, so its
"detectable difference" was about half the true one. No power is stated for fewer than 2 seeds (no t test).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize
from scipy import stats as scipy_stats

ALPHA, POWER = 0.05, 0.80
MAX_SEEDS = 1000  # seeds_needed answers "more than this" (math.inf) beyond it


@dataclass(frozen=True)
class Components:
    """The variance parts of a per-seed paired difference at the pilot's `n_images` (module docstring)."""

    seed: float
    image: float
    interaction: float
    n_seeds: int
    n_images: float

    def variance(self, n_seeds: int, n_images: float | None = None) -> float:
        """V(k, m): the variance of the mean difference over `n_seeds` seeds on sets of `n_images` images."""
        if n_seeds < 1 or math.isnan(self.seed):
            return math.nan
        ratio = 1.0 if n_images is None else self.n_images / float(n_images)
        return (self.seed + self.interaction * ratio) / n_seeds + self.image * ratio

    @property
    def per_seed(self) -> float:
        """The variance of one seed's difference around the shared part: seed + interaction."""
        return self.seed + self.interaction


def components(seed_differences: np.ndarray, image_replicates: np.ndarray | None, n_images: float) -> Components:
    """`Components` from the k observed per-seed differences and their (n_boot, k) image-resample replicates
    (None or NaN: no scores.csv; then the image parts are NaN and `seed` holds all the seeds' variance).
    Replicates drawn with one image resample per replicate shared by all seeds (crossed) give the shared part as
    their covariance; drawn independently per seed (nested: each seed its own images) the covariance is about 0."""
    values = np.asarray(seed_differences, dtype=float)
    k = int(values.size)
    sample = float(np.var(values, ddof=1)) if k >= 2 and not np.isnan(values).any() else math.nan
    if image_replicates is None or np.isnan(image_replicates).any():
        return Components(sample, math.nan, math.nan, k, n_images)
    reps = np.asarray(image_replicates, dtype=float)
    cov = np.atleast_2d(np.cov(reps, rowvar=False, ddof=1))
    total = float(np.mean(np.diag(cov)))
    off = cov[~np.eye(len(cov), dtype=bool)]
    shared = float(min(total, max(0.0, off.mean()))) if off.size else 0.0
    interaction = total - shared
    seed = max(0.0, sample - interaction) if not math.isnan(sample) else math.nan
    return Components(seed, shared, interaction, k, n_images)


def _rejects(critical, dof, shift):
    """P(|T| > critical) for T ~ t'(dof, shift): the upper tail plus the lower one, which scipy's nct may give as
    NaN far out (it is below 1e-15 there, counted as 0)."""
    lower = np.nan_to_num(scipy_stats.nct.cdf(-critical, dof, shift), nan=0.0)
    return scipy_stats.nct.sf(critical, dof, shift) + lower


def power_of(delta: float, variance: float, n_seeds: int, alpha: float = ALPHA) -> float:
    """The two-sided crossed t test's power at a true difference `delta` (module docstring)."""
    if n_seeds < 2 or not variance > 0 or math.isnan(delta):
        return math.nan
    dof = n_seeds - 1
    critical = float(scipy_stats.t.ppf(1 - alpha / 2, dof))
    shift = abs(delta) / math.sqrt(variance)
    return float(_rejects(critical, dof, shift))


# Memoised: a figures process compares one sweep for several figures' marks and for its table, which ask for
# the same (variance, seeds, alpha) again; scipy's noncentral t was half of each comparison (the sandbox,
# 2026-12-07). Pure functions of their numbers, so a cached answer is the answer.
@functools.lru_cache(maxsize=65536)
def detectable_difference(
    sigma2: float, n_seeds: int, alpha: float = ALPHA, power: float = POWER, shared: float = 0.0
) -> float:
    """The smallest difference `n_seeds` seeds detect with `power` at level `alpha`, by the noncentral t; `sigma2`
    is one seed's variance of the difference (seed + interaction) and `shared` the image variance every seed
    shares (0: a test set per seed). NaN with fewer than 2 seeds or an unknown variance."""
    if n_seeds < 2 or math.isnan(sigma2) or math.isnan(shared):
        return math.nan
    variance = sigma2 / n_seeds + shared
    if not variance > 0:
        return 0.0
    dof = n_seeds - 1
    critical = float(scipy_stats.t.ppf(1 - alpha / 2, dof))

    def short(nc: float) -> float:
        return float(_rejects(critical, dof, nc)) - power

    upper = critical + 10.0
    while short(upper) < 0:  # heavy tails (1 degree of freedom, a tiny alpha) need a far noncentrality
        upper *= 2
        if upper > 1e7:
            return math.inf
    return float(optimize.brentq(short, 0.0, upper) * math.sqrt(variance))


@functools.lru_cache(maxsize=65536)
def seeds_needed(
    sigma2: float,
    effect: float,
    alpha: float = ALPHA,
    power: float = POWER,
    shared: float = 0.0,
    max_seeds: int = MAX_SEEDS,
) -> float:
    """The fewest seeds (at least 2) whose crossed t test detects `effect` with `power`; math.inf when more than
    `max_seeds` would be needed or the shared image noise alone forbids it (more test images are needed then),
    NaN when the variance is unknown."""
    if math.isnan(sigma2) or math.isnan(shared) or not effect > 0:
        return math.nan
    seeds = np.arange(2, max_seeds + 1)
    variance = sigma2 / seeds + shared
    dof = seeds - 1
    critical = scipy_stats.t.ppf(1 - alpha / 2, dof)
    with np.errstate(divide="ignore"):
        shift = np.where(variance > 0, effect / np.sqrt(np.where(variance > 0, variance, 1.0)), np.inf)
    reached = _rejects(critical, dof, shift) >= power
    reached |= ~np.isfinite(shift)
    return float(seeds[np.argmax(reached)]) if reached.any() else math.inf


IMAGE_FACTORS = (1, 2, 4)  # the planner's test-set sizes, as multiples of the pilot's


def plan_row(
    parts: Components, effect: float, alpha: float = ALPHA, power: float = POWER, family: int = 1
) -> dict[str, float]:
    """What a sweep with these variance parts needs for `effect`: the detectable difference at the pilot's seeds
    and images, and the seeds needed with 1x, 2x and 4x the pilot's test images (math.inf: not with seeds alone),
    for one test at `alpha` and (`mark_*`) for a mark in a Holm family of `family` comparisons, at
    `alpha / family`: Holm's first step, so a bound the mark's power is at least."""
    row = {
        "mde": detectable_difference(parts.per_seed, parts.n_seeds, alpha, power, shared=parts.image),
        "mde_mark": detectable_difference(parts.per_seed, parts.n_seeds, alpha / family, power, shared=parts.image),
    }
    for prefix, level in (("seeds_needed", alpha), ("mark_seeds", alpha / family)):
        for factor in IMAGE_FACTORS:
            per_seed = parts.seed + parts.interaction / factor
            row[f"{prefix}_x{factor}"] = seeds_needed(per_seed, effect, level, power, shared=parts.image / factor)
    return row


def pooled_plan(table: pd.DataFrame, effect: float) -> pd.DataFrame:
    """The planner's table from a comparison's rows (`fakeid.analysis.compare` COLUMNS): per group and metric,
    the variance parts averaged over the levels compared, the paired seeds (fewest), and `plan_row` (the family:
    the table's rows, compare's Holm family)."""
    family = max(1, len(table))
    rows = []
    for (group, metric), part in table.groupby(["group", "metric"], sort=False):
        parts = Components(
            seed=float(part["vc_seed"].mean()),
            image=float(part["vc_image"].mean()),
            interaction=float(part["vc_interaction"].mean()),
            n_seeds=int(part["n_seeds"].min()),
            n_images=float(part["n_images"].mean()),
        )
        rows.append(
            {
                "group": group,
                "metric": metric,
                "n_seeds": parts.n_seeds,
                "n_images": parts.n_images,
                "vc_seed": parts.seed,
                "vc_image": parts.image,
                "vc_interaction": parts.interaction,
                "sd": math.sqrt(parts.per_seed) if not math.isnan(parts.per_seed) else math.nan,
                "effect": effect,
                "family": family,
                **plan_row(parts, effect, family=family),
            }
        )
    return pd.DataFrame(rows)
