"""channels_last is a speed option of FakeImageDetector: same outputs, not part of the hyper-parameters."""

from __future__ import annotations

import torch

from fakeid.models.config import build_detector
from fakeid.models.detector import FakeImageDetector


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


def test_default_is_channels_last_on_cuda_only():
    assert not detector(None).uses_channels_last(torch.device("cpu"))
    assert detector(None).uses_channels_last(torch.device("cuda"))
    assert detector(True).uses_channels_last(torch.device("cpu"))
