"""Score images with a trained detector, and turn scores into the per-test-set results of metrics.json.

Evaluation runs in one process over whole sets (no distributed sampler, which would pad sets with
repeated images), under the same autocast precision as training.
"""
from __future__ import annotations

from contextlib import nullcontext

import torch
from torch.utils.data import DataLoader

from fakeid.data.selection import TestSelection
from fakeid.metrics import calibrate_threshold, metrics_of_set
from fakeid.models.detector import FakeImageDetector


def autocast_for(device: torch.device, precision: str):
    if "bf16" in str(precision):
        return torch.autocast(device.type, dtype=torch.bfloat16)
    if str(precision).startswith("16") and device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.float16)
    return nullcontext()


@torch.inference_mode()
def predict_scores(detector: FakeImageDetector, loader: DataLoader, device: torch.device,
                   precision: str = "32-true") -> tuple[torch.Tensor, torch.Tensor]:
    """(probability of fake, label) for every image of the loader, in loader order, on the CPU."""
    detector.eval().to(device)
    scores, labels = [], []
    with autocast_for(device, precision):
        for batch in loader:
            scores.append(torch.sigmoid(detector(detector.prepare_input(batch)).float()).cpu())
            labels.append(batch[1])
    return torch.cat(scores), torch.cat(labels)


def evaluate(detector: FakeImageDetector, val_loader: DataLoader,
             test_loaders: list[tuple[TestSelection, DataLoader]], *, categories_used: list[str],
             train_generator: str, device: torch.device, precision: str) -> tuple[float, list[dict]]:
    """The validation-calibrated threshold, and one result per test set (the `test` list of metrics.json)."""
    threshold = calibrate_threshold(*predict_scores(detector, val_loader, device, precision))
    results = []
    for test_set, loader in test_loaders:
        scores, labels = predict_scores(detector, loader, device, precision)
        results.append({
            "set": test_set.name, "generator": test_set.generator, "category": test_set.category,
            "seen_generator": test_set.generator == train_generator,
            "seen_category": test_set.category in categories_used,
            "n_real": int((labels == 0).sum()), "n_fake": int((labels == 1).sum()),
            **metrics_of_set(scores, labels, threshold)})
    return threshold, results
