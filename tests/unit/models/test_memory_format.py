"""channels_last is a speed option of FakeImageDetector: same outputs, not part of the hyper-parameters."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fakeid.data.images import load_rgb
from fakeid.models.config import build_detector
from fakeid.models.detector import FakeImageDetector
from tests.helpers.parity import assert_scores_match


def detector(channels_last: bool | None) -> FakeImageDetector:
    torch.manual_seed(0)
    return build_detector(name="test_resnet", channels_last=channels_last).eval()


def test_channels_last_changes_the_layout_not_the_scores():
    batch = (torch.randint(0, 256, (4, 3, 32, 32), dtype=torch.uint8), torch.tensor([0.0, 1.0, 0.0, 1.0]))
    nchw, nhwc = detector(False), detector(True)
    nhwc.load_state_dict(nchw.state_dict())
    images = nhwc.prepare_input(batch)
    assert images.is_contiguous(memory_format=torch.channels_last)
    assert not nchw.prepare_input(batch).is_contiguous(memory_format=torch.channels_last)
    conv = next(m for m in nhwc.net.modules() if isinstance(m, torch.nn.Conv2d))
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        assert torch.allclose(nchw(nchw.prepare_input(batch)), nhwc(images), atol=1e-4)
    assert "channels_last" not in nhwc.hparams  # a checkpoint does not depend on it


def test_default_is_channels_last_on_every_device_and_false_keeps_nchw():
    assert detector(None).uses_channels_last(torch.device("cpu"))
    assert detector(None).uses_channels_last(torch.device("cuda"))
    assert not detector(False).uses_channels_last(torch.device("cpu"))
    batch = (torch.randint(0, 256, (2, 3, 32, 32), dtype=torch.uint8), torch.zeros(2, 1))
    assert detector(None).prepare_input(batch).is_contiguous(memory_format=torch.channels_last)
    nchw = detector(False).for_inference(torch.device("cpu"))
    assert not nchw.prepare_input(batch).is_contiguous(memory_format=torch.channels_last)
    assert not next(c for c in nchw.net.modules() if isinstance(c, torch.nn.Conv2d)).weight.is_contiguous(
        memory_format=torch.channels_last
    )


@pytest.mark.slow
def test_channels_last_scores_a_discriminating_detector_alike(discriminating_run):
    """The same scores in both layouts from the detector whose scores spread (the random-init network above
    scores every image nearly alike), on the run's own test images, and as its test wrote them."""
    paths = list(discriminating_run.scores)
    images = torch.from_numpy(np.stack([load_rgb(path, 32) for path in paths])).permute(0, 3, 1, 2)
    scores = {}
    for channels_last in (False, True):
        loaded = FakeImageDetector.load_from_checkpoint(
            str(discriminating_run.checkpoint), map_location="cpu", channels_last=channels_last
        ).eval()
        with torch.no_grad():
            logits = loaded(loaded.prepare_input((images, torch.zeros(len(paths)))))
        scores[channels_last] = torch.sigmoid(logits).numpy()
    assert_scores_match(scores[True], scores[False], discriminating_run.spread)
    assert_scores_match(scores[False], list(discriminating_run.scores.values()), discriminating_run.spread)
