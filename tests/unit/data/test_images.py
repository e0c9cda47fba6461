"""Every Pillow mode and size reaches the model as size x size 8-bit RGB, in the one documented way."""

import numpy as np
import pytest
from PIL import Image

from fakeid.data.images import load_rgb


@pytest.mark.parametrize("mode", ["L", "LA", "P", "RGBA", "CMYK", "I;16", "RGB"])
@pytest.mark.parametrize("suffix", [".png", ".jpg", ".webp", ".bmp", ".tiff"])
def test_any_mode_and_format_becomes_rgb(tmp_path, mode, suffix):
    rng = np.random.default_rng(0)
    image = Image.fromarray(rng.integers(0, 255, (40, 40, 3), dtype=np.uint8)).convert(mode)
    if mode == "I;16":
        image = Image.fromarray(rng.integers(0, 65535, (40, 40), dtype=np.uint16))
    path = tmp_path / f"img{suffix}"
    try:
        image.save(path)
    except (OSError, ValueError, KeyError):
        pytest.skip(f"Pillow cannot write {mode} as {suffix}")
    array = load_rgb(path, 32)
    assert array.shape == (32, 32, 3) and array.dtype == np.uint8


def test_sixteen_bit_grey_uses_the_full_range(tmp_path):
    ramp = np.linspace(0, 65535, 64 * 64).reshape(64, 64).astype(np.uint16)
    Image.fromarray(ramp).save(tmp_path / "ramp.png")
    array = load_rgb(tmp_path / "ramp.png", 64)
    assert array.min() == 0 and array.max() == 255 and (array[..., 0] == array[..., 2]).all()


def test_large_images_are_centre_cropped_without_resampling(tmp_path):
    pixels = np.random.default_rng(1).integers(0, 255, (100, 80, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(tmp_path / "big.png")
    assert (load_rgb(tmp_path / "big.png", 32) == pixels[34:66, 24:56]).all()


def test_small_images_are_enlarged_then_cropped(tmp_path):
    Image.fromarray(np.zeros((16, 24, 3), np.uint8)).save(tmp_path / "small.png")
    assert load_rgb(tmp_path / "small.png", 32).shape == (32, 32, 3)


def test_alpha_is_dropped_not_blended(tmp_path):
    rgba = np.zeros((32, 32, 4), np.uint8)
    rgba[..., 0], rgba[..., 3] = 200, 0
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    assert (load_rgb(tmp_path / "a.png", 32)[..., 0] == 200).all()


def test_truncated_file_raises(tmp_path):
    Image.fromarray(np.zeros((64, 64, 3), np.uint8) + 7).save(tmp_path / "t.png")
    (tmp_path / "t.png").write_bytes((tmp_path / "t.png").read_bytes()[:80])
    with pytest.raises(OSError):  # Pillow: "image file is truncated"
        load_rgb(tmp_path / "t.png", 32)
