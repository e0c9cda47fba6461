"""The metadata an exported detector carries, and reading it back (no torch, no onnx needed).

ONNX files hold it as `metadata_props` (string key -> string value, keys prefixed `fakeid.`); TorchScript
files as the extra file `fakeid.json` (the same keys in one JSON object). `fakeid.predict exported=FILE`
needs `fakeid.image_size` (the crop size) and reads `fakeid.threshold` when present; a file without them
was not exported by fakeid and is refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fakeid.core.errors import FakeidError
from fakeid.data.images import FAKEID_FIT, FIT_RULES

PREFIX = "fakeid."
TORCHSCRIPT_EXTRA_FILE = "fakeid.json"
METADATA_VERSION = "1"
INPUT_NAME, OUTPUT_NAME = "images", "score"
INPUT_DOC = (
    "images: uint8 RGB, NCHW (batch, 3, height, width), values 0..255, decoded by fakeid's rule; "
    "normalisation is inside the graph; batch, height and width are dynamic"
)
OUTPUT_DOC = "score: float32 (batch,), the probability that each image is fake (sigmoid of the logit)"


@dataclass(frozen=True)
class DetectorInfo:
    """What a scorer needs to know about the detector behind it."""

    image_size: int
    threshold: float | None = None
    source: str = ""  # a run folder, a checkpoint or an exported file
    categories_used: list[str] | None = None
    fit: str = FAKEID_FIT  # how an image becomes image_size x image_size (fakeid.data.images.FIT_RULES)


def build_metadata(
    *,
    version: str,
    image_size: int,
    threshold: float | None,
    config_hash: str | None,
    categories_used: list[str] | None,
    model_name: str,
    checkpoint: str,
    export_format: str,
    fit: str = "fakeid",
) -> dict[str, str]:
    """String key -> string value, as ONNX metadata_props want them."""
    values: dict[str, Any] = {
        "metadata_version": METADATA_VERSION,
        "version": version,
        "image_size": int(image_size),
        "threshold": "" if threshold is None else repr(float(threshold)),
        "config_hash": config_hash or "",
        "categories_used": json.dumps(categories_used or []),
        "model_name": model_name,
        "checkpoint": checkpoint,
        "format": export_format,
        "fit": fit,
        "input": INPUT_DOC,
        "output": OUTPUT_DOC,
    }
    return {PREFIX + key: str(value) for key, value in values.items()}


def parse_metadata(props: dict[str, str], source: str) -> DetectorInfo:
    """DetectorInfo from the metadata of an exported file; one-line error when it is not fakeid's."""
    size = props.get(PREFIX + "image_size")
    if not size:
        raise FakeidError(
            f"exported={source} holds no fakeid metadata ({PREFIX}image_size missing): only files "
            "written by python -m fakeid.export can be used; export the run with it"
        )
    try:
        threshold_text = props.get(PREFIX + "threshold", "")
        threshold = float(threshold_text) if threshold_text else None
        categories = json.loads(props.get(PREFIX + "categories_used") or "[]") or None
        fit = props.get(PREFIX + "fit") or "fakeid"  # a file exported before the key: fakeid's rule
        if fit not in FIT_RULES:
            raise ValueError(f"{PREFIX}fit={fit!r} is not one of {', '.join(FIT_RULES)}")
        return DetectorInfo(
            image_size=int(size), threshold=threshold, source=source, categories_used=categories, fit=fit
        )
    except ValueError as err:
        raise FakeidError(f"exported={source}: its fakeid metadata cannot be read ({err})") from None
