"""A fake sweep whose ok runs record a real data root of tiny images and a scores.csv over it: the report tests."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from fakeid.synth.quick import write_images
from tests.helpers.fake_sweep import FakeSweep, write_fake_sweep

GRID = {"data.num_categories": [1, 3], "model.drop_rate": [0.0, 0.5], "seed": [0, 1]}
PER_SET = 3  # images per class of each test set
K = 3
METRICS = ("acc", "real_acc", "fake_acc", "ap", "auroc", "acc_cal")


def make_report_sweep(base: Path) -> tuple[Path, Path]:
    """A fake sweep (tests/helpers/fake_sweep.py: job 1 failed, job 6 crashed) whose ok runs record a real data root
    of tiny images and a scores.csv over it: the sweep folder and the root."""
    sweep, root = make_report_fake_sweep(base)
    return sweep.path, root


def make_report_fake_sweep(base: Path) -> tuple[FakeSweep, Path]:
    sweep = write_fake_sweep(base / "sweep", grid=GRID, fail=[1], missing=[6])
    root = base / "data"
    first = json.loads(next(job.run_dir / "metrics.json" for job in sweep.jobs if job.status == "ok").read_text())
    for index, entry in enumerate(first["test"]):
        for class_dir, fake in (("0_real", 0), ("1_fake", 1)):
            write_images(root / "test" / entry["set"] / class_dir, PER_SET, 32, bool(fake), seed=10 * index + fake)
    write_images(root / "train" / "cat" / "0_real", PER_SET, 32, False, seed=500)
    write_images(root / "train" / "cat" / "1_fake", PER_SET, 32, True, seed=501)
    for job in sweep.jobs:
        if job.status != "ok":
            continue
        path = job.run_dir / "metrics.json"
        metrics = json.loads(path.read_text())
        metrics["data_identity"] = {"root": str(root), "fingerprint": "0123456789abcdef"}
        metrics["hparams"].update({"version.python": "3.11.7", "version.torch": "2.4.0"})
        for entry in metrics["test"]:  # what the scores.csv below holds, as a run records it
            entry["n_real"] = entry["n_fake"] = PER_SET
        path.write_text(json.dumps(metrics))
        rng = np.random.default_rng(job.index)
        rows = [
            {"set": entry["set"], "path": str(file), "label": label, "score": float(rng.random())}
            for entry in metrics["test"]
            for label, class_dir in enumerate(("0_real", "1_fake"))
            for file in sorted((root / "test" / entry["set"] / class_dir).iterdir())
        ]
        pd.DataFrame(rows).to_csv(job.run_dir / "scores.csv", index=False, float_format="%.9g")
    return sweep, root
