"""The one comparison every numeric-agreement test makes: two score lists agree to a fraction of the detector's
score spread.

A parity check can only see a wrong number if the detector's scores depend on the pixels. The one-epoch
detector most tests share (`trained_run`) scores its own test images between 0.477 and 0.509, random noise
between 0.496 and 0.509 (2-core Intel Xeon sandbox, 2026-12-03), and its 32 px test images leave a centre crop
no room to be off by a pixel. So the tolerance is relative to the spread (max - min) of the detector's scores
on its test images, and the spread must be large: `conftest.discriminating_run` asserts it
(`assert_discriminating`), this comparison refuses a spread under MIN_SPREAD, and
tests/unit/inference/test_parity_guard.py proves that a broken decoding, crop or normalisation fails this very function.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# On the discriminating detector (spread 0.84; 2-core Intel Xeon sandbox, 2026-12-03) the same network scored by
# ONNX Runtime differs from the checkpoint by at most 1.2e-7, fakeid.predict from training's test by 6.3e-8;
# the smallest wrong preprocessing of test_parity_guard.py (RGB/BGR swap) moved a score by 0.076, a one-pixel
# crop shift or skipped normalisation by over 0.83. 1e-4 of the spread lies ~700x above the first, ~900x below
# the second.
RELATIVE_TOLERANCE = 1e-4
# paths that run the same torch network on the same pixels (predict, eval, training's test, tiles) agree to
# float32 rounding; they keep the 1e-6 (in units of spread) they always had
SAME_ENGINE_TOLERANCE = 1e-6
# a spread below this cannot tell a wrong preprocessing from rounding: the comparison refuses it
MIN_SPREAD = 0.5


def score_spread(scores: Sequence[float]) -> float:
    """max - min of a detector's scores (probabilities of fake)."""
    values = np.asarray(scores, dtype=np.float64)
    return float(values.max() - values.min())


def score_mismatch(
    actual: Sequence[float], expected: Sequence[float], spread: float, relative: float = RELATIVE_TOLERANCE
) -> str | None:
    """None when every |actual - expected| <= relative * spread, else what differs (worst image first)."""
    if spread < MIN_SPREAD:
        raise AssertionError(f"score spread {spread:.3g} < {MIN_SPREAD}: this comparison could not see a wrong score")
    a, b = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if a.shape != b.shape:
        return f"{a.shape[0] if a.ndim else 1} scores against {b.shape[0] if b.ndim else 1}"
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        return "a score is not finite"
    difference = np.abs(a - b).reshape(-1)
    worst = int(difference.argmax()) if difference.size else 0
    if not difference.size or difference[worst] <= relative * spread:
        return None
    return (
        f"max |difference| {difference[worst]:.3g} (score {a.reshape(-1)[worst]:.6f} vs {b.reshape(-1)[worst]:.6f} "
        f"at index {worst}) > {relative:g} x spread {spread:.3f}; {int((difference > relative * spread).sum())} "
        f"of {difference.size} scores differ"
    )


def max_difference(actual: Sequence[float], expected: Sequence[float]) -> float:
    return float(np.abs(np.asarray(actual, dtype=np.float64) - np.asarray(expected, dtype=np.float64)).max())


def assert_scores_match(
    actual: Sequence[float], expected: Sequence[float], spread: float, relative: float = RELATIVE_TOLERANCE
) -> None:
    """Every score within `relative` x `spread` of its reference (see RELATIVE_TOLERANCE)."""
    problem = score_mismatch(actual, expected, spread, relative)
    assert problem is None, problem


# what a shared test detector must reach on its own test images (conftest.discriminating_run)
MIN_STD = 0.2


def assert_discriminating(scores: Sequence[float]) -> float:
    """The detector's scores cover most of [0, 1] (spread >= 0.6, std >= 0.2); returns the spread."""
    values = np.asarray(scores, dtype=np.float64)
    spread = score_spread(values)
    assert spread >= 0.6 and values.std() >= MIN_STD, (
        f"the test detector no longer discriminates: scores {values.min():.4f}..{values.max():.4f}, "
        f"std {values.std():.4f} (want a spread >= 0.6 and std >= {MIN_STD}); parity tests could not see a wrong score"
    )
    return spread


@dataclass(frozen=True)
class ScoredRun:
    """A finished training run and the scores its own test wrote (scores.csv, by image path)."""

    run: Path
    scores: dict[str, float]
    spread: float

    @property
    def checkpoint(self) -> Path:
        return self.run / "checkpoints" / "tested.ckpt"

    @classmethod
    def of(cls, run: Path) -> ScoredRun:
        with open(run / "scores.csv", newline="") as handle:
            scores = {row["path"]: float(row["score"]) for row in csv.DictReader(handle)}
        return cls(run, scores, assert_discriminating(list(scores.values())))
