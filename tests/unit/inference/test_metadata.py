"""An exported file carries its detector's fit rule (a published run's peer rule), so `predict exported=` crops
as `predict run=` does; a file exported before the key reads as fakeid's rule."""

from __future__ import annotations

import pytest

from fakeid.core.errors import FakeidError
from fakeid.inference.metadata import PREFIX, build_metadata, parse_metadata

COMMON = dict(
    version="0",
    image_size=224,
    threshold=0.5,
    config_hash="abc",
    categories_used=["cat"],
    model_name="resnet50",
    checkpoint="tested.ckpt",
    export_format="onnx",
)


@pytest.mark.parametrize("fit", ["fakeid", "torchvision", "resize"])
def test_the_fit_rule_travels_with_the_file(fit):
    assert parse_metadata(build_metadata(**COMMON, fit=fit), "x.onnx").fit == fit


def test_a_file_without_the_key_is_fakeids_rule_and_an_unknown_rule_is_refused():
    props = build_metadata(**COMMON)
    del props[PREFIX + "fit"]
    assert parse_metadata(props, "old.onnx").fit == "fakeid"
    with pytest.raises(FakeidError, match=r"exported=bad.onnx: .*fakeid.fit='squash' is not one of fakeid, torch"):
        parse_metadata({**props, PREFIX + "fit": "squash"}, "bad.onnx")
