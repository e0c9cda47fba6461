"""An open_clip image tower as a DetectorNet backbone (`model.name=open_clip:<open_clip model name>`).

UniversalFakeDetect (Ojha et al., CVPR 2023) scores an image by CLIP ViT-L/14's image embedding (frozen) and a
`Linear(768, 1)`: DetectorNet's own shape (backbone features -> Dropout -> Linear) with open_clip's visual tower
as the backbone. Only the image tower is built (the text tower is a third of CLIP's weights and never used), from
open_clip's model configuration, with random weights: the weights come from a checkpoint (fakeid.ingest.published
copies them there from a local CLIP file; nothing is downloaded). open_clip is the optional extra `clip`.

The model is named as open_clip names it (`ViT-L-14-quickgelu`) or by an open_clip model config file
(`open_clip:/path/tower.json`: `embed_dim`, `vision_cfg`, `quick_gelu`, the JSON open_clip's own model configs
hold): a tower open_clip does not ship (a smaller CLIP, one's own) is built the same way, in any process, as long
as the file stays where the run's record names it.
"""

from __future__ import annotations

import json
from pathlib import Path

from torch import nn

from fakeid.core.errors import FakeidError

PREFIX = "open_clip:"  # how model.name names an open_clip tower
INSTALL = "pip install 'fakeid[clip]' (open_clip_torch)"


def is_open_clip(name: str) -> bool:
    return name.startswith(PREFIX)


CONFIG_SUFFIX = ".json"


def tower_name(model: str) -> str:
    """How `model.name` names a tower given as a name or a config file: a file by its absolute path (read in any
    folder a later command runs from)."""
    return str(Path(model).expanduser().resolve()) if model.endswith(CONFIG_SUFFIX) else model


def config_file(model: str) -> dict:
    """An open_clip model config file's content, checked for what the tower is built from."""
    path = Path(model)
    try:
        config = json.loads(path.read_text())
    except OSError as err:
        raise FakeidError(
            f"model.name={PREFIX}{model}: cannot read the open_clip model config ({err.strerror})"
        ) from None
    except ValueError as err:
        raise FakeidError(f"model.name={PREFIX}{model} is not valid JSON ({err})") from None
    if not isinstance(config, dict) or not isinstance(config.get("vision_cfg"), dict) or "embed_dim" not in config:
        raise FakeidError(
            f"model.name={PREFIX}{model}: expected an open_clip model config (an object with embed_dim and vision_cfg)"
        )
    return config


def tower_config(model: str) -> dict:
    """open_clip's configuration of `model` (embed_dim, vision_cfg, quick_gelu), or a one-line error."""
    if model.endswith(CONFIG_SUFFIX):
        return config_file(model)
    try:
        import open_clip
    except ImportError:
        raise FakeidError(f"model.name={PREFIX}{model} needs open_clip: {INSTALL}") from None
    config = open_clip.get_model_config(model)
    if config is None:
        raise FakeidError(
            f"model.name={PREFIX}{model}: open_clip knows no model {model!r} (open_clip.list_models() lists them; "
            "UniversalFakeDetect's is ViT-L-14-quickgelu)"
        )
    return config


class OpenClipTower(nn.Module):
    """Normalised 224 x 224 images -> CLIP image embeddings (`num_features` of them), as `encode_image` computes
    them (open_clip's `encode_image` is `visual(image)`; OpenAI's clip package computes the same)."""

    def __init__(self, model: str):
        super().__init__()
        from open_clip import OPENAI_DATASET_MEAN, OPENAI_DATASET_STD
        from open_clip.model import _build_vision_tower

        config = tower_config(model)
        self.visual = _build_vision_tower(config["embed_dim"], config["vision_cfg"], config.get("quick_gelu", False))
        self.num_features = int(config["embed_dim"])
        # the statistics CLIP was trained with (UniversalFakeDetect's validate.py normalises with them)
        self.pretrained_cfg = {"mean": tuple(OPENAI_DATASET_MEAN), "std": tuple(OPENAI_DATASET_STD)}

    def forward(self, images):
        return self.visual(images)


def create_tower(name: str) -> OpenClipTower:
    return OpenClipTower(name[len(PREFIX) :])
