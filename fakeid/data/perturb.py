"""Perturbations for robustness evaluation: one function per kind, and the transform that applies one.

Each acts on the whole decoded 8-bit RGB image, before the centre crop (as CNNDetection's robustness
protocol does), and is deterministic per image: the same file gives the same pixels on every run.

- `none`                       the identity
- `jpeg`   quality 1..100      re-encoded as JPEG (Pillow, 4:2:0 chroma subsampling as libjpeg's default)
- `blur`   0 <= sigma <= 1e6   Gaussian blur (px); sigma 0 is the identity (1e6 px is far past any image's size,
                               where the blur is flat anyway; Pillow refuses radii from about 2.1e9)
- `resize` 0 < scale <= 1      antialiased down-scale (Pillow's bicubic filter widens with the scale factor);
                               the decoding rule then centre-crops, and an image now smaller than the crop is
                               enlarged back (bicubic), so at scale < 1 on images of the crop size the
                               detector sees a down-then-up resampled image of the original size
- `noise`  sigma >= 0 (0-255)  additive Gaussian noise, rounded and clipped to 0..255; its random stream is
                               seeded by `data.split_seed` and the file's last path components, so moving a
                               data root does not change it
- `format` format png|jpeg,    format-matched evaluation: every image whose file is not already in `format`
           quality 1..100      is re-encoded to it (quality for jpeg), so afterwards every image has been
                               through that format exactly once. Real and fake are treated alike; this removes
                               a JPEG-reals / PNG-fakes shortcut. PNG is lossless: `format=png` changes no
                               pixel (it shows that the container alone carries no cue to the detector).

Every number must be finite (inf and nan are refused, in one line naming the key and the range).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageFilter

from fakeid.core.configs import PERTURBATIONS
from fakeid.core.errors import FakeidError
from fakeid.core.schema import mapping_problem

FORMATS = {"png": "PNG", "jpeg": "JPEG"}
# each kind's parameters: its schema's fields but the name (conf/perturb/<kind>.yaml, fakeid.core.configs)
PARAMETERS = {
    name: tuple(field.name for field in dataclasses.fields(schema) if field.name != "name")
    for name, schema in PERTURBATIONS.items()
}
CANONICAL = {"quality": int, "sigma": float, "scale": float, "format": str}  # each value as the functions use it


def jpeg(image: Image.Image, quality: int) -> Image.Image:
    return reencode(image, "JPEG", quality)


def reencode(image: Image.Image, pil_format: str, quality: int = 75) -> Image.Image:
    buffer = io.BytesIO()
    options = {"quality": int(quality), "subsampling": 2} if pil_format == "JPEG" else {"compress_level": 1}
    image.save(buffer, format=pil_format, **options)
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        return decoded.convert("RGB")


def blur(image: Image.Image, sigma: float) -> Image.Image:
    return image.copy() if sigma == 0 else image.filter(ImageFilter.GaussianBlur(radius=float(sigma)))


def resize(image: Image.Image, scale: float) -> Image.Image:
    if scale == 1:
        return image.copy()
    width, height = image.size
    return image.resize((max(1, round(width * scale)), max(1, round(height * scale))), Image.Resampling.BICUBIC)


def noise(image: Image.Image, sigma: float, rng: np.random.Generator) -> Image.Image:
    pixels = np.asarray(image, dtype=np.float64)
    noisy = pixels + rng.normal(0.0, float(sigma), pixels.shape)
    return Image.fromarray(np.clip(np.round(noisy), 0, 255).astype(np.uint8))


def match_format(image: Image.Image, source_format: str | None, format: str, quality: int) -> Image.Image:
    target = FORMATS[format]
    return image.copy() if source_format == target else reencode(image, target, quality)


def image_seed(split_seed: int, path: str) -> int:
    """A stream per image that depends on the seed and the file's last path components only."""
    tail = "/".join(Path(path).parts[-4:])
    return int.from_bytes(hashlib.sha256(f"{split_seed}\n{tail}".encode()).digest()[:8], "little")


@dataclass(frozen=True)
class Perturbation:
    """One perturbation and its parameters: an `ImageTransform` for `fakeid.data.images.load_rgb`.

    Picklable (loader and cache workers receive it). `key` names the level (its folder, `eval.perturbation`);
    `cache_key` names its pixels for the decoded cache.
    """

    name: str = "none"
    params: dict[str, Any] = field(default_factory=dict, hash=False)
    seed: int = 0

    @property
    def key(self) -> str:
        return level_id(self.describe())

    @property
    def cache_key(self) -> str:
        """Every input of this perturbation that changes pixels, and only those (the rule of fakeid.data.cache).

        The parameters as `__call__` uses them (quality 40.0 is 40), and for `noise` its seed and numpy's
        version (numpy does not promise the same random stream across versions); Pillow's version is in every
        cache key already. `key` leaves the seed out: it names a level, and the seed is the run's split_seed.
        """
        params = {key: CANONICAL.get(key, lambda value: value)(value) for key, value in self.params.items()}
        described = level_id({"name": self.name, **params})
        if self.name == "noise":
            return f"{described},seed={int(self.seed)},numpy={np.__version__}"
        return described

    def describe(self) -> dict[str, Any]:
        """The `perturbation` entry of metrics.json: the name and its parameters."""
        return {"name": self.name, **self.params}

    def __call__(self, image: Image.Image, path: str, source_format: str | None) -> Image.Image:
        p = self.params
        if self.name == "none":
            return image
        if self.name == "jpeg":
            return jpeg(image, p["quality"])
        if self.name == "blur":
            return blur(image, p["sigma"])
        if self.name == "resize":
            return resize(image, p["scale"])
        if self.name == "noise":
            return noise(image, p["sigma"], np.random.default_rng(image_seed(self.seed, path)))
        return match_format(image, source_format, p["format"], p.get("quality", 75))


def level_id(description: dict[str, Any]) -> str:
    """A folder-safe name of a perturbation level: `none`, `jpeg_quality=75`, `format_format=jpeg,quality=75`."""
    params = ",".join(f"{key}={value}" for key, value in description.items() if key != "name")
    return f"{description['name']}_{params}" if params else str(description["name"])


def validate(name: str, params: dict[str, Any]) -> None:
    """A level's keys and values by the schema of conf/perturb/<name> (`fakeid.core.configs`, the one generic
    check); a level of a grid must name its values (`{name: jpeg}` alone is refused: which quality?)."""
    schema = PERTURBATIONS.get(name)
    if schema is None:
        raise FakeidError(f"perturb={name!r} is not a perturbation (choices: {', '.join(PERTURBATIONS)})")
    missing = [
        key for key in PARAMETERS[name] if params.get(key) is None and not (name == "format" and key == "quality")
    ]
    if missing:
        raise FakeidError(f"perturb={name} needs perturb.{missing[0]}")
    used = {key: value for key, value in params.items() if value is not None and key in PARAMETERS[name]}
    problem = mapping_problem(used, schema, "perturb.", app="eval")
    if problem:
        raise FakeidError(problem)


def make(name: str = "none", seed: int = 0, **params: Any) -> Perturbation:
    """A validated Perturbation; the parameters a kind does not use are dropped, every bad value is one line."""
    validate(name, params)
    kept = {key: params[key] for key in PARAMETERS[name] if params.get(key) is not None}
    if name == "format" and kept["format"] == "jpeg":
        kept.setdefault("quality", 75)
    if name == "format" and kept["format"] == "png":
        kept.pop("quality", None)
    return Perturbation(name, kept, seed)
