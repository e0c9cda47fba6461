"""Fourier spectra of a data root (`fakeid.audit.spectra`, `fakeid.check spectra=true`): a planted periodic
pattern peaks at its frequency, noise against noise is flat, the files and the bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fakeid.audit import spectra
from tests.helpers.commands import assert_one_line_error, run_module
from tests.helpers.layouts import make_layout

SIZE = 32
PERIOD = 4  # pixels: the planted pattern has SIZE / PERIOD cycles across the crop


def noise_images(count: int, seed: int, pattern: bool = False) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    x = np.arange(SIZE)
    stripes = 40.0 * np.cos(2 * np.pi * x / PERIOD)[None, :]  # vertical stripes: a horizontal frequency
    return [
        np.clip(128 + rng.normal(0, 30, (SIZE, SIZE)) + (stripes if pattern else 0.0), 0, 255) for _ in range(count)
    ]


def write_folder(folder: Path, images: list[np.ndarray]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for index, image in enumerate(images):
        Image.fromarray(np.round(image).astype(np.uint8)).convert("RGB").save(folder / f"{index:03d}.png")


def test_a_planted_periodic_pattern_peaks_at_its_frequency() -> None:
    real = spectra.mean_spectrum(noise_images(48, seed=1))
    fake = spectra.mean_spectrum(noise_images(48, seed=2, pattern=True))
    difference = fake - real
    centre, offset = SIZE // 2, SIZE // PERIOD
    peak = np.unravel_index(np.argmax(difference), difference.shape)
    assert peak in {(centre, centre + offset), (centre, centre - offset)}
    assert difference[centre, centre + offset] == pytest.approx(difference[centre, centre - offset])  # symmetric
    rest = np.delete(difference.ravel(), [centre * SIZE + centre + offset, centre * SIZE + centre - offset])
    assert difference[peak] > 1.5 and difference[peak] > 4 * np.abs(rest).max()


def test_noise_against_noise_is_flat_within_a_tolerance() -> None:
    # 96 images a class: the largest of 1024 bins was 0.27-0.37 over five seed pairs, the mean |bin| 0.07
    difference = spectra.mean_spectrum(noise_images(96, seed=3)) - spectra.mean_spectrum(noise_images(96, seed=4))
    assert np.isfinite(difference).all()
    assert np.abs(difference).max() < 0.6  # the planted peak above is > 1.5 with half as many images
    assert np.abs(difference).mean() < 0.1 and abs(difference.mean()) < 0.03


def test_the_residual_removes_smooth_content() -> None:
    ramp = np.add.outer(np.arange(SIZE), np.arange(SIZE)) * 3.0
    assert np.abs(spectra.residual(ramp)[1:-1, 1:-1]).max() == 0  # a linear ramp is its own median


def test_check_writes_the_spectra_of_a_root(tmp_path: Path) -> None:
    root = tmp_path / "data"
    make_layout(root, categories=["cat", "church_outdoor"], train_per_class=6, test_per_class=4)
    write_folder(root / "test" / "planted" / "0_real", noise_images(10, seed=5))
    write_folder(root / "test" / "planted" / "1_fake", noise_images(10, seed=6, pattern=True))
    out = tmp_path / "audit" / "check.json"
    done = run_module("fakeid.check", f"root={root}", f"out={out}", "spectra=true", "spectra_per_class=5")
    assert done.returncode == 0, done.stderr
    assert "spectra: " in done.stdout
    record = json.loads(out.read_text())["spectra"]
    assert record["size"] == SIZE and record["per_class"] == 5
    assert record["counts"]["train"] == {"real": 5, "fake": 5}  # the split pooled, at most 5 per class
    assert record["counts"]["test/planted"] == {"real": 5, "fake": 5}
    for name in spectra.FILES:
        assert (out.parent / name).stat().st_size > 0
    arrays = np.load(out.parent / "spectra.npz")
    assert arrays["test/planted|difference"].shape == (SIZE, SIZE)
    np.testing.assert_allclose(
        arrays["test/planted|difference"], arrays["test/planted|fake"] - arrays["test/planted|real"]
    )
    centre, offset = SIZE // 2, SIZE // PERIOD
    peak = np.unravel_index(np.argmax(arrays["test/planted|difference"]), (SIZE, SIZE))
    assert peak in {(centre, centre + offset), (centre, centre - offset)}


def test_the_sample_is_seeded_and_per_scope() -> None:
    paths = [Path(f"/x/{index}.png") for index in range(50)]
    first = spectra.seeded_sample(paths, 7, seed=0, name="train/real")
    assert first == spectra.seeded_sample(list(reversed(paths)), 7, seed=0, name="train/real")
    assert len(first) == len(set(first)) == 7
    assert first != spectra.seeded_sample(paths, 7, seed=1, name="train/real")
    assert sorted(spectra.seeded_sample(paths[:3], 7, seed=0, name="x")) == sorted(paths[:3])  # all, when fewer


@pytest.mark.parametrize(
    "args, expected",
    [
        (["spectra_per_class=0"], "spectra_per_class=0: expected an integer of at least 1"),
        (["spectra_size=2"], "spectra_size=2: expected at least 3 pixels"),
    ],
)
def test_bad_spectra_settings_are_one_line_and_write_nothing(tmp_path: Path, args, expected) -> None:
    root = make_layout(tmp_path / "data", categories=["cat"], train_per_class=2, test_per_class=2)
    out = tmp_path / "audit" / "check.json"
    done = run_module("fakeid.check", f"root={root}", f"out={out}", "spectra=true", *args)
    assert_one_line_error(done, re.escape(expected))
    assert not (tmp_path / "audit").exists() and not (root / "check.json").exists()
