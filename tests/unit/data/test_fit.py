"""`center_fit`'s peer rules equal torchvision's transforms pixel for pixel (CenterCrop: CNNDetection's and
UniversalFakeDetect's evaluation; Resize((256, 256)): NPR's test), on sizes where they part from fakeid's rule:
odd margins (rounded half to even), a side under the crop (zero padding), both."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from torchvision import transforms

from fakeid.data.images import center_fit

SIZES = [(w, h) for w in (199, 200, 224, 225, 255, 256, 257, 301) for h in (180, 223, 224, 257, 300)]


def picture(width: int, height: int) -> Image.Image:
    rng = np.random.default_rng(width * 1000 + height)
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_torchvision_rule_is_torchvisions_center_crop(width, height):
    image = picture(width, height)
    expected = np.array(transforms.CenterCrop(224)(image))
    assert np.array_equal(np.array(center_fit(image, 224, "torchvision")), expected)


@pytest.mark.parametrize(("width", "height"), [(255, 257), (200, 180), (256, 256), (512, 300)])
def test_the_resize_rule_is_torchvisions_resize(width, height):
    image = picture(width, height)
    expected = np.array(transforms.Resize((256, 256))(image))
    assert np.array_equal(np.array(center_fit(image, 256, "resize")), expected)


def test_fakeids_rule_differs_where_torchvision_rounds_or_pads():
    odd, small = picture(255, 257), picture(200, 180)
    for image in (odd, small):
        assert not np.array_equal(np.array(center_fit(image, 224)), np.array(center_fit(image, 224, "torchvision")))
    with pytest.raises(ValueError, match="unknown fit rule 'squash'"):
        center_fit(odd, 224, "squash")
