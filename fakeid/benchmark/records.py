"""A record set of the paper's shape, written without training: what `fakeid.bench_scale` times collect, the
figures, the comparison and the report on.

The paper's study is a sweep over the number of training categories and one over the dropout rate, every run
tested on 15 sets of 2K real + 2K fake images (165 runs x 15 sets in the issue's count). Training 165 runs to
time what reads them is out of reach here, so this module writes what they would leave: two Hydra sweep folders
(`multirun.yaml` with the grid, one job folder per grid point) whose runs hold the `metrics.json` and
`scores.csv` fakeid writes, through fakeid's own writers (`fakeid.runs.record.write_record`,
`fakeid.evaluation.scored_sets.set_result` and `write_scores`), so every metric is recomputable from the scores
as it is for a trained run. Scores are seeded random, separated more on seen content than on unseen content, so
the figures have something to draw. Nothing is timed here.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml

from fakeid.core.atomic import write_text_atomically
from fakeid.core.errors import FakeidError
from fakeid.data.layout import PAPER_MIXING_ORDER, TRAIN_GENERATOR
from fakeid.data.selection import TestSelection
from fakeid.evaluation.scored_sets import ScoredSet, set_result, write_scores
from fakeid.runs.files import MULTIRUN_FILE, SCORES_FILE
from fakeid.runs.record import RunRecord, write_record

PAPER_RUNS = 165  # the count of the paper's record set (each with 15 test sets of 2K + 2K images)
# Two levels per sweep: the figures and the comparison need a baseline and one level beside it; what grows
# with the record set is the number of seeds (runs per level), as a longer study grows.
CATEGORIES_SWEEP = ("categories", "data.num_categories", (1, 10))
DROPOUT_SWEEP = ("dropout", "model.drop_rate", (0.0, 0.5))
SWEEPS = (CATEGORIES_SWEEP, DROPOUT_SWEEP)
FIXED = {"data.num_categories": 10, "model.drop_rate": 0.5}  # each sweep's other knob (the paper's defaults)
DATA_ROOT = "/data/paper_scale_records"  # recorded only: the record set has no images


def runs_for(seeds: int) -> int:
    """Runs of the record set at `seeds` seeds per grid point."""
    return seeds * sum(len(levels) for _, _, levels in SWEEPS)


def test_sets(names: tuple[str, ...]) -> list[tuple[str, str, str | None]]:
    """(set name, generator, category) of `scale.TEST_SETS`-style names: `gen/category` or a flat `gen`."""
    return [(name, *name.split("/", 1)) if "/" in name else (name, name, None) for name in names]  # type: ignore[misc]


def set_scores(quality: float, per_class: int, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Scores (probability of fake) whose separation grows with `quality` (0.5: chance), reals first."""
    labels = np.r_[np.zeros(per_class), np.ones(per_class)].astype(np.int64)
    logits = rng.normal(0.0, 1.0, labels.size) + 4.0 * (quality - 0.5) * (2 * labels - 1)
    return torch.from_numpy((1 / (1 + np.exp(-logits))).astype(np.float32)), torch.from_numpy(labels)


def quality_of(category: str | None, generator: str, used: list[str], drop_rate: float) -> float:
    """How well a run separates a set: seen content best, unseen generators worst, dropout 0.5 helping."""
    dropout_gain = 0.3 * drop_rate * (1.0 - drop_rate)
    if generator == TRAIN_GENERATOR and category in used:
        return 0.95
    if generator == TRAIN_GENERATOR:
        return 0.62 + 0.025 * len(used) + dropout_gain
    return 0.55 + 0.01 * len(used) + dropout_gain


def write_run(
    run_dir: Path, point: dict[str, Any], overrides: list[str], sets: list, per_class: int, seed: int
) -> None:
    """One ok run: scores.csv and its metrics.json, as a trained run writes them."""
    rng = np.random.default_rng(seed)
    num_categories, drop_rate = int(point["data.num_categories"]), float(point["model.drop_rate"])
    used = list(PAPER_MIXING_ORDER[:num_categories])
    threshold = float(rng.uniform(0.4, 0.6))
    scored = []
    for name, generator, category in sets:
        scores, labels = set_scores(quality_of(category, generator, used, drop_rate), per_class, rng)
        folder = f"test/{name}"
        paths = [Path(f"{folder}/{('0_real', '1_fake')[label]}/{index:05d}.jpg") for index, label in enumerate(labels)]
        selection = TestSelection(name, paths, labels.tolist(), generator=generator, category=category)
        scored.append(ScoredSet(selection, scores, labels))
    hparams = {
        "data.num_categories": num_categories,
        "data.categories_used": used,
        "data.train_generator": TRAIN_GENERATOR,
        "model.drop_rate": drop_rate,
        "model.name": "legacy_xception",
        "seed": int(point["seed"]),
        "data.image_size": 256,
        "data.root": DATA_ROOT,
        "data.dataset_kind": "paper_scale_records",
        "experiment": "paper_scale_records",
    }
    run_dir.mkdir(parents=True, exist_ok=True)
    record = RunRecord(
        status="ok",
        hparams=hparams,
        overrides=overrides,
        config_hash=hashlib.sha1(" ".join(overrides).encode()).hexdigest()[:12],
        threshold=threshold,
        wall_time_s=900.0,
        test=[set_result(s, threshold, categories_used=used, train_generator=TRAIN_GENERATOR) for s in scored],
    )
    record.scores_sha256 = write_scores(run_dir / SCORES_FILE, scored)
    write_record(run_dir, record)


def write_sweep(
    sweep_dir: Path, key: str, levels: tuple, seeds: int, sets: list, per_class: int, seed: int
) -> list[Path]:
    """A sweep folder over `key`'s `levels` x `seeds` seeds, jobs numbered as Hydra's BasicSweeper numbers them
    (sweeper params first, then the command line's sweep)."""
    level_text = ",".join(str(level) for level in levels)
    seed_text = ",".join(str(s) for s in range(seeds))
    task = [f"seed={seed_text}", f"data.root={DATA_ROOT}"]
    multirun = {"hydra": {"sweeper": {"params": {key: level_text}}, "overrides": {"task": task}, "mode": "MULTIRUN"}}
    sweep_dir.mkdir(parents=True, exist_ok=True)
    write_text_atomically(sweep_dir / MULTIRUN_FILE, yaml.safe_dump(multirun, sort_keys=False))
    runs = []
    for number, (level, run_seed) in enumerate((level, s) for level in levels for s in range(seeds)):
        point = {**FIXED, key: level, "seed": run_seed}
        overrides = [f"{key}={level}", f"seed={run_seed}", f"data.root={DATA_ROOT}"]
        run_dir = sweep_dir / str(number)
        write_run(run_dir, point, overrides, sets, per_class, seed * 1_000_003 + hash_of(sweep_dir.name, number))
        runs.append(run_dir)
    return runs


def hash_of(name: str, number: int) -> int:
    """A stable per-run seed (Python's hash() of a str changes between processes)."""
    return int(hashlib.sha256(f"{name}/{number}".encode()).hexdigest()[:8], 16)


def write_record_set(out: Path, seeds: int, per_class: int, set_names: tuple[str, ...], seed: int = 0) -> dict:
    """Both sweeps under `out` (`out/categories`, `out/dropout`); what was written."""
    if seeds < 1 or per_class < 1:
        raise FakeidError(f"record sizes: {seeds} seeds, {per_class} images per class: expected whole numbers >= 1")
    sets = test_sets(set_names)
    written = {}
    for name, key, levels in SWEEPS:
        written[name] = write_sweep(out / name, key, levels, seeds, sets, per_class, seed)
    runs = sum(len(paths) for paths in written.values())
    return {
        "seeds": seeds,
        "runs": runs,
        "sets": len(sets),
        "per_class": per_class,
        "rows": runs * len(sets) * 2 * per_class,
        "sweeps": {name: str(out / name) for name in written},
    }
