"""One evaluation: a trained detector on the test sets of a folder, under one perturbation.

It writes, into its own folder, the files a training run writes about testing: `metrics.json` (the training
schema, plus `kind: eval`, `source` and `perturbation`, and `perturbation` in every test entry),
`scores.csv` and `file_lists.csv`. With no perturbation, on the training run's own root, sample and
precision, its test entries equal the training run's.

Its identity (`config_hash`) is what decides its numbers: the source run's identity (or the checkpoint
file), the data root, the test sample (`test_per_class`, `split_seed`, the set filter), the image size, the
perturbation, the threshold and the precision; so a grid re-run skips what is done and redoes what changed.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torch.utils.data import DataLoader

from fakeid.core.errors import FakeidError
from fakeid.data.cache import error_check
from fakeid.data.datamodule import evaluation_loader
from fakeid.data.fingerprint import data_identity
from fakeid.data.images import FAKEID_FIT, ImageTransform, fitted
from fakeid.data.layout import discover_eval_sets, require_root
from fakeid.data.perturb import Perturbation
from fakeid.data.selection import Selector, TestSelection, plan_tests, write_file_lists
from fakeid.evaluation.scored_sets import evaluate, write_scores
from fakeid.runs.files import FILE_LISTS, SCORES_FILE
from fakeid.runs.record import RunRecord, given
from fakeid.runs.trained import TrainedDetector


@dataclass(frozen=True)
class EvalData:
    """Where the test images come from and how they are sampled and decoded."""

    root: Path
    test_per_class: int
    split_seed: int
    image_size: int
    sets: tuple[str, ...] | None = None  # glob patterns of set names; None = every set
    batch_size: int = 128
    num_workers: int = 0
    cache_dir: Path | None = None
    strict: bool = False
    small_images: str = "enlarge"
    fit: str = FAKEID_FIT  # the detector's rule to image_size (a published run's peer rule; TrainedDetector.fit)

    def transform(self, perturbation: Perturbation) -> ImageTransform | None:
        """The perturbation on the whole image, then the detector's fit rule (`fakeid.data.images.fitted`)."""
        return fitted(perturbation, self.fit, self.image_size)


def source_identity(trained: TrainedDetector) -> str:
    """The source run's identity, or the checkpoint file's (path, size, mtime) when there is no run."""
    if trained.config_hash:
        return f"run:{trained.config_hash}"
    stat = os.stat(trained.checkpoint)
    return f"ckpt:{trained.checkpoint}:{stat.st_size}:{stat.st_mtime_ns}"


def eval_hparams(
    trained: TrainedDetector, data: EvalData, perturbation: Perturbation, precision: str, threshold: float | None
) -> dict[str, Any]:
    """The source run's hparams plus the evaluation's own settings under `eval.`."""
    return {
        **trained.hparams,
        "eval.data.root": str(data.root),
        "eval.test_per_class": data.test_per_class,
        "eval.split_seed": data.split_seed,
        "eval.image_size": data.image_size,
        "eval.sets": list(data.sets) if data.sets else None,
        "eval.perturbation": perturbation.key,
        "eval.threshold": threshold,
        "eval.precision": precision,
    }


def eval_identity(trained: TrainedDetector, hparams: dict[str, Any]) -> str:
    decisive = {key: value for key, value in hparams.items() if key.startswith("eval.")}
    decisive["source"] = source_identity(trained)
    return hashlib.sha256(json.dumps(decisive, sort_keys=True, default=str).encode()).hexdigest()[:16]


def select_sets(sets: list, patterns: tuple[str, ...] | None, root: Path) -> list:
    if not patterns:
        return sets
    chosen = [s for s in sets if any(fnmatch.fnmatchcase(s.name, pattern) for pattern in patterns)]
    if not chosen:
        raise FakeidError(
            f"sets={list(patterns)} matches none of the test sets under {root} ({', '.join(s.name for s in sets)})"
        )
    return chosen


def identity(data: EvalData) -> dict[str, str]:
    """data.root and the fingerprint of the evaluated sets (see fakeid.data.fingerprint)."""
    root = require_root(data.root)
    return data_identity(root, select_sets(discover_eval_sets(root), data.sets, root))


def plan(data: EvalData, perturbation: Perturbation) -> list[TestSelection]:
    """The test sample: the same files training tested for the same root, split_seed and test_per_class."""
    root = require_root(data.root)
    sets = select_sets(discover_eval_sets(root), data.sets, root)
    check = error_check(
        data.image_size, data.num_workers, cache_dir=data.cache_dir, transform=data.transform(perturbation)
    )
    selector = Selector(
        check, strict=data.strict, allow_shortfall=True, image_size=data.image_size, small_images=data.small_images
    )
    return plan_tests(sets, test_per_class=data.test_per_class, split_seed=data.split_seed, selector=selector)


def loaders(
    tests: list[TestSelection], data: EvalData, perturbation: Perturbation
) -> list[tuple[TestSelection, DataLoader]]:
    return [
        (
            test,
            evaluation_loader(
                test,
                data.image_size,
                data.batch_size,
                data.num_workers,
                cache_dir=data.cache_dir,
                transform=data.transform(perturbation),
            ),
        )
        for test in tests
    ]


def evaluate_into(
    result: RunRecord,
    out_dir: Path,
    detector,
    trained: TrainedDetector,
    data: EvalData,
    perturbation: Perturbation,
    device,
    precision: str,
) -> None:
    """Plan, score and write one evaluation; fills `result` (the metrics.json being written)."""
    tests = plan(data, perturbation)
    write_file_lists(out_dir / FILE_LISTS, [("test", test) for test in tests])
    result.data = {"test": {test.name: test.summary() for test in tests}}
    threshold, entries, scored = evaluate(
        detector,
        None,
        loaders(tests, data, perturbation),
        categories_used=trained.categories_used,
        train_generator=trained.train_generator,
        device=device,
        precision=precision,
        threshold=given(result.threshold),
    )
    result.scores_sha256 = write_scores(out_dir / SCORES_FILE, scored)
    described = perturbation.describe()
    result.status, result.test = "ok", [{**entry, "perturbation": described} for entry in entries]
