"""Give a fake sweep (tests/helpers/fake_sweep.py) per-image scores: each ok job gets a `scores.csv`, and its test
entries are recomputed from those scores with fakeid's own metrics, so the table and the scores agree as they do
for a real run. Every run scores the same image paths per set (a real sweep's shared test data)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import torch

from fakeid.evaluation.metrics import calibration_of_set, metrics_of_set
from fakeid.runs.files import SCORES_COLUMNS, SCORES_FILE
from tests.helpers.fake_sweep import FakeSweep


def scores_of(quality: float, n_per_class: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Labels (reals first) and scores whose separation grows with `quality` (0.5: chance)."""
    labels = np.r_[np.zeros(n_per_class), np.ones(n_per_class)].astype(np.int64)
    shift = 4.0 * (quality - 0.5)
    logits = rng.normal(0.0, 1.0, labels.size) + shift * (2 * labels - 1)
    return labels, (1 / (1 + np.exp(-logits))).astype(np.float32)


def add_scores(sweep: FakeSweep, n_per_class: int = 20, seed: int = 0, skip: tuple[int, ...] = ()) -> None:
    """Write scores.csv for every ok job not in `skip` (those keep their metrics.json and get no scores)."""
    for job in sweep.jobs:
        if job.status != "ok" or job.index in skip:
            continue
        path = job.run_dir / "metrics.json"
        metrics = json.loads(path.read_text())
        rng = np.random.default_rng([seed, job.index])
        rows = []
        for entry in metrics["test"]:
            labels, scores = scores_of(float(entry["acc"]), n_per_class, rng)
            score_t, label_t = torch.from_numpy(scores), torch.from_numpy(labels)
            entry.update(metrics_of_set(score_t, label_t, float(metrics["threshold"])))
            entry.update(calibration_of_set(score_t, label_t))
            entry["n_real"] = entry["n_fake"] = n_per_class
            for index, (label, score) in enumerate(zip(labels, scores, strict=True)):
                name = f"test/{entry['set']}/{('0_real', '1_fake')[label]}/{index:04d}.png"
                rows.append([entry["set"], name, int(label), f"{float(score):.9g}"])
        path.write_text(json.dumps(metrics, indent=2))
        with open(job.run_dir / SCORES_FILE, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(SCORES_COLUMNS)
            writer.writerows(rows)


def scores_path(sweep: FakeSweep, index: int) -> Path:
    return sweep.jobs[index].run_dir / SCORES_FILE
