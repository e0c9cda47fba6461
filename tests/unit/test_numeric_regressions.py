"""Regressions of issue 24's silent wrong numbers: the decoded cache keeps each noise seed's pixels apart,
`crop=tiles` never scores more than `max_tiles`, a score meets a threshold in float64 everywhere, and every
written score reads back to the exact value its verdict and metrics were computed from."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from fakeid.data.cache import CachedImageDataset
from fakeid.data.datasets import ImageFileDataset
from fakeid.data.perturb import make
from fakeid.data.selection import TestSelection
from fakeid.evaluation.metrics import accuracies, calibrate_threshold, metrics_of_set
from fakeid.evaluation.scored_sets import ScoredSet, write_scores
from fakeid.inference.predicting import Verdicts, row
from fakeid.inference.scoring import CropRule, ImageResult, cut, tile_origins
from fakeid.synth.quick import write_images
from tests.helpers.commands import run_module


def neighbours(value: float) -> tuple[np.float32, np.float32]:
    """A float32 and the next float32 above it."""
    low = np.float32(value)
    return low, np.nextafter(low, np.float32(2))


def midpoint(low: np.float32, high: np.float32) -> float:
    """The calibration's candidate between two scores: float64, and no float32 value."""
    return (float(low) + float(high)) / 2


# ---- 1. the decoded cache keeps the pixels of each noise seed apart ----------------------------------------


def test_the_cache_of_a_noise_seed_holds_that_seeds_pixels(tmp_path: Path):
    """fails on d1b9663: the seed-1 dataset read the seed-0 cache (its key was `noise_sigma=5` for every seed)."""
    folder = tmp_path / "data" / "0_real"
    write_images(folder, 4, 24, fake=False, seed=0)
    paths, labels = sorted(folder.iterdir()), [0] * 4
    cached = {}
    for seed in (0, 1):  # seed 0 first: its cache exists when seed 1 asks
        cached[seed] = CachedImageDataset(paths, labels, 16, tmp_path / "cache", transform=make("noise", seed, sigma=5))
    for seed in (0, 1):
        decoded = ImageFileDataset(paths, labels, 16, transform=make("noise", seed, sigma=5))
        for index in range(len(paths)):
            assert torch.equal(cached[seed][index][0], decoded[index][0]), f"seed {seed}, image {index}"
    assert not torch.equal(cached[0][0][0], cached[1][0][0])


@pytest.mark.slow
def test_a_cached_noise_eval_of_a_second_seed_scores_that_seeds_pixels(trained_run, tmp_path):
    """The audit's commands: after `split_seed=0` with the cache, `split_seed=1` with the cache scores what
    `split_seed=1` without it scores (on d1b9663 it scored the seed-0 pixels)."""
    runs = {}
    for name, seed, cache in (("first", 0, "true"), ("cached", 1, "true"), ("decoded", 1, "false")):
        done = run_module(
            "fakeid.eval",
            f"run={trained_run}",
            "perturb=noise",
            "perturb.sigma=5",
            f"data.split_seed={seed}",
            f"data.cache={cache}",
            f"data.cache_dir={tmp_path / 'cache'}",
            f"hydra.run.dir={tmp_path / name}",
        )
        assert done.returncode == 0, done.stderr[-2000:]
        runs[name] = (tmp_path / name / "scores.csv").read_text()
    assert runs["cached"] == runs["decoded"]


# ---- 2. crop=tiles keeps at most max_tiles on tall images too ----------------------------------------------


@pytest.mark.parametrize(("width", "height"), [(40, 1000), (96, 2000), (1000, 40), (2000, 96)])
def test_tiles_of_a_tall_or_wide_image_are_capped_at_max_tiles(width, height):
    """fails on d1b9663: 40x1000 gave 22 tiles and 96x2000 18, with max_tiles=16."""
    origins, total = tile_origins(width, height, 32, 16)
    assert len(origins) == 16 < total
    assert len(set(origins)) == len(origins)
    assert all(left >= 0 and left + 32 <= width and top >= 0 and top + 32 <= height for left, top in origins)


def test_the_note_of_a_tall_image_says_max_tiles_tiles():
    tiles, note = cut(Image.new("RGB", (40, 1000)), CropRule(crop="tiles", image_size=32, max_tiles=16))
    assert len(tiles) == 16 and note == "16 of 31 tiles (max_tiles=16)"


# ---- 3. a threshold is compared in float64 everywhere ------------------------------------------------------


@pytest.mark.parametrize("value", [0.3, 0.7, 0.5, 0.123456789])
def test_a_threshold_between_two_neighbouring_scores_separates_them(value):
    """fails on d1b9663 for half of these: the float64 midpoint was rounded to float32, onto a score."""
    low, high = neighbours(value)
    scores, labels = torch.tensor([low, high], dtype=torch.float32), torch.tensor([0.0, 1.0])
    threshold = calibrate_threshold(scores, labels)
    assert threshold == midpoint(low, high)
    assert accuracies(scores, labels, threshold)["acc"] == 1.0
    assert metrics_of_set(scores, labels, threshold)["acc_cal"] == 1.0
    verdicts = Verdicts(threshold, "calibrated")
    assert [verdicts.of(float(score)) for score in (low, high)] == ["real", "fake"]


def test_acc_cal_and_the_verdicts_of_predict_agree_score_by_score():
    """eval's acc_cal and predict's verdicts at the same threshold call the same images fake."""
    rng = np.random.default_rng(0)
    base = rng.uniform(0.2, 0.8, 200).astype(np.float32)
    scores = np.concatenate([base, np.nextafter(base, np.float32(2))])  # every score with its upper neighbour
    for score in base[:30]:
        threshold = midpoint(*neighbours(float(score)))
        labels = torch.ones(len(scores))
        fake_share = accuracies(torch.from_numpy(scores), labels, threshold)["acc"]
        verdicts = Verdicts(threshold, "calibrated")
        assert fake_share == np.mean([verdicts.of(float(s)) == "fake" for s in scores])


# ---- 4. written scores read back exactly -------------------------------------------------------------------


def between_score_and_digits(score: float, digits: int) -> float:
    """A float64 threshold strictly between a score and its `digits`-significant-digit form (or the score)."""
    return (score + float(f"{score:.{digits}g}")) / 2


def awkward_scores() -> np.ndarray:
    """float32 scores whose 8- or 9-digit forms read back, as float64, to another value."""
    rng = np.random.default_rng(1)
    base = rng.uniform(0, 1, 300).astype(np.float32)
    return np.concatenate([base, np.nextafter(base, np.float32(2))])


def test_a_predicted_score_reads_back_bit_equal_and_agrees_with_its_verdict():
    """fails on d1b9663: predict wrote 8 significant digits, which print neighbouring float32 scores alike."""
    scores = awkward_scores()
    for score in scores:
        exact = float(score)
        for threshold in (between_score_and_digits(exact, 8), between_score_and_digits(exact, 9), exact):
            written = row(ImageResult(path=Path("x.png"), score=float(score)), Verdicts(threshold, "given"))
            read = float(written["score"])
            assert np.float32(read).tobytes() == score.tobytes() and read == float(score)
            assert (read >= threshold) == (written["verdict"] == "fake"), (written, threshold)


def test_scores_csv_recomputes_acc_cal_exactly_at_any_threshold(tmp_path: Path):
    """fails on d1b9663: 9 digits read back as float64 sit on the other side of a threshold between them and
    the float32 score, and acc_cal compared in float32."""
    scores = torch.from_numpy(awkward_scores())
    labels = torch.tensor([0.0, 1.0]).repeat(len(scores) // 2)
    selection = TestSelection("set", [Path(f"{i}.png") for i in range(len(scores))], labels.long().tolist())
    write_scores(tmp_path / "scores.csv", [ScoredSet(selection, scores, labels)])
    with open(tmp_path / "scores.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    read = np.array([float(item["score"]) for item in rows])
    assert np.array_equal(read, scores.double().numpy())
    assert np.array_equal(read.astype(np.float32).view(np.uint32), scores.numpy().view(np.uint32))
    y = np.array([int(item["label"]) for item in rows])
    for score in scores[:40].tolist():
        threshold = between_score_and_digits(score, 9)
        acc_cal = metrics_of_set(scores, labels, threshold)["acc_cal"]
        assert acc_cal == pytest.approx(((read >= threshold) == (y == 1)).mean(), abs=1e-12)
