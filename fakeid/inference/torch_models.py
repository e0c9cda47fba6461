"""The detector as one function of raw images, and the scorers that run it with PyTorch.

`ScoringModule` wraps a trained `DetectorNet`: uint8 RGB NCHW in, the network's own normalisation inside,
the probability of fake out. The checkpoint path of `fakeid.predict` scores through it, and `fakeid.export`
traces it, so an exported file and the checkpoint compute the same thing. `TorchScriptScorer` runs a file
that `fakeid.export format=torchscript` wrote (torch only; no Lightning, no timm).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from fakeid.core.devices import torch_device
from fakeid.core.errors import FakeidError
from fakeid.inference.metadata import TORCHSCRIPT_EXTRA_FILE, DetectorInfo, parse_metadata


class ScoringModule(nn.Module):
    """uint8 (N, 3, H, W) RGB -> (N,) probability that each image is fake."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.net(self.net.normalise(images)))  # type: ignore[operator]  # a DetectorNet


class TorchScorer:
    """uint8 (N, H, W, 3) numpy -> probability of fake, with a torch module on `device`, in float32. The batch
    goes in as NHWC (`channels_last`) or NCHW tensors; the caller says which (the module's layout)."""

    def __init__(self, module: nn.Module, device: torch.device, channels_last: bool):
        self.device = device
        self.module = module.eval().to(device)
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format

    @torch.inference_mode()
    def __call__(self, batch: np.ndarray) -> np.ndarray:
        images = torch.from_numpy(np.ascontiguousarray(batch)).to(self.device).permute(0, 3, 1, 2)
        return self.module(images.contiguous(memory_format=self.memory_format)).float().cpu().numpy()


def checkpoint_scorer(detector, device: str = "cpu") -> TorchScorer:
    """A FakeImageDetector (from `fakeid.runs.trained`) as a scorer, in the layout the detector scores in everywhere
    (`FakeImageDetector.for_inference`): a checkpoint scores the same here as in fakeid.eval and training's test."""
    target = torch_device(device)
    detector.for_inference(target)
    return TorchScorer(ScoringModule(detector.net), target, channels_last=detector.uses_channels_last(target))


def load_torchscript(path: Path, device: str = "cpu") -> tuple[TorchScorer, DetectorInfo]:
    if not path.is_file():
        raise FakeidError(f"exported={path} is not a file (a TorchScript file written by fakeid.export was expected)")
    target, extra = torch_device(device), {TORCHSCRIPT_EXTRA_FILE: ""}
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=FutureWarning)  # torch.jit.load is marked deprecated
            module = torch.jit.load(str(path), map_location=target, _extra_files=extra)
    except (RuntimeError, ValueError) as err:
        first = (str(err).strip().splitlines() or [type(err).__name__])[0][:160]
        raise FakeidError(f"exported={path} is not a TorchScript file torch can load ({first})") from None
    try:
        props = json.loads(extra[TORCHSCRIPT_EXTRA_FILE] or "{}")
    except json.JSONDecodeError:
        props = {}
    # an exported file's weights keep the layout they were traced in; NHWC input pays off on GPUs (BENCHMARKS.md)
    scorer = TorchScorer(module, target, channels_last=target.type == "cuda")
    return scorer, parse_metadata(props, str(path))
