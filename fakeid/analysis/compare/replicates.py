"""Image-level replicates: each run's scores.csv, the design of each test set (crossed or nested), and per
run and set the bootstrap replicates of every metric (one random stream per set, so paired runs share images)."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd

from fakeid.analysis.bootstrap import bootstrap_set, seed_sequence
from fakeid.analysis.resampling import design_of
from fakeid.analysis.scores import SetScores, read_scores, scores_file
from fakeid.core.errors import FakeidError


def _load_scores(runs: pd.DataFrame, source: str) -> tuple[dict[tuple[str, str], dict[str, SetScores]], list[str]]:
    loaded, missing = {}, []
    for run in runs.itertuples():
        path = scores_file(run.sweep, run.run_dir, getattr(run, "scores_file", None), source)
        if path.is_file():
            loaded[(run.sweep, run.run_dir)] = read_scores(path)
        else:
            missing.append(str(path.parent))
    return loaded, missing


def _designs(
    scores: dict[tuple[str, str], dict[str, SetScores]], seeds: dict[tuple[str, str], Any], sets: Sequence[str]
) -> dict[str, str]:
    """set -> CROSSED or NESTED (`fakeid.analysis.resampling.design_of`). Every run with scores has each set, and
    the runs of one seed (the two sides of its pairs) the same images, or it is a mismatched pairing."""
    designs = {}
    for name in sets:
        by_seed: dict[Any, tuple[tuple[str, str], SetScores]] = {}
        for key, per_set in scores.items():
            if name not in per_set:
                raise FakeidError(f"{key[0]}/{key[1]}/scores.csv: has no scores of test set {name}")
            reference = by_seed.setdefault(seeds[key], (key, per_set[name]))
            if per_set[name].paths != reference[1].paths:
                other, theirs = reference
                raise FakeidError(
                    f"mismatched pairing: test set {name} has different images in {key[0]}/{key[1]} "
                    f"({len(per_set[name].paths)} images) and {other[0]}/{other[1]} ({len(theirs.paths)}) of the "
                    f"same seed {seeds[key]}; paired runs must be scored on the same test images"
                )
        designs[name] = design_of({seed: data.paths for seed, (_, data) in by_seed.items()}, name)
    return designs


def _set_replicates(
    scores: dict[tuple[str, str], dict[str, SetScores]],
    thresholds: dict[tuple[str, str], float],
    sets: Sequence[str],
    n_boot: int,
    bootstrap_seed: int,
) -> dict[tuple[tuple[str, str], str], dict[str, np.ndarray]]:
    """(run, set) -> metric -> (n_boot,) replicates; one random stream per set, so paired runs share images."""
    result = {}
    for key, per_set in scores.items():
        for name in sets:
            rng = np.random.default_rng(seed_sequence(bootstrap_seed, "images", name))
            data = per_set[name]
            result[(key, name)] = bootstrap_set(data.scores, data.labels, n_boot, rng, thresholds.get(key))
    return result
