"""Resampling seeds and test images together: the paired comparison's replicates, crossed or nested.

A sweep's runs are scored on test images. When every seed is scored on the same images (fakeid's sweeps: one
test folder), seeds and images are *crossed* factors: an image that is hard for seed 0 is hard for seed 1 too,
so the per-image paired differences of different seeds are correlated (about 0.7 on the demo's categories
sweep). A bootstrap that draws each seed's images independently (the *nested* design) averages that shared
image noise away and its intervals are too narrow. The crossed replicate is Owen's pigeonhole bootstrap
(Owen 2007, "The pigeonhole bootstrap"; Owen & Eckles 2012): draw k seeds with replacement and ONE stratified
image resample per test set, used by every drawn seed (and both runs of each pair). Nested is kept for sweeps
that really test each seed on its own images; `design_of` tells the two apart from the image paths.

A set's image-resample replicates are computed once per run (`fakeid.analysis.bootstrap`, one random stream per
set: replicate b of every run uses the same images), so a crossed replicate b reads column b of every drawn
seed, and a nested one reads an independently drawn column per drawn seed.

`crossed_t` is the t test that matches the crossed design: the seeds' sample variance of the differences (in
which the shared image noise cancels) over k, plus the shared image variance, on k - 1 degrees of freedom
(fakeid.analysis.power models its power).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy import stats as scipy_stats

from fakeid.core.errors import FakeidError

CROSSED, NESTED = "crossed", "nested"


def design_of(paths_by_seed: Mapping[Any, Sequence[str]], set_name: str) -> str:
    """CROSSED when every seed's runs were scored on the same images of `set_name`, NESTED when no two seeds
    share an image; a partial overlap is refused in one line: the nested bootstrap would ignore the shared images'
    correlation (too narrow) and the crossed one needs the same images for every seed."""
    distinct = {tuple(paths) for paths in paths_by_seed.values()}
    if len(distinct) <= 1:
        return CROSSED
    seen: dict[str, Any] = {}
    for seed, paths in paths_by_seed.items():
        for path in paths:
            if path in seen and seen[path] != seed:
                shared = len(set(paths) & set(paths_by_seed[seen[path]]))
                raise FakeidError(
                    f"test set {set_name}: seeds {seen[path]} and {seed} share {shared} of their "
                    f"{len(paths)} images but not all; expected every seed scored on the same images (crossed) "
                    "or each seed on its own (nested)"
                )
            seen[path] = seed
    return NESTED


def slot_replicates(
    per_set: Sequence[np.ndarray], designs: Sequence[str], seed_index: np.ndarray, own_draws: np.ndarray
) -> np.ndarray:
    """(n_boot, k) values: slot j of replicate b holds the mean over sets of the seed `seed_index[b, j]`'s
    difference on that replicate's image resample of each set (`per_set[i]`: (k, n_boot) per-seed replicates of
    set i): column b for a crossed set, column `own_draws[b, j]` for a nested one."""
    n_boot = seed_index.shape[0]
    shared = np.broadcast_to(np.arange(n_boot)[:, None], seed_index.shape)
    total = np.zeros(seed_index.shape, dtype=np.float64)
    for values, design in zip(per_set, designs, strict=True):
        total += values[seed_index, shared if design == CROSSED else own_draws]
    return total / len(per_set)


def paired_replicates(
    per_set: Sequence[np.ndarray], designs: Sequence[str], seed_draws: np.ndarray, own_draws: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The bootstrap replicates of the mean paired difference ((n_boot,): seeds drawn by `seed_draws`), and the
    per-seed image replicates with the seeds held fixed ((n_boot, k): what `fakeid.analysis.power.components`
    reads the image variance parts from)."""
    k = per_set[0].shape[0]
    fixed = np.broadcast_to(np.arange(k)[None, :], seed_draws.shape)
    return slot_replicates(per_set, designs, seed_draws, own_draws).mean(axis=1), slot_replicates(
        per_set, designs, fixed, own_draws
    )


def bootstrap_p(replicates: np.ndarray) -> float:
    """Two-sided: twice the smaller share of replicates on either side of 0, counted as (count+1)/(n+1)."""
    values = replicates[~np.isnan(replicates)]
    if values.size == 0:
        return math.nan
    below = (np.count_nonzero(values <= 0) + 1) / (values.size + 1)
    above = (np.count_nonzero(values >= 0) + 1) / (values.size + 1)
    return float(min(1.0, 2 * min(below, above)))


def mark_p(bootstrap: float, crossed: float) -> float:
    """The p behind a mark: the larger of the crossed bootstrap's and the crossed t's. An intersection-union
    test (it rejects only when both do), so it holds its level where either does: at 3 seeds the bootstrap is
    too narrow where seed noise dominates and the crossed t conservative where shared image noise does
    (fakeid.analysis.simulation measures both)."""
    return max(bootstrap, crossed)


def crossed_t(differences: np.ndarray, shared: float, confidence: float = 0.95) -> tuple[float, float, float]:
    """The t interval and two-sided p of the mean of per-seed `differences` with standard error
    `sqrt(s^2 / k + shared)` on k - 1 degrees of freedom (`shared`: the image variance all seeds share; NaN or 0
    gives the seed-only paired t). NaN with fewer than 2 seeds."""
    values = np.asarray(differences, dtype=float)
    values = values[~np.isnan(values)]
    k = values.size
    if k < 2:
        return math.nan, math.nan, math.nan
    shared = 0.0 if math.isnan(shared) else max(0.0, float(shared))
    mean = float(values.mean())
    se = math.sqrt(float(values.var(ddof=1)) / k + shared)
    if se == 0:
        return mean, mean, (1.0 if mean == 0 else 0.0)
    half = float(scipy_stats.t.ppf(0.5 + confidence / 2, k - 1)) * se
    return mean - half, mean + half, float(2 * scipy_stats.t.sf(abs(mean) / se, k - 1))
