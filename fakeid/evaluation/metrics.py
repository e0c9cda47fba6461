"""The metrics of one test set, computed from scores (names in fakeid.core.metric_names).

Scores are probabilities that an image is fake; label 1 is fake. AP and AUROC treat "fake" as the positive
class. `acc_cal` is accuracy at the threshold calibrated on the validation split, never on test labels.
The calibration half (`calibration_bins`, `ece`, `brier`) is numpy only, and torch and torchmetrics are
imported by the functions that use them: the calibration figure and the report read this module without
paying torch's import (5.8 s of the calibration figure's 12 s on the 2-core sandbox, 2026-12-03).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from fakeid.core.metric_names import CALIBRATION_METRICS, ECE_BINS, TEST_METRICS

if TYPE_CHECKING:
    import torch


def accuracies(scores: torch.Tensor, labels: torch.Tensor, threshold: float) -> dict[str, float]:
    """Overall, real-class and fake-class accuracy when scores >= threshold are called fake.

    Compared in float64, as `fakeid.core.numbers.called_fake` (predict's verdicts) and the calibration compare: a
    torch float32 tensor against a Python float compares in float32, which rounds a calibrated threshold onto
    a score. The shares are float64 too, so they equal a count over scores.csv divided by its length.
    """
    called_fake = scores.double() >= float(threshold)
    correct = called_fake == labels.bool()
    real, fake = labels == 0, labels == 1
    return {
        "acc": correct.double().mean().item(),
        "real_acc": correct[real].double().mean().item() if real.any() else float("nan"),
        "fake_acc": correct[fake].double().mean().item() if fake.any() else float("nan"),
    }


def calibrate_threshold(scores: torch.Tensor, labels: torch.Tensor) -> float:
    """The threshold that maximises balanced accuracy (mean of real and fake accuracy) on these scores.

    Candidates are midpoints between consecutive distinct scores (and the extremes); ties go to the
    candidate closest to 0.5, so a well-calibrated detector keeps its natural threshold. Scores and candidates
    are float64, the precision every comparison with the threshold uses (`accuracies`, `fakeid.core.numbers`): a
    midpoint of two float32 neighbours separates them only there.
    """
    import torch  # at first use: the module docstring

    values, index = torch.unique(scores.double(), return_inverse=True)
    candidates = torch.cat([values[:1] - 1e-6, (values[1:] + values[:-1]) / 2, values[-1:] + 1e-6])
    # real images below candidate k are those whose distinct value is < k: cumulative counts, O(N log N)
    real_per_value = torch.bincount(index[labels == 0], minlength=len(values)).double()
    fake_per_value = torch.bincount(index[labels == 1], minlength=len(values)).double()
    zero = torch.zeros(1, dtype=torch.float64)
    real_below = torch.cat([zero, real_per_value.cumsum(0)])
    fake_below = torch.cat([zero, fake_per_value.cumsum(0)])
    real_acc = real_below / real_per_value.sum() if real_per_value.sum() > 0 else torch.ones_like(real_below)
    fake_acc = (1 - fake_below / fake_per_value.sum()) if fake_per_value.sum() > 0 else torch.ones_like(fake_below)
    balanced = (real_acc + fake_acc) / 2
    best = torch.nonzero(balanced >= balanced.max() - 1e-12).squeeze(1)
    return float(candidates[best[torch.argmin((candidates[best] - 0.5).abs())]])


def metrics_of_set(scores: torch.Tensor, labels: torch.Tensor, calibrated_threshold: float) -> dict[str, float]:
    """Every metric of TEST_METRICS for one test set."""
    from torchmetrics.functional.classification import binary_auroc, binary_average_precision  # module docstring

    labels_int = labels.long()
    both_classes = bool((labels_int == 0).any() and (labels_int == 1).any())
    result = accuracies(scores, labels, 0.5)
    # float64: in float32 the precision-recall sum of a perfect ranking rounds to 1.0000001; min(1, .) keeps the
    # last ulp of the float64 sum from doing the same (AP and AUROC are shares, never above 1)
    scores64 = scores.double()
    result["ap"] = _share(binary_average_precision(scores64, labels_int).item()) if both_classes else float("nan")
    result["auroc"] = _share(binary_auroc(scores64, labels_int).item()) if both_classes else float("nan")
    result["acc_cal"] = accuracies(scores, labels, calibrated_threshold)["acc"]
    return {name: result[name] for name in TEST_METRICS}


def _share(value: float) -> float:
    """A metric that is a share (AP, AUROC) as a float in [0, 1]: rounding may only push it past the end."""
    return min(1.0, max(0.0, float(value)))


def calibration_bins(scores, labels, n_bins: int = ECE_BINS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per equal-width bin of the score on [0, 1] (bin b holds b/n <= score < (b+1)/n, the last one also 1):
    the image count, the mean score and the fraction of fakes (NaN in an empty bin). The reliability diagram
    of `fakeid.analysis.calibration` draws these."""
    score = np.asarray(scores, dtype=np.float64).ravel()
    label = np.asarray(labels, dtype=np.float64).ravel()
    index = np.clip(np.floor(score * n_bins).astype(np.int64), 0, n_bins - 1)
    count = np.bincount(index, minlength=n_bins).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_score = np.bincount(index, weights=score, minlength=n_bins) / count
        fraction_fake = np.bincount(index, weights=label, minlength=n_bins) / count
    return count, mean_score, fraction_fake


def ece(scores, labels, n_bins: int = ECE_BINS) -> float:
    """Expected calibration error of the score read as P(fake): sum over the `n_bins` equal-width bins of
    (images in the bin / all images) * |fraction of fakes in the bin - mean score in the bin|."""
    count, mean_score, fraction_fake = calibration_bins(scores, labels, n_bins)
    if count.sum() == 0:
        return float("nan")
    filled = count > 0
    return float((count[filled] / count.sum() * np.abs(fraction_fake[filled] - mean_score[filled])).sum())


def brier(scores, labels) -> float:
    """Mean squared difference between the score (P(fake)) and the label (1 fake, 0 real)."""
    score = np.asarray(scores, dtype=np.float64).ravel()
    label = np.asarray(labels, dtype=np.float64).ravel()
    return float(np.mean((score - label) ** 2)) if score.size else float("nan")


def calibration_of_set(scores, labels) -> dict[str, float]:
    """The CALIBRATION_METRICS of one test set (scores and labels: tensors or arrays)."""
    result = {"ece": ece(scores, labels), "brier": brier(scores, labels)}
    return {name: result[name] for name in CALIBRATION_METRICS}
