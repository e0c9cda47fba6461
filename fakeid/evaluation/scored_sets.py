"""Score images with a trained detector, and turn scores into the per-test-set results of metrics.json.

Evaluation runs in one process over whole sets (no distributed sampler, which would pad sets with
repeated images), under the same autocast precision as training. Every score is kept: `scores.csv`
(`set, path, label, score`, score = probability of fake, written to read back exactly) lets anyone recompute
every reported metric.
"""

from __future__ import annotations

import csv
import io
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import torch
from torch.utils.data import DataLoader

from fakeid.core.atomic import write_bytes_atomically
from fakeid.core.numbers import number_text
from fakeid.data.selection import TestSelection
from fakeid.evaluation.metrics import calibrate_threshold, calibration_of_set, metrics_of_set
from fakeid.runs.files import SCORES_COLUMNS
from fakeid.runs.record import scores_digest


@dataclass
class ScoredSet:
    """One test set's images with their labels and scores, in the set's file order."""

    selection: TestSelection
    scores: torch.Tensor
    labels: torch.Tensor


def autocast_for(device: torch.device, precision: str):
    if "bf16" in str(precision):
        return torch.autocast(device.type, dtype=torch.bfloat16)
    if str(precision).startswith("16") and device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.float16)
    return nullcontext()


@torch.inference_mode()
def predict_scores(
    detector, loader: DataLoader, device: torch.device, precision: str = "32-true"
) -> tuple[torch.Tensor, torch.Tensor]:
    """(probability of fake, label) for every image of the loader, in loader order, on the CPU."""
    detector.for_inference(device)
    scores, labels = [], []
    with autocast_for(device, precision):
        for batch in loader:
            scores.append(torch.sigmoid(detector(detector.prepare_input(batch)).float()).cpu())
            labels.append(batch[1])
    return torch.cat(scores), torch.cat(labels)


def calibrate(detector, val_loader: DataLoader, device: torch.device, precision: str) -> float:
    """The threshold maximising balanced accuracy on the validation split (never on test data)."""
    return calibrate_threshold(*predict_scores(detector, val_loader, device, precision))


def score_sets(
    detector, test_loaders: list[tuple[TestSelection, DataLoader]], device: torch.device, precision: str
) -> list[ScoredSet]:
    return [
        ScoredSet(test_set, *predict_scores(detector, loader, device, precision)) for test_set, loader in test_loaders
    ]


def known(value, reference) -> bool | None:
    """`value in reference` (or ==), None when either side is unknown (a folder without that level)."""
    if value is None or reference is None:
        return None
    return value in reference if isinstance(reference, (list, tuple)) else value == reference


def set_result(
    scored: ScoredSet, threshold: float | None, *, categories_used: list[str] | None, train_generator: str | None
) -> dict:
    """One entry of metrics.json's `test` list (acc_cal is null when no threshold is known)."""
    test_set, labels = scored.selection, scored.labels
    metrics: dict[str, float | None] = {
        **metrics_of_set(scored.scores, labels, 0.5 if threshold is None else threshold)
    }
    if threshold is None:
        metrics["acc_cal"] = None
    return {
        "set": test_set.name,
        "generator": test_set.generator,
        "category": test_set.category,
        "seen_generator": known(test_set.generator, train_generator),
        "seen_category": known(test_set.category, categories_used),
        "n_real": int((labels == 0).sum()),
        "n_fake": int((labels == 1).sum()),
        **metrics,
        **calibration_of_set(scored.scores, labels),
    }


def write_scores(path: Path, scored_sets: list[ScoredSet]) -> str:
    """scores.csv: one row per image, each score written to read back exactly (`fakeid.core.numbers.number_text`).
    Returns the sha256 of the bytes written, for the record's `scores_sha256` (what ties the file to its run)."""
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(SCORES_COLUMNS)
    for scored in scored_sets:
        for file, label, score in zip(
            scored.selection.paths, scored.labels.tolist(), scored.scores.tolist(), strict=True
        ):
            writer.writerow([scored.selection.name, file, int(label), number_text(score)])
    data = text.getvalue().encode()
    write_bytes_atomically(path, data)
    return scores_digest(data)


def evaluate(
    detector,
    val_loader: DataLoader | None,
    test_loaders: list[tuple[TestSelection, DataLoader]],
    *,
    categories_used: list[str] | None,
    train_generator: str | None,
    device: torch.device,
    precision: str,
    threshold: float | None = None,
) -> tuple[float | None, list[dict], list[ScoredSet]]:
    """The threshold (calibrated on `val_loader` when given, else `threshold` as passed), one result per test
    set (the `test` list of metrics.json), and the per-image scores behind them."""
    if val_loader is not None:
        threshold = calibrate(detector, val_loader, device, precision)
    scored = score_sets(detector, test_loaders, device, precision)
    results = [
        set_result(s, threshold, categories_used=categories_used, train_generator=train_generator) for s in scored
    ]
    return threshold, results, scored
