"""fakeid.evaluation.metrics against independent, hand-written computations on known scores."""

import numpy as np
import pytest
import torch

from fakeid.evaluation.metrics import TEST_METRICS, accuracies, calibrate_threshold, metrics_of_set


def average_precision_by_hand(scores, labels):
    """AP = mean over positives of the precision at that positive's rank (no ties in these scores)."""
    order = np.argsort(-scores)
    hits = labels[order] == 1
    precisions = np.cumsum(hits) / np.arange(1, len(scores) + 1)
    return precisions[hits].mean()


def auroc_by_hand(scores, labels):
    """Probability that a random fake scores above a random real (ties count half): Mann-Whitney."""
    fake, real = scores[labels == 1], scores[labels == 0]
    wins = (fake[:, None] > real[None, :]).sum() + 0.5 * (fake[:, None] == real[None, :]).sum()
    return wins / (len(fake) * len(real))


@pytest.mark.parametrize("seed", range(5))
def test_metrics_match_independent_computation(seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, 200)
    scores = 1 / (1 + np.exp(-rng.normal(-0.5 + 1.2 * labels, 1.0)))  # no ties
    result = metrics_of_set(torch.tensor(scores, dtype=torch.float32), torch.tensor(labels, dtype=torch.float32), 0.6)
    called_fake = scores >= 0.5
    assert set(result) == set(TEST_METRICS)
    assert result["acc"] == pytest.approx(np.mean(called_fake == labels), abs=1e-6)
    assert result["real_acc"] == pytest.approx(np.mean(~called_fake[labels == 0]), abs=1e-6)
    assert result["fake_acc"] == pytest.approx(np.mean(called_fake[labels == 1]), abs=1e-6)
    assert result["acc_cal"] == pytest.approx(np.mean((scores >= 0.6) == labels), abs=1e-6)
    assert result["ap"] == pytest.approx(average_precision_by_hand(scores.astype(np.float32), labels), abs=1e-5)
    assert result["auroc"] == pytest.approx(auroc_by_hand(scores.astype(np.float32), labels), abs=1e-5)


def test_calibrated_threshold_maximises_balanced_accuracy_by_brute_force():
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 2, 300)
    scores = np.clip(rng.normal(0.7 + 0.1 * labels, 0.05), 0, 1)  # miscalibrated: reals above 0.5 too
    threshold = calibrate_threshold(torch.tensor(scores), torch.tensor(labels))

    def balanced(t):
        return (np.mean(scores[labels == 1] >= t) + np.mean(scores[labels == 0] < t)) / 2

    best = max(balanced(t) for t in np.linspace(0, 1, 2001))
    assert balanced(threshold) >= best - 1e-9
    assert balanced(threshold) > balanced(0.5) + 0.2


def test_perfectly_separated_scores_get_a_threshold_between_the_classes():
    scores = torch.tensor([0.6, 0.7, 0.8, 0.9])
    assert calibrate_threshold(scores, torch.tensor([0, 0, 1, 1])) == pytest.approx(0.75)
    assert accuracies(scores, torch.tensor([0.0, 0, 1, 1]), 0.75) == {"acc": 1.0, "real_acc": 1.0, "fake_acc": 1.0}


def test_a_perfect_ranking_of_float32_scores_has_ap_exactly_one() -> None:
    """torchmetrics sums precision x recall steps in the scores' dtype: in float32 these 80 scores give
    AP = 1.0000001 (nine demo metrics.json entries did); metrics_of_set accumulates in float64 and caps shares at 1."""
    rng = np.random.default_rng(0)
    scores = np.r_[rng.uniform(0, 0.5, 40), rng.uniform(0.5, 1, 40)].astype(np.float32)
    labels = np.r_[np.zeros(40), np.ones(40)].astype(np.float32)
    result = metrics_of_set(torch.from_numpy(scores), torch.from_numpy(labels), 0.5)
    assert result["ap"] == 1.0 and result["auroc"] == 1.0
