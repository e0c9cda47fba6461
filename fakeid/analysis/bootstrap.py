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
from typing import Any

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
    (B, n), one weight per image of `scores`/`labels`, shape (n,)).

    The curves run down the images with every resample at once (arrays of shape (distinct scores, B)): the
    cumulative counts are whole numbers, exact in any order, and each resample's AP and AUROC are summed in
    image order, as the row-wise form summed them (its column-indexed arrays lay in this order in memory), so
    the numbers are the same to the last bit (tests/unit/analysis/test_bootstrap.py)."""
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
    w = weights.T[order]  # (n, B), C order: a row is one image in every resample
    called = _running_sums(w)[ends]
    true_pos = _running_sums(w * labels[order][:, None])[ends]
    false_pos = called - true_pos
    positives, negatives = true_pos[-1], false_pos[-1]
    precision = np.divide(true_pos, called, out=np.zeros_like(called), where=called > 0)
    gained = _steps(true_pos)
    previous_tp = true_pos - gained
    with np.errstate(invalid="ignore", divide="ignore"):
        result["ap"] = (gained * precision).sum(axis=0) / positives
        result["auroc"] = (_steps(false_pos) * (true_pos + previous_tp) / 2).sum(axis=0) / (positives * negatives)
    undefined = (positives == 0) | (negatives == 0)
    result["ap"][undefined] = np.nan
    result["auroc"][undefined] = np.nan
    return result


def _running_sums(rows: np.ndarray) -> np.ndarray:
    """`numpy.cumsum(rows, axis=0)`, one vectorised add per row: numpy's cumsum down the first axis does not
    vectorise across the columns, and took 3-6x as long (0.77 against 0.23 ms for 80 images x 2,000 resamples,
    49 against 7.5 ms for 2,000 images; the sandbox, 2026-12-07). The same numbers: each sum adds the rows in
    the same order."""
    sums = np.empty_like(rows)
    if len(rows):
        sums[0] = rows[0]
    for i in range(1, len(rows)):
        np.add(sums[i - 1], rows[i], out=sums[i])
    return sums


def _steps(cumulative: np.ndarray) -> np.ndarray:
    """What each row adds to the one before (the first row whole): exact, as the counts are whole numbers."""
    steps = cumulative.copy()
    steps[1:] -= cumulative[:-1]
    return steps


Resamples = list[np.ndarray]  # a set's stratified resamples: count matrices of at most CHUNK_CELLS cells each


def stratified_resamples(labels: np.ndarray, n_boot: int, rng: np.random.Generator) -> Resamples:
    """`n_boot` stratified resamples of a set with these labels, drawn from `rng` in chunks of at most
    CHUNK_CELLS counts (`stratified_counts`)."""
    labels = np.asarray(labels)
    return [stratified_counts(labels, size, rng) for size in _chunks(n_boot, labels.size)]


class _Drawn:
    """The resamples drawn last, up to RESAMPLES_KEPT_BYTES, newest kept: every run of a sweep is scored on
    the same test sets, so a sweep's collect or comparison draws each set's resamples once instead of once per
    run. They are a function of the key alone (labels, `n_boot` and the seed), so a kept one is the one that
    would be drawn; kept as the smallest unsigned integers that hold them (a count is at most its class's size)."""

    def __init__(self) -> None:
        self.kept: dict[tuple[Any, ...], list[np.ndarray]] = {}

    def get(self, labels: np.ndarray, n_boot: int, seed: np.random.SeedSequence) -> Resamples:
        labels = np.asarray(labels)
        key = (
            labels.dtype.str,
            labels.tobytes(),
            int(n_boot),
            repr(seed.entropy),
            tuple(seed.spawn_key),
            seed.pool_size,
        )
        if key in self.kept:
            self.kept[key] = self.kept.pop(key)  # newest last
            return [counts.astype(np.float64) for counts in self.kept[key]]
        resamples = stratified_resamples(labels, n_boot, np.random.default_rng(seed))
        compact = np.min_scalar_type(labels.size)
        self.kept[key] = [counts.astype(compact) for counts in resamples]
        while len(self.kept) > 1 and sum(c.nbytes for kept in self.kept.values() for c in kept) > RESAMPLES_KEPT_BYTES:
            del self.kept[next(iter(self.kept))]
        return resamples


RESAMPLES_KEPT_BYTES = 256 * 2**20  # 15 sets of 2,000 images x 2,000 resamples in uint16: 120 MB
_drawn = _Drawn()


def seeded_resamples(labels: np.ndarray, n_boot: int, seed: np.random.SeedSequence) -> Resamples:
    """`stratified_resamples` from a generator seeded by `seed` (as `numpy.random.default_rng(seed)`), drawn
    once for a run of calls with the same labels, `n_boot` and seed (`_Drawn`)."""
    return _drawn.get(labels, n_boot, seed)


def bootstrap_set(
    scores: np.ndarray, labels: np.ndarray, resamples: Resamples, threshold: float | None = None
) -> dict[str, np.ndarray]:
    """The metrics of one test set under each of its `resamples` (`stratified_resamples`, `seeded_resamples`):
    metric -> (n_boot,) values (see the module docstring)."""
    labels = np.asarray(labels)
    parts = [weighted_metrics(scores, labels, counts, threshold) for counts in resamples]
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
    resamples: Resamples,
    confidence: float = 0.95,
    metrics: Sequence[str] = RANKING_METRICS,
) -> dict[str, tuple[float, float]]:
    """Per-set image-level intervals: accuracy at 0.5 by Wilson (exact counts), the `metrics` by the
    stratified bootstrap."""
    labels = np.asarray(labels)
    correct = float(((np.asarray(scores) >= 0.5) == (labels == 1)).sum())
    result = {"acc": wilson_interval(correct, labels.size, confidence)}
    replicates = bootstrap_set(scores, labels, resamples)
    result.update({name: percentile_interval(replicates[name], confidence) for name in metrics})
    return result
