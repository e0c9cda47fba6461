"""Resampling the images of a test set, vectorised over the resamples.

A resample of a test set is a vector of counts (how often each image is drawn), stratified by class: the
reals are drawn with replacement from the reals and the fakes from the fakes, so every resample keeps the
set's `n_real` and `n_fake` (and AP and AUROC stay defined). A metric of a resample is the metric of the set
with each image weighted by its count; all resamples are computed at once from one sort of the scores:

- accuracy: the weighted fraction of images on the right side of the threshold (score >= threshold: fake);
- AP: `sum_k (R_k - R_{k-1}) * P_k` over the distinct scores in descending order (recall R, precision P
  from weighted cumulative counts of fakes and reals), the step-wise definition torchmetrics and sklearn use;
- AUROC: the trapezoid under the weighted ROC curve at the distinct scores (a tie counts one half).

With every count 1 these equal `fakeid.evaluation.metrics.metrics_of_set` (tests/unit/analysis/test_bootstrap.py
checks it); the weighted form is a second implementation only because a resample needs weights and a batch
dimension.

Random numbers come from `numpy.random.default_rng(seed_sequence(...))` keyed by `bootstrap_seed` and the
set's name, so two runs scored on the same images draw the same resamples (their difference is paired at
the image level too) and the same call gives the same numbers on every machine.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator, Sequence

import numpy as np
from scipy import stats as scipy_stats

from fakeid.core.metric_names import RANKING_METRICS, SUMMARY_METRICS

BOOT_METRICS = SUMMARY_METRICS
CHUNK_CELLS = 4_000_000  # resamples x images held at once (about 32 MB of float64 per array)


def seed_sequence(bootstrap_seed: int, *keys: object) -> np.random.SeedSequence:
    """A seed sequence from `bootstrap_seed` and any keys (text is hashed, so it does not depend on Python's
    per-process string hashing)."""
    words = [int(bootstrap_seed)]
    for key in keys:
        words.append(int.from_bytes(hashlib.sha256(str(key).encode()).digest()[:4], "little"))
    return np.random.SeedSequence(words)


def _chunks(n_boot: int, n_images: int) -> Iterator[int]:
    size = max(1, CHUNK_CELLS // max(1, n_images))
    for start in range(0, n_boot, size):
        yield min(size, n_boot - start)


def stratified_counts(labels: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """(n_boot, n) counts: each row draws as many reals (fakes) with replacement from the reals (fakes)."""
    labels = np.asarray(labels)
    counts = np.zeros((n_boot, labels.size), dtype=np.float64)
    rows = np.arange(n_boot)[:, None]
    for value in (0, 1):
        members = np.flatnonzero(labels == value)
        if members.size == 0:
            continue
        draws = rng.integers(0, members.size, size=(n_boot, members.size))
        flat = np.bincount((rows * members.size + draws).ravel(), minlength=n_boot * members.size)
        counts[:, members] = flat.reshape(n_boot, members.size)
    return counts


def weighted_metrics(
    scores: np.ndarray, labels: np.ndarray, weights: np.ndarray, threshold: float | None = None
) -> dict[str, np.ndarray]:
    """acc (at 0.5), acc_cal (at `threshold`; NaN when None), AP and AUROC of each row of `weights` (shape
    (B, n), one weight per image of `scores`/`labels`, shape (n,))."""
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.float64)
    weights = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    total = weights.sum(axis=1)
    fake = labels == 1

    def accuracy(cut: float) -> np.ndarray:
        correct = ((scores >= cut) == fake).astype(np.float64)
        return weights @ correct / total

    result = {"acc": accuracy(0.5)}
    result["acc_cal"] = (
        accuracy(threshold) if threshold is not None and not math.isnan(threshold) else np.full(len(weights), np.nan)
    )
    order = np.argsort(-scores, kind="stable")
    ordered = scores[order]
    # the last position of each run of equal scores: the thresholds of the curves
    ends = np.flatnonzero(np.r_[ordered[1:] != ordered[:-1], True])
    w = weights[:, order]
    true_pos = np.cumsum(w * labels[order], axis=1)[:, ends]
    false_pos = np.cumsum(w * (1 - labels[order]), axis=1)[:, ends]
    positives, negatives = true_pos[:, -1:], false_pos[:, -1:]
    with np.errstate(invalid="ignore", divide="ignore"):
        called = true_pos + false_pos
        precision = np.where(called > 0, true_pos / np.where(called > 0, called, 1), 0.0)
        gained = np.diff(true_pos, axis=1, prepend=0.0)
        result["ap"] = (gained * precision).sum(axis=1) / positives[:, 0]
        previous_tp = np.concatenate([np.zeros((len(w), 1)), true_pos[:, :-1]], axis=1)
        added_fp = np.diff(false_pos, axis=1, prepend=0.0)
        result["auroc"] = (added_fp * (true_pos + previous_tp) / 2).sum(axis=1) / (positives[:, 0] * negatives[:, 0])
    undefined = (positives[:, 0] == 0) | (negatives[:, 0] == 0)
    result["ap"][undefined] = np.nan
    result["auroc"][undefined] = np.nan
    return result


def bootstrap_set(
    scores: np.ndarray,
    labels: np.ndarray,
    n_boot: int,
    rng: np.random.Generator,
    threshold: float | None = None,
) -> dict[str, np.ndarray]:
    """`n_boot` stratified resamples of one test set: metric -> (n_boot,) values (see the module docstring)."""
    labels = np.asarray(labels)
    parts = [
        weighted_metrics(scores, labels, stratified_counts(labels, size, rng), threshold)
        for size in _chunks(n_boot, labels.size)
    ]
    return {name: np.concatenate([part[name] for part in parts]) for name in BOOT_METRICS}


def percentile_interval(samples: np.ndarray, confidence: float = 0.95) -> tuple[float, float]:
    """The percentile interval of bootstrap replicates (NaN replicates dropped; NaN when none is left)."""
    values = np.asarray(samples, dtype=np.float64)
    values = values[~np.isnan(values)]
    if values.size == 0:
        return math.nan, math.nan
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def wilson_interval(successes: float, n: float, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson's score interval for a proportion `successes / n` (NaN for n == 0)."""
    if not n or (isinstance(n, float) and math.isnan(n)):
        return math.nan, math.nan
    z = float(scipy_stats.norm.ppf(0.5 + confidence / 2))
    share = successes / n
    centre = (share + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def set_intervals(
    scores: np.ndarray,
    labels: np.ndarray,
    n_boot: int,
    rng: np.random.Generator,
    confidence: float = 0.95,
    metrics: Sequence[str] = RANKING_METRICS,
) -> dict[str, tuple[float, float]]:
    """Per-set image-level intervals: accuracy at 0.5 by Wilson (exact counts), the `metrics` by the
    stratified bootstrap."""
    labels = np.asarray(labels)
    correct = float(((np.asarray(scores) >= 0.5) == (labels == 1)).sum())
    result = {"acc": wilson_interval(correct, labels.size, confidence)}
    replicates = bootstrap_set(scores, labels, n_boot, rng)
    result.update({name: percentile_interval(replicates[name], confidence) for name in metrics})
    return result
