"""The network: a timm feature extractor and our own head, Dropout(p) then Linear(features, 1).

The head is ours so the swept dropout ratio acts on the classifier input in every timm release (timm's own
`drop_rate` on `legacy_xception` was ignored before 1.0.31) and in every backbone alike. Any name
`timm.is_model` accepts works, pretrained tags included (`resnet50.tv_in1k`); a tag chooses the weights'
normalisation (mean, std). Pretrained weights only ever come from a local file: nothing is downloaded.
Beside timm's names, `OWN_NETWORKS` holds the networks fakeid defines itself (`npr`, fakeid.models.npr): each
returns pooled features and carries timm's `num_features` and `pretrained_cfg` (mean, std), so the head, the
checkpoints and every command treat it as a timm backbone.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import timm
import torch
from torch import nn

from fakeid.core.errors import FakeidError
from fakeid.models.npr import NPRNet
from fakeid.models.open_clip_tower import create_tower, is_open_clip

PRETRAINED_HELP = (
    "download the ImageNet weights of the model on a machine with internet (e.g. the file named "
    "by timm's pretrained_cfg 'url' or 'hf_hub_id'), copy it here and pass "
    "model.pretrained_path=/path/to/weights.pth (or .safetensors)"
)

# model.name -> a network fakeid defines (no timm name): built from scratch, pooled features out
OWN_NETWORKS: dict[str, Callable[[], nn.Module]] = {"npr": lambda: NPRNet(num_classes=0)}


class DetectorNet(nn.Module):
    """Image batch -> one logit per image (positive means fake)."""

    mean: torch.Tensor  # buffers, registered in __init__
    std: torch.Tensor

    def __init__(self, name: str, drop_rate: float, pretrained_path: str | None = None):
        super().__init__()
        if not 0.0 <= drop_rate < 1.0:
            raise FakeidError(f"model.drop_rate={drop_rate} must lie in [0, 1)")
        self.backbone = create_backbone(name, pretrained_path)
        features: int = self.backbone.num_features  # type: ignore[assignment]  # timm's int, typed as a submodule
        self.head = nn.Sequential(nn.Dropout(drop_rate), nn.Linear(features, 1))
        config: dict = self.backbone.pretrained_cfg  # type: ignore[assignment]  # timm's dict, typed as a submodule
        # the normalisation the backbone was (pre)trained with; buffers, so checkpoints carry them
        self.register_buffer("mean", torch.tensor(config.get("mean", (0.5,) * 3)).view(1, 3, 1, 1) * 255)
        self.register_buffer("std", torch.tensor(config.get("std", (0.5,) * 3)).view(1, 3, 1, 1) * 255)

    def normalise(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 (or 0..255 float) images -> the backbone's input scale."""
        return (images.float() - self.mean) / self.std

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(images)).squeeze(1)


def check_name(name: str) -> None:
    """A timm model name, optionally tagged (`arch.tag`): the architecture must exist and so must the tag.
    Or one of fakeid's own networks."""
    if name in OWN_NETWORKS:
        return
    if not timm.is_model(name):
        raise FakeidError(
            f"model.name={name} is not a timm model (timm.is_model is false; timm.list_models() "
            "lists the architectures, timm.list_pretrained() the tagged names)"
        )
    if "." in name and name not in timm.list_pretrained(name):
        architecture = name.split(".", 1)[0]
        raise FakeidError(
            f"model.name={name}: timm knows no tag {name.split('.', 1)[1]!r} for {architecture} "
            f"(timm.list_pretrained('{architecture}.*') lists its tags)"
        )


def create_backbone(name: str, pretrained_path: str | None) -> nn.Module:
    """The timm network without its classifier (`num_classes=0`: it returns pooled features); an open_clip image
    tower for `open_clip:<model>` (fakeid.models.open_clip_tower: UniversalFakeDetect's backbone)."""
    if is_open_clip(name):
        if pretrained_path is not None:
            raise FakeidError(f"model.pretrained_path: not for model.name={name} (python -m fakeid.published loads it)")
        return create_tower(name)
    check_name(name)
    if name in OWN_NETWORKS:
        if pretrained_path is not None:
            raise FakeidError(
                f"model.pretrained_path={pretrained_path}: model.name={name} has no ImageNet weights to start "
                "from; it trains from scratch (model.pretrained_path=null)"
            )
        return OWN_NETWORKS[name]()
    if pretrained_path is None:
        return timm.create_model(name, pretrained=False, num_classes=0)
    path = Path(pretrained_path).expanduser()
    if not path.is_file():
        raise FakeidError(f"model.pretrained_path={path} is not a file: {PRETRAINED_HELP}")
    try:
        return timm.create_model(name, pretrained=True, num_classes=0, pretrained_cfg_overlay=dict(file=str(path)))
    except (RuntimeError, KeyError, ValueError, OSError) as err:
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise FakeidError(f"model.pretrained_path={path} does not hold weights for {name}: {first_line}") from err
