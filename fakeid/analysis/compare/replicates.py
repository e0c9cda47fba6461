"""Image-level replicates: each run's scores.csv, the design of each test set (crossed or nested), and per
run and set the bootstrap replicates of every metric (one random stream per set, so paired runs share images)."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd

from fakeid.analysis.bootstrap import bootstrap_set, seed_sequence, seeded_resamples
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
    thresholds: dict[tuple[str, str], float | None],
    sets: Sequence[str],
    n_boot: int,
    bootstrap_seed: int,
) -> dict[tuple[tuple[str, str], str], dict[str, np.ndarray]]:
    """(run, set) -> metric -> (n_boot,) replicates; one random stream per set, so paired runs share images."""
    result = {}
    for key, per_set in scores.items():
        for name in sets:
            data = per_set[name]
            result[(key, name)] = _replicates(data, name, n_boot, bootstrap_seed, thresholds.get(key))
    return result


_shared: dict[tuple[Any, ...], dict[str, np.ndarray]] | None = None  # on inside `sharing()` only


@contextlib.contextmanager
def sharing() -> Iterator[None]:
    """Inside, a set's replicates are computed once and reused by every comparison that needs them again.

    Several comparisons of one sweep (each figure's marks, compare.md, the report's section) differ in their
    groups, metrics and so their Holm family, but draw the same image resamples: a set's replicates depend only
    on its scores and labels, the set's name (its random stream), `n_boot`, `bootstrap_seed` and the run's
    threshold, which is the key here; reusing them changes no number. Scoped rather than global, so a long
    session does not keep every sweep's replicates in memory."""
    global _shared
    outer, _shared = _shared, {} if _shared is None else _shared
    try:
        yield
    finally:
        _shared = outer


def _replicates(
    data: SetScores, name: str, n_boot: int, bootstrap_seed: int, threshold: float | None
) -> dict[str, np.ndarray]:
    def draw() -> dict[str, np.ndarray]:
        resamples = seeded_resamples(data.labels, n_boot, seed_sequence(bootstrap_seed, "images", name))
        return bootstrap_set(data.scores, data.labels, resamples, threshold)

    if _shared is None:
        return draw()
    digest = hashlib.sha256(np.ascontiguousarray(data.scores).tobytes())
    digest.update(np.ascontiguousarray(data.labels).tobytes())
    key = (digest.hexdigest(), str(np.asarray(data.scores).dtype), name, int(n_boot), int(bootstrap_seed), threshold)
    if key not in _shared:
        _shared[key] = draw()
    return _shared[key]
