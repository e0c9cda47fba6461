"""The tests of one paired difference (a level vs the baseline, one group of sets, one metric): its estimate,
the two-level bootstrap interval and p, the crossed t, the seed-only fallback, and its power parts."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from fakeid.analysis import power
from fakeid.analysis.bootstrap import percentile_interval
from fakeid.analysis.compare.comparison import BOOTSTRAP, SEED_ONLY
from fakeid.analysis.resampling import bootstrap_p, crossed_t, mark_p, paired_replicates
from fakeid.analysis.stats import paired_t

RunKey = tuple[str, str]  # (sweep, run_dir)


@dataclass
class Pairs:
    """The paired runs of one level and the draws its bootstrap replicates share (one stream per level)."""

    pairs: list[tuple[RunKey, RunKey]]  # (level run, baseline run) per common seed
    with_scores: bool  # every paired run has scores.csv: the bootstrap; else the seed-only paired t
    seed_draws: np.ndarray  # (n_boot, k) seeds drawn per replicate
    own_draws: np.ndarray  # (n_boot, k) an image resample per slot (nested sets)


def difference(
    pairs: Pairs,
    sets: Sequence[str],
    set_designs: Sequence[str],
    metric: str,
    observed: Callable[[RunKey, Sequence[str], str], float],
    resampled: Callable[[RunKey, str, str], np.ndarray],
    n_images: float,
    confidence: float,
    effect: float,
) -> dict[str, Any]:
    """The columns of one row of the comparison table that its tests give (module docstring of
    `fakeid.analysis.compare`): diff, the interval and p of the bootstrap (or the paired t), the crossed t, the
    intersection-union p, the variance parts and the power figures."""
    k = len(pairs.pairs)
    differences = np.array([observed(a, sets, metric) - observed(b, sets, metric) for a, b in pairs.pairs])
    diff = float(np.nanmean(differences)) if k and not np.isnan(differences).all() else math.nan
    t_low, t_high, t_p = paired_t(differences, confidence) if k else (math.nan,) * 3
    var_image, image_replicates, p_boot = math.nan, None, math.nan
    resampling = set_designs[0] if len(set(set_designs)) == 1 else "mixed"
    if pairs.with_scores:
        per_set = [
            np.stack([resampled(a, name, metric) - resampled(b, name, metric) for a, b in pairs.pairs]) for name in sets
        ]
        replicated, image_replicates = paired_replicates(per_set, set_designs, pairs.seed_draws, pairs.own_draws)
        low, high = percentile_interval(replicated, confidence)
        p_boot, method = bootstrap_p(replicated), BOOTSTRAP
        if not np.isnan(image_replicates).all():
            var_image = float(np.nanmean(image_replicates.var(axis=0, ddof=1)))
    else:
        low, high, method, resampling = t_low, t_high, SEED_ONLY, "none"
    parts = power.components(differences, image_replicates, n_images)
    ct_low, ct_high, ct_p = crossed_t(differences, parts.image, confidence) if pairs.with_scores else (math.nan,) * 3
    # the intersection-union p: the bootstrap's and the crossed t's both (module docstring)
    p_value = mark_p(p_boot, ct_p) if pairs.with_scores else t_p
    var_seed = float(np.nanvar(differences, ddof=1)) if k >= 2 else math.nan
    return {
        "diff": diff,
        "ci_low": low,
        "ci_high": high,
        "p": p_value,
        "excludes_zero": bool(low > 0 or high < 0),
        "p_boot": p_boot,
        "ct_ci_low": ct_low,
        "ct_ci_high": ct_high,
        "ct_p": ct_p,
        "seed_dominated": bool(k >= 2 and var_seed > 2 * var_image) if not math.isnan(var_image) else False,
        "method": method,
        "resampling": resampling,
        "t_ci_low": t_low,
        "t_ci_high": t_high,
        "t_p": t_p,
        "var_seed": var_seed,
        "var_image": var_image,
        "vc_seed": parts.seed,
        "vc_image": parts.image,
        "vc_interaction": parts.interaction,
        "mde": power.detectable_difference(parts.per_seed, k, shared=parts.image),
        "seeds_needed": power.seeds_needed(parts.per_seed, effect, shared=parts.image),
    }
