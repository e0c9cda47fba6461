"""An open_clip image tower as a DetectorNet backbone (`model.name=open_clip:<open_clip model name>`).

UniversalFakeDetect (Ojha et al., CVPR 2023) scores an image by CLIP ViT-L/14's image embedding (frozen) and a
`Linear(768, 1)`: DetectorNet's own shape (backbone features -> Dropout -> Linear) with open_clip's visual tower
as the backbone. Only the image tower is built (the text tower is a third of CLIP's weights and never used), from
open_clip's model configuration, with random weights: the weights come from a checkpoint (fakeid.ingest.published
copies them there from a local CLIP file; nothing is downloaded). open_clip is the optional extra `clip`.

The model is named as open_clip names it (`ViT-L-14-quickgelu`) or by an open_clip model config (`embed_dim`,
`vision_cfg`, `quick_gelu`, the JSON open_clip's own model configs hold): a tower open_clip does not ship (a
smaller CLIP, one's own) is given as a file where a user names it (`fakeid.published clip_model=tower.json`), and
the run records the file's content inline (`open_clip:{"embed_dim": ...}`), never its path: a run's record is data
from whoever made it, so no name read from it becomes a path to open, and the run builds the same tower in any
process, on any machine.
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
    """How `model.name` names a tower the user gave as a name or a config file: a file by its content, inline
    (module docstring)."""
    if not model.endswith(CONFIG_SUFFIX):
        return model
    path = Path(model).expanduser()
    try:
        text = path.read_text()
    except OSError as err:
        raise FakeidError(f"clip_model={model}: cannot read the open_clip model config ({err.strerror})") from None
    return json.dumps(checked_config(text, f"clip_model={model}"), sort_keys=True, separators=(",", ":"))


def checked_config(text: str, where: str) -> dict:
    """An open_clip model config's content, checked for what the tower is built from."""
    try:
        config = json.loads(text)
    except ValueError as err:
        raise FakeidError(f"{where} is not valid JSON ({err})") from None
    if not isinstance(config, dict) or not isinstance(config.get("vision_cfg"), dict) or "embed_dim" not in config:
        raise FakeidError(f"{where}: expected an open_clip model config (an object with embed_dim and vision_cfg)")
    return config


def tower_config(model: str) -> dict:
    """open_clip's configuration of `model` (embed_dim, vision_cfg, quick_gelu), or a one-line error."""
    if model.startswith("{"):  # a config recorded inline
        return checked_config(model, f"model.name={PREFIX}{model}")
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
