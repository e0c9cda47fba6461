"""Training-time augmentation (`augment=none|blur_jpeg|resize|format`, conf/augment/*.yaml): per sample,
reproducible, on the loader's CPU workers, with the perturbation functions evaluation uses.

What a training image goes through (validation and test images never do):

- the perturbations of `fakeid.data.perturb` (one function per kind, reused, never copied), applied to
  the whole decoded RGB image before the crop, through the one transform seam of `fakeid.data.images`:
  - `none`       nothing (the default: a run's identity and results are those of fakeid before augmentation);
  - `blur_jpeg`  CNNDetection's recipe (Wang et al. 2020): Gaussian blur with probability `blur_prob`, sigma
                 uniform in `blur_sigma`, then JPEG with probability `jpeg_prob`, quality uniform (whole
                 numbers, both ends included) in `jpeg_quality`. Decided by two draws (`joint=false`, the
                 default, as Frank et al. 2021 found it must be) or by one (`joint=true`: blur when u <
                 blur_prob and JPEG when u < jpeg_prob, the same u; with equal probabilities both or neither);
  - `resize`     with probability `prob`, an antialiased down-scale by a factor uniform in `scale`; the crop
                 then enlarges an image smaller than the crop back (bicubic), as for the `resize` perturbation;
  - `format`     every training image, real and fake alike, brought to one format: an image whose file is
                 not already in `format` is re-encoded to it (JPEG at a quality uniform in `quality`), so every
                 image has been through that format exactly once (`perturb.match_format`); PNG is lossless;
- `crop`: `center` (the decoding rule of fakeid.data.images) or `random`, a crop of `data.image_size` at a
  uniform position (CNNDetection's training crop; an image smaller than the crop is enlarged first, as the
  decoding rule does). Validation and test images are always centre-cropped.
- `hflip`: the random horizontal flip, formerly `model.hflip` (still accepted): it stays where it was, on the
  device after the transfer, and is recorded as `model.hflip`, so a run that set it keeps its identity.

Reproducible: the draws of sample i in epoch e come from a numpy Generator seeded by (STREAM, seed, e, i)
(`sample_rng`), whatever the process, worker or batch that loads it: two runs of one configuration see the same
augmented images, every epoch different ones, and a run resumed from `last.ckpt` repeats the draws of the
epoch it re-runs. The epoch reaches the dataset with the index (`fakeid.data.augmented.EpochSampler` yields
(epoch, i)); the shuffle stream advances by one permutation per epoch, also with persistent workers (see
`fakeid.data.datamodule.CategoryMixDataModule.loader`).

With `data.cache=true` the cache keeps un-augmented, centre-cropped pixels, and the augmentation acts on that
crop, before it goes to the device. Where the image already has the crop's size (the embedded benchmark) the
two paths give the same pixels; for larger images blur and JPEG see the crop, not the whole image (border
pixels and the JPEG block grid differ), and `crop=random` is refused (the cache holds the centre crop only).
docs/augment.md gives the measured difference.

Identity: the augmentation and its parameters go into a run's hparams (`augment.*`) only when they change
the images (`identity_hparams`); `fakeid.runs.record` counts an `augment.*` key present on one side only as a
difference, so a run with augmentation is never taken for one without.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
from omegaconf import OmegaConf
from PIL import Image

from fakeid.core.cli import overridden_keys
from fakeid.core.configs import GROUPS
from fakeid.core.errors import FakeidError
from fakeid.core.schema import RULE, mapping_problem
from fakeid.data import perturb
from fakeid.data.images import enlarge

STREAM = 0x61756731  # "aug1": keeps these draws apart from any other stream seeded by the run's seed
NONE = "none"
COMMON = ("name", "crop", "hflip")  # the keys every choice shares (AugmentConfig's); the rest are a choice's params
PREFIX = "augment."


@dataclass(frozen=True)
class Augmentation:
    """One validated augmentation (`augmentation()` builds it); picklable, for the loader's workers."""

    name: str = NONE
    params: dict[str, Any] = field(default_factory=dict, hash=False)
    crop: str = "center"

    @property
    def is_identity(self) -> bool:
        return self.name == NONE and self.crop == "center"

    def describe(self) -> dict[str, Any]:
        """The `augment.*` entries of a run's hparams (without the prefix)."""
        return {"name": self.name, **self.params, "crop": self.crop}

    def draws(self, rng: np.random.Generator) -> dict[str, Any]:
        """What one sample gets, {operation: its parameter} in the order applied (blur sigma, JPEG quality,
        resize scale, format quality). Every number is drawn in a fixed order whatever it decides, so a
        sample's draws never depend on another's."""
        p, chosen = self.params, cast(dict[str, Any], {})
        if self.name == "blur_jpeg":
            u_blur, u_jpeg = rng.random(2)
            if p["joint"]:
                u_jpeg = u_blur  # one draw decides both
            sigma = float(rng.uniform(*p["blur_sigma"]))
            quality = int(rng.integers(p["jpeg_quality"][0], p["jpeg_quality"][1] + 1))
            if u_blur < p["blur_prob"]:
                chosen["blur"] = sigma
            if u_jpeg < p["jpeg_prob"]:
                chosen["jpeg"] = quality
        elif self.name == "resize":
            u, scale = rng.random(), float(rng.uniform(*p["scale"]))
            if u < p["prob"]:
                chosen["resize"] = scale
        elif self.name == "format":
            chosen["format"] = int(rng.integers(p["quality"][0], p["quality"][1] + 1)) if "quality" in p else None
        return chosen

    def __call__(
        self, image: Image.Image, rng: np.random.Generator, size: int, source_format: str | None
    ) -> Image.Image:
        """The augmented image (before the centre crop; at `size` x `size` already when `crop=random`)."""
        for operation, value in self.draws(rng).items():
            if operation == "blur":
                image = perturb.blur(image, value)
            elif operation == "jpeg":
                image = perturb.jpeg(image, value)
            elif operation == "resize":
                image = perturb.resize(image, value)
            else:
                image = perturb.match_format(image, source_format, self.params["format"], value or 75)
        if self.crop == "random":
            image = random_crop(image, size, rng)
        return image


def random_crop(image: Image.Image, size: int, rng: np.random.Generator) -> Image.Image:
    """A size x size crop at a uniform position; a smaller image is enlarged first, as `center_fit` does."""
    image = enlarge(image, size)
    width, height = image.size
    left, top = int(rng.integers(0, width - size + 1)), int(rng.integers(0, height - size + 1))
    return image.crop((left, top, left + size, top + size))


def _normal(value: Any, field: dataclasses.Field) -> Any:
    """A parameter as a run records it: an interval as [a, b] (one number meaning [a, a]; whole numbers as int),
    a number as float, the rest as given; the same values whatever way the config wrote them (3, 3.0, [3])."""
    rule = field.metadata.get(RULE) or {}
    if rule.get("interval"):
        pair = [value, value] if not isinstance(value, (list, tuple)) else list(value)
        return [int(item) for item in pair] if rule.get("whole") else [float(item) for item in pair]
    if field.type in ("float", float) and not isinstance(value, bool):
        return float(value)
    return value


def augmentation(config: Mapping[str, Any] | None, strict: bool = True) -> Augmentation:
    """The Augmentation of an `augment` config: conf/augment/<name>.yaml plus overrides, or the `augment.*` keys
    a run recorded. Keys, types and ranges are the schema's (`fakeid.core.configs`: the command line was checked
    before it got here); `strict` checks a mapping that did not come through the command line (Python callers,
    the bench) with the same generic check, one FakeidError line naming the key. One rule spans two keys and
    lives here: `quality` means nothing with `format=png`, so a quality other than the default is refused rather
    than silently dropped. `strict=False` for records read back (a run trained before a refusal still reads)."""
    plain: Any = OmegaConf.to_container(config, resolve=True) if OmegaConf.is_config(config) else config
    config = {key: value for key, value in dict(plain or {}).items() if value is not None}
    name = config.get("name", NONE)
    schema = GROUPS["augment"].get(name)
    if schema is None:
        raise FakeidError(f"augment={name!r} is not an augmentation (choices: {', '.join(GROUPS['augment'])})")
    if strict:
        problem = mapping_problem(config, schema, PREFIX)
        if problem:
            raise FakeidError(problem)
    fields = {field.name: field for field in dataclasses.fields(schema)}
    defaults: dict[str, Any] = dataclasses.asdict(schema())  # the choice's declared defaults
    values = {**defaults, **{key: config[key] for key in fields if key in config}}
    params = {key: _normal(values[key], fields[key]) for key in fields if key not in COMMON}
    if name == "format" and params["format"] != "jpeg":
        if strict and as_plain(values["quality"]) != defaults["quality"]:
            raise FakeidError(
                f"augment.quality={as_plain(values['quality'])} is not used by augment.format={values['format']} "
                "(a JPEG quality): leave it out, or use augment.format=jpeg"
            )
        del params["quality"]
    return Augmentation(name, params, values["crop"])


def as_plain(value: Any) -> Any:
    """A list for a list or tuple (as YAML and the command line give them), the value itself otherwise."""
    return list(value) if isinstance(value, (list, tuple)) else value


def identity_hparams(hparams: Mapping[str, Any]) -> dict[str, Any]:
    """A run's flat hparams as recorded: the `augment.*` keys as the validated augmentation describes them when
    it changes the images, none at all when it does not (so runs without augmentation keep the identity they
    had before it existed); `augment.hflip` never (the flip is recorded as `model.hflip`)."""
    recorded = {key: value for key, value in hparams.items() if not key.startswith(PREFIX)}
    config = {key[len(PREFIX) :]: value for key, value in hparams.items() if key.startswith(PREFIX)}
    augment = augmentation(config, strict=False)
    if not augment.is_identity:
        recorded.update({f"{PREFIX}{key}": value for key, value in augment.describe().items()})
    return recorded


def resolve_hflip(cfg: Any, overrides: Sequence[str]) -> None:
    """`augment.hflip`, when given, sets `model.hflip` (the key the detector and the identity read); given apart
    from an explicit `model.hflip` override it is an error, not a silent choice."""
    flip = cfg.augment.get("hflip")
    if flip is None:
        return
    if not isinstance(flip, bool):
        raise FakeidError(f"augment.hflip={flip!r}: expected true or false (or null: model.hflip decides)")
    if "model.hflip" in overridden_keys(list(overrides)) and bool(cfg.model.hflip) != flip:
        raise FakeidError(
            f"augment.hflip={flip} and model.hflip={cfg.model.hflip} disagree: set augment.hflip only "
            "(model.hflip is its former name)"
        )
    cfg.model.hflip = flip


def augment_label(hparams: Mapping[str, Any]) -> str:
    """A short name of a run's augmentation from its hparams, for tables and legends: `none`,
    `blur_jpeg 0.1` (equal probabilities), `blur_jpeg blur 0.1 jpeg 0.5`, `resize 0.5`, `format jpeg`,
    with ` joint` and ` random crop` where they apply."""
    name = hparams.get(f"{PREFIX}name")
    if name is None or (isinstance(name, float) and np.isnan(name)):
        return NONE

    def get(key: str) -> Any:
        return hparams.get(f"{PREFIX}{key}")

    text = str(name)
    if name == "blur_jpeg":
        blur, jpeg = float(get("blur_prob")), float(get("jpeg_prob"))
        text += f" {blur:g}" if blur == jpeg else f" blur {blur:g} jpeg {jpeg:g}"
        text += " joint" if get("joint") in (True, "True", "true") else ""
    elif name == "resize":
        text += f" {float(get('prob')):g}"
    elif name == "format":
        text += f" {get('format')}"
    if get("crop") == "random":
        text += " random crop"
    return text


# ----------------------------------------------------------------------------- the loader's side
def sample_rng(seed: int, epoch: int, index: int) -> np.random.Generator:
    """The random stream of sample `index` in `epoch` of a run with `seed`."""
    return np.random.default_rng([STREAM, int(seed), int(epoch), int(index)])
