"""fakeid.analysis.bootstrap: weighted metrics equal fakeid.evaluation.metrics, the intervals cover at their rate."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats as scipy_stats

from fakeid.analysis.bootstrap import (
    bootstrap_set,
    percentile_interval,
    seed_sequence,
    seeded_resamples,
    stratified_counts,
    stratified_resamples,
    weighted_metrics,
    wilson_interval,
)
from fakeid.evaluation.metrics import metrics_of_set


@pytest.mark.parametrize("trial", range(4))
def test_unit_weights_give_the_metrics_of_fakeid_metrics(trial: int) -> None:
    rng = np.random.default_rng(trial)
    labels = rng.integers(0, 2, 70)
    scores = np.round(rng.random(70) * (0.5 + 0.4 * labels), 1).astype(np.float32)  # many ties
    expected = metrics_of_set(torch.from_numpy(scores), torch.from_numpy(labels), 0.35)
    got = weighted_metrics(scores, labels, np.ones((1, 70)), 0.35)
    for name in ("acc", "acc_cal", "ap", "auroc"):
        assert got[name][0] == pytest.approx(expected[name], abs=1e-6), name


def test_integer_weights_equal_the_metrics_of_the_repeated_images() -> None:
    rng = np.random.default_rng(5)
    labels = np.r_[np.zeros(15), np.ones(15)].astype(np.int64)
    scores = rng.random(30).astype(np.float32)
    counts = stratified_counts(labels, 3, rng)
    got = weighted_metrics(scores, labels, counts, 0.4)
    for row in range(3):
        repeat = counts[row].astype(int)
        expected = metrics_of_set(
            torch.from_numpy(np.repeat(scores, repeat)), torch.from_numpy(np.repeat(labels, repeat)), 0.4
        )
        for name in ("acc", "acc_cal", "ap", "auroc"):
            assert got[name][row] == pytest.approx(expected[name], abs=1e-6), name


def test_stratified_counts_keep_each_class_size() -> None:
    labels = np.array([0] * 7 + [1] * 3)
    counts = stratified_counts(labels, 50, np.random.default_rng(0))
    assert counts.shape == (50, 10)
    assert (counts[:, :7].sum(axis=1) == 7).all() and (counts[:, 7:].sum(axis=1) == 3).all()


def test_wilson_interval_equals_the_hand_formula() -> None:
    # 8 of 10, z = 1.959964: centre (0.8 + z^2/20) / (1 + z^2/10), half z/(1 + z^2/10) sqrt(0.016 + z^2/400)
    z = scipy_stats.norm.ppf(0.975)
    centre = (0.8 + z * z / 20) / (1 + z * z / 10)
    half = z / (1 + z * z / 10) * math.sqrt(0.8 * 0.2 / 10 + z * z / 400)
    assert wilson_interval(8, 10) == pytest.approx((centre - half, centre + half))
    assert wilson_interval(8, 10) == pytest.approx((0.4902, 0.9433), abs=1e-4)  # the published table value
    assert wilson_interval(10, 10)[1] == pytest.approx(1.0)


def test_same_seed_same_replicates_and_another_seed_others() -> None:
    rng = np.random.default_rng(0)
    labels = np.r_[np.zeros(30), np.ones(30)]
    scores = rng.random(60)
    first = bootstrap_set(
        scores, labels, stratified_resamples(labels, 200, np.random.default_rng(seed_sequence(7, "images", "a/b"))), 0.5
    )
    again = bootstrap_set(
        scores, labels, stratified_resamples(labels, 200, np.random.default_rng(seed_sequence(7, "images", "a/b"))), 0.5
    )
    other = bootstrap_set(
        scores, labels, stratified_resamples(labels, 200, np.random.default_rng(seed_sequence(8, "images", "a/b"))), 0.5
    )
    for name in first:
        np.testing.assert_array_equal(first[name], again[name])
    assert not np.array_equal(first["ap"], other["ap"])


def test_intervals_cover_the_truth_at_about_the_nominal_rate() -> None:
    """200 simulated test sets of a binormal detector (reals N(0,1), fakes N(1,1), 100 each): the true AUROC is
    Phi(1/sqrt 2) and the true accuracy at 0.5 is Phi(0.5); the percentile interval of AUROC (300 replicates)
    and Wilson's interval of accuracy must cover them in 90-99 % of the sets."""
    rng = np.random.default_rng(2026)
    true_auroc = scipy_stats.norm.cdf(1 / math.sqrt(2))
    true_acc = scipy_stats.norm.cdf(0.5)
    labels = np.r_[np.zeros(100), np.ones(100)]
    covered_auroc = covered_acc = 0
    for _ in range(200):
        scores = rng.normal(0, 1, 200) + labels
        replicates = bootstrap_set(scores, labels, stratified_resamples(labels, 300, rng))
        low, high = percentile_interval(replicates["auroc"])
        covered_auroc += low <= true_auroc <= high
        low, high = wilson_interval(float(((scores >= 0.5) == (labels == 1)).sum()), 200)
        covered_acc += low <= true_acc <= high
    assert 0.90 <= covered_auroc / 200 <= 0.99
    assert 0.90 <= covered_acc / 200 <= 0.99


def _row_wise_metrics(scores: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> dict[str, np.ndarray]:
    """AP and AUROC as weighted_metrics computed them before it ran down the images (one row per resample)."""
    labels = labels.astype(np.float64)
    order = np.argsort(-scores, kind="stable")
    ordered = scores[order]
    ends = np.flatnonzero(np.r_[ordered[1:] != ordered[:-1], True])
    w = weights[:, order]
    true_pos = np.cumsum(w * labels[order], axis=1)[:, ends]
    false_pos = np.cumsum(w * (1 - labels[order]), axis=1)[:, ends]
    positives, negatives = true_pos[:, -1:], false_pos[:, -1:]
    with np.errstate(invalid="ignore", divide="ignore"):
        called = true_pos + false_pos
        precision = np.where(called > 0, true_pos / np.where(called > 0, called, 1), 0.0)
        gained = np.diff(true_pos, axis=1, prepend=0.0)
        ap = (gained * precision).sum(axis=1) / positives[:, 0]
        previous_tp = np.concatenate([np.zeros((len(w), 1)), true_pos[:, :-1]], axis=1)
        added_fp = np.diff(false_pos, axis=1, prepend=0.0)
        auroc = (added_fp * (true_pos + previous_tp) / 2).sum(axis=1) / (positives[:, 0] * negatives[:, 0])
    undefined = (positives[:, 0] == 0) | (negatives[:, 0] == 0)
    ap[undefined] = auroc[undefined] = np.nan
    return {"ap": ap, "auroc": auroc}


@pytest.mark.parametrize(
    ("n", "n_boot", "ties", "fakes"),
    [(80, 2000, False, 40), (80, 500, True, 8), (1500, 300, False, 750), (9, 50, True, 9), (2, 1, False, 1)],
)
def test_the_curves_run_down_the_images_to_the_same_last_bit(n: int, n_boot: int, ties: bool, fakes: int) -> None:
    """results.csv's intervals stay bit-identical: the (images, resamples) form equals the row-wise one exactly."""
    rng = np.random.default_rng(n + n_boot)
    labels = (np.arange(n) >= n - fakes).astype(np.int64)
    scores = rng.random(n)
    if ties:
        scores = np.round(scores * 10) / 10
    counts = stratified_counts(labels, n_boot, rng)
    got, expected = weighted_metrics(scores, labels, counts), _row_wise_metrics(scores, labels, counts)
    for name in ("ap", "auroc"):
        np.testing.assert_array_equal(got[name], expected[name], err_msg=name)


def test_seeded_resamples_are_the_seeds_draws_kept_for_the_next_run(monkeypatch) -> None:
    from fakeid.analysis import bootstrap

    labels = np.r_[np.zeros(20), np.ones(12)].astype(np.int64)
    drawn = []
    original = bootstrap.stratified_resamples
    monkeypatch.setattr(bootstrap, "stratified_resamples", lambda *args: drawn.append(1) or original(*args))
    expected = original(labels, 700, np.random.default_rng(seed_sequence(3, "images", "progan/cat")))
    for _ in range(3):
        got = seeded_resamples(labels, 700, seed_sequence(3, "images", "progan/cat"))
        assert [c.dtype for c in got] == [np.float64] * len(expected)
        for a, b in zip(got, expected, strict=True):
            np.testing.assert_array_equal(a, b)
    assert len(drawn) == 1
    seeded_resamples(labels, 700, seed_sequence(3, "images", "progan/dog"))  # another set: drawn
    seeded_resamples(labels[::-1], 700, seed_sequence(3, "images", "progan/cat"))  # other labels: drawn
    assert len(drawn) == 3
    monkeypatch.setattr(bootstrap, "RESAMPLES_KEPT_BYTES", 1)  # over the budget: only the newest is kept
    seeded_resamples(labels, 700, seed_sequence(3, "images", "progan/bus"))
    assert len(bootstrap._drawn.kept) == 1 and len(drawn) == 4
