"""A two-process CPU DDP training run (trainer=ddp_cpu) and what it must have written: test_ddp and test_slurm."""

from __future__ import annotations

import json
from pathlib import Path

from fakeid.data.images import IMAGE_SUFFIXES
from fakeid.data.layout import CLASS_DIRS
from tests.helpers.layouts import make_layout

CATEGORIES = ["cat", "church_outdoor"]
DDP_ARGS = [
    "data=tiny",
    "model=demo",
    "model.name=test_resnet",
    "trainer=ddp_cpu",
    "trainer.max_epochs=1",
    "logger=none",
    "callbacks=checkpoint_only",
    f"data.categories=[{','.join(CATEGORIES)}]",
    "data.num_categories=2",
    "data.train_per_class=6",
    "trainer.enable_progress_bar=false",
    "seed=0",
]


def ddp_layout(base: Path) -> Path:
    return make_layout(base / "data", categories=CATEGORIES, train_per_class=12)


def images_in(folder: Path) -> int:
    return sum(1 for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def header_lines(csv: Path) -> int:
    first = csv.read_text().splitlines()[0]
    return sum(1 for line in csv.read_text().splitlines() if line == first)


def assert_two_process_run(run_dir: Path, root: Path) -> dict:
    """World size 2, status ok, the run's files written once, every test set evaluated whole on rank 0."""
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["status"] == "ok", metrics["error"]
    assert metrics["world_size"] == 2
    assert not list(run_dir.glob(".*.partial-*")), "a rank left a half-written file"
    assert header_lines(run_dir / "file_lists.csv") == 1
    file_lists = (run_dir / "file_lists.csv").read_text().splitlines()
    assert len(file_lists) == len(set(file_lists)), "file_lists.csv has repeated rows"
    assert header_lines(run_dir / "scores.csv") == 1  # rank 0 wrote every test image once
    assert metrics["test"], "no test set was evaluated"
    real_dir, fake_dir = sorted(CLASS_DIRS, key=CLASS_DIRS.get)
    for entry in metrics["test"]:
        assert entry["n_real"] == images_in(root / "test" / entry["set"] / real_dir), entry["set"]
        assert entry["n_fake"] == images_in(root / "test" / entry["set"] / fake_dir), entry["set"]
    return metrics
