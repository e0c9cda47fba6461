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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from omegaconf import OmegaConf
from PIL import Image

from fakeid.core.cli import overridden_keys
from fakeid.core.errors import FakeidError
from fakeid.core.values import as_interval, boolean_problem, in_range
from fakeid.data import perturb
from fakeid.data.images import enlarge

STREAM = 0x61756731  # "aug1": keeps these draws apart from any other stream seeded by the run's seed
NONE = "none"
CROPS = ("center", "random")
COMMON = ("name", "crop", "hflip")
# every augmentation's own keys, with the defaults conf/augment/<name>.yaml also holds
DEFAULTS: dict[str, dict[str, Any]] = {
    NONE: {},
    "blur_jpeg": {
        "blur_prob": 0.5,
        "blur_sigma": [0.0, 3.0],
        "jpeg_prob": 0.5,
        "jpeg_quality": [30, 100],
        "joint": False,
    },
    "resize": {"prob": 0.5, "scale": [0.5, 1.0]},
    "format": {"format": "jpeg", "quality": [75, 95]},
}
PREFIX = "augment."


# ----------------------------------------------------------------------------- the configuration
# Every number must be finite (nan and inf are refused: no augmentation is defined there, as in fakeid.data.perturb).
def _probability(key: str, value: Any) -> float:
    return in_range(f"{PREFIX}{key}", value, 0, 1, what="a probability")


def _interval(key: str, value: Any, low: float, high: float, *, low_open: bool = False, whole: bool = False) -> list:
    """[a, b] with low <= a <= b <= high (low < a when `low_open`); a single number means [a, a]."""
    return as_interval(f"{PREFIX}{key}", value, low, high, low_open=low_open, whole=whole)


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
        p, chosen = self.params, dict[str, Any]()
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


def augmentation(config: Mapping[str, Any] | None, strict: bool = True) -> Augmentation:
    """The validated Augmentation of an `augment` config (conf/augment/<name>.yaml plus overrides); every bad
    value is one FakeidError line naming the key and what was expected. `strict`: a key this setting does not
    use (`quality` with `format=png`) must keep its default, or it is refused rather than silently dropped;
    False for records read back (a run trained before the refusal still reads)."""
    if OmegaConf.is_config(config):
        config = OmegaConf.to_container(config, resolve=True)  # type: ignore[assignment]  # a mapping's container
    config = dict(config or {})
    name = config.get("name", NONE)
    if name not in DEFAULTS:
        raise FakeidError(f"augment={name!r} is not an augmentation (choices: {', '.join(DEFAULTS)})")
    known = (*COMMON, *DEFAULTS[name])
    every = {key for keys in DEFAULTS.values() for key in keys}
    unknown = sorted(key for key in set(config) - set(known) if key not in every or config[key] is not None)
    if unknown:
        what = "belongs to another augmentation" if unknown[0] in every else "is not a key of any augmentation"
        raise FakeidError(
            f"augment.{unknown[0]}={config[unknown[0]]!r} {what}: augment={name} takes {', '.join(known)}"
        )
    crop = config.get("crop", "center")
    if crop not in CROPS:
        raise FakeidError(f"augment.crop={crop!r} is not a crop (choices: {', '.join(CROPS)})")
    hflip = config.get("hflip")
    if hflip is not None and not isinstance(hflip, bool):
        raise FakeidError(f"augment.hflip={hflip!r}: expected true or false (or null: model.hflip decides)")
    values = {**DEFAULTS[name], **{key: config[key] for key in DEFAULTS[name] if config.get(key) is not None}}
    params: dict[str, Any] = {}
    if name == "blur_jpeg":
        params["blur_prob"] = _probability("blur_prob", values["blur_prob"])
        params["blur_sigma"] = _interval("blur_sigma", values["blur_sigma"], 0, perturb.BLUR_SIGMA_MAX)
        params["jpeg_prob"] = _probability("jpeg_prob", values["jpeg_prob"])
        params["jpeg_quality"] = _interval("jpeg_quality", values["jpeg_quality"], 1, 100, whole=True)
        problem = boolean_problem(values["joint"])  # strict: a YAML true, not the text "true"
        if problem:
            raise FakeidError(f"augment.joint={values['joint']!r}: {problem}")
        params["joint"] = values["joint"]
    elif name == "resize":
        params["prob"] = _probability("prob", values["prob"])
        params["scale"] = _interval("scale", values["scale"], 0, 1, low_open=True)
    elif name == "format":
        if values["format"] not in perturb.FORMATS:
            raise FakeidError(
                f"augment.format={values['format']!r} is not a format (choices: {', '.join(perturb.FORMATS)})"
            )
        params["format"] = values["format"]
        if values["format"] == "jpeg":
            params["quality"] = _interval("quality", values["quality"], 1, 100, whole=True)
        elif strict and as_plain(values["quality"]) != DEFAULTS[name]["quality"]:
            raise FakeidError(
                f"augment.quality={as_plain(values['quality'])} is not used by augment.format={values['format']} "
                "(a JPEG quality): leave it out, or use augment.format=jpeg"
            )
    return Augmentation(name, params, crop)


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
    if "model.hflip" in overridden_keys(overrides) and bool(cfg.model.hflip) != flip:
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
    get = lambda key: hparams.get(f"{PREFIX}{key}")  # noqa: E731
    text = str(name)
    if name == "blur_jpeg":
        blur, jpeg = float(get("blur_prob")), float(get("jpeg_prob"))  # type: ignore[arg-type]  # set with name
        text += f" {blur:g}" if blur == jpeg else f" blur {blur:g} jpeg {jpeg:g}"
        text += " joint" if get("joint") in (True, "True", "true") else ""
    elif name == "resize":
        text += f" {float(get('prob')):g}"  # type: ignore[arg-type]  # set with name
    elif name == "format":
        text += f" {get('format')}"
    if get("crop") == "random":
        text += " random crop"
    return text


# ----------------------------------------------------------------------------- the loader's side
def sample_rng(seed: int, epoch: int, index: int) -> np.random.Generator:
    """The random stream of sample `index` in `epoch` of a run with `seed`."""
    return np.random.default_rng([STREAM, int(seed), int(epoch), int(index)])
