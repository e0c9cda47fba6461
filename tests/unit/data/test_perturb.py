"""Each perturbation at pixel level, and that a bad parameter is one line naming the key."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from PIL import Image

from fakeid.core.errors import FakeidError
from fakeid.data.images import load_rgb
from fakeid.data.perturb import blur, image_seed, jpeg, make, noise, resize


def photo(size: int = 64, seed: int = 0) -> Image.Image:
    """A smooth colour field, closer to a photo than noise (on noise any JPEG looks terrible)."""
    rng = np.random.default_rng(seed)
    coarse = Image.fromarray(rng.uniform(0, 255, (size // 8, size // 8, 3)).astype(np.uint8))
    return coarse.resize((size, size), Image.BICUBIC)


def psnr(a: Image.Image, b: Image.Image) -> float:
    mse = np.mean((np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255**2 / mse)


def test_jpeg_changes_pixels_but_quality_95_keeps_psnr_above_35_db():
    image = photo()
    high, low = jpeg(image, 95), jpeg(image, 30)
    assert not np.array_equal(np.asarray(high), np.asarray(image))
    assert psnr(image, high) > 35 > psnr(image, low)


def test_blur_sigma_0_is_the_identity_and_blur_grows_with_sigma():
    image = photo()
    assert np.array_equal(np.asarray(blur(image, 0)), np.asarray(image))
    assert psnr(image, blur(image, 1)) > psnr(image, blur(image, 3))


def test_resize_scales_the_image_and_scale_1_is_the_identity():
    image = photo(64)
    assert resize(image, 0.5).size == (32, 32) and resize(image, 0.75).size == (48, 48)
    assert np.array_equal(np.asarray(resize(image, 1.0)), np.asarray(image))


def test_noise_has_the_asked_spread_and_is_the_same_for_the_same_file():
    image = Image.fromarray(np.full((64, 64, 3), 128, np.uint8))
    first = noise(image, 5.0, np.random.default_rng(image_seed(0, "/a/test/progan/cat/0_real/1.png")))
    again = noise(image, 5.0, np.random.default_rng(image_seed(0, "/elsewhere/test/progan/cat/0_real/1.png")))
    other_seed = noise(image, 5.0, np.random.default_rng(image_seed(1, "/a/test/progan/cat/0_real/1.png")))
    difference = np.asarray(first, dtype=np.float64) - 128
    assert 4.5 < difference.std() < 5.5 and abs(difference.mean()) < 0.5
    assert np.array_equal(np.asarray(first), np.asarray(again)), "seeded by the file's last path parts only"
    assert not np.array_equal(np.asarray(first), np.asarray(other_seed))


def test_format_matching_reencodes_only_files_of_another_format(tmp_path):
    image = photo(32)
    image.save(tmp_path / "a.png")
    image.save(tmp_path / "b.jpg", quality=75)
    to_jpeg = make("format", format="jpeg", quality=75)
    png_pixels, jpg_pixels = load_rgb(tmp_path / "a.png", 32), load_rgb(tmp_path / "b.jpg", 32)
    assert not np.array_equal(load_rgb(tmp_path / "a.png", 32, to_jpeg), png_pixels), "the PNG is re-encoded"
    assert np.array_equal(load_rgb(tmp_path / "b.jpg", 32, to_jpeg), jpg_pixels), "the JPEG is left as it is"
    to_png = make("format", format="png")
    assert np.array_equal(load_rgb(tmp_path / "b.jpg", 32, to_png), jpg_pixels), "PNG is lossless"
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=75, subsampling=2)
    assert np.array_equal(load_rgb(tmp_path / "a.png", 32, to_jpeg), np.asarray(Image.open(buffer).convert("RGB")))


def test_the_perturbation_acts_before_the_centre_crop(tmp_path):
    image = photo(64)
    image.save(tmp_path / "a.png")
    down = load_rgb(tmp_path / "a.png", 32, make("resize", scale=0.5))
    assert np.array_equal(down, np.asarray(resize(image, 0.5))), "64 px at scale 0.5 is the whole image at 32 px"


def test_keys_name_the_level_and_drop_unused_parameters():
    assert make("jpeg", quality=75, sigma=3).key == "jpeg_quality=75"
    assert make("format", format="jpeg").key == "format_format=jpeg,quality=75"
    assert make("format", format="png", quality=75).key == "format_format=png"
    assert make("none").key == "none" and make("blur", sigma=1.0).describe() == {"name": "blur", "sigma": 1.0}


@pytest.mark.parametrize(
    "name, params, message",
    [
        ("sharpen", {}, "perturb='sharpen' is not a perturbation"),
        ("jpeg", {"quality": 0}, "perturb.quality=0: expected an integer from 1 to 100"),
        ("jpeg", {"quality": 101}, "perturb.quality=101: expected an integer from 1 to 100"),
        ("jpeg", {"quality": 75.5}, "perturb.quality=75.5: expected an integer from 1 to 100"),
        ("blur", {"sigma": -1}, "perturb.sigma=-1: expected a number in [0, 1000000.0]"),
        ("noise", {"sigma": -0.5}, "perturb.sigma=-0.5: expected a number in [0, inf)"),
        ("resize", {"scale": 1.5}, "perturb.scale=1.5: expected a number in (0, 1]"),
        ("resize", {"scale": 0}, "perturb.scale=0: expected a number in (0, 1]"),
        ("format", {"format": "gif"}, "perturb.format=gif: expected one of png, jpeg"),
        ("jpeg", {}, "needs perturb.quality"),
    ],
)
def test_bad_parameters_are_one_line(name, params, message):
    with pytest.raises(FakeidError, match=re.escape(message)):
        make(name, **params)
