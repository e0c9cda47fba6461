"""Decode one image file into the uint8 RGB array every model input starts from.

The one documented way (docs/data.md, "The layout"):
- any file Pillow opens is accepted; its mode is mapped to 8-bit RGB: 16/32-bit grey (I;16, I, F) is
  scaled to 0..255 from its full range, alpha (LA, RGBA, PA) is dropped, palettes are expanded, CMYK and
  YCbCr are converted by Pillow;
- an optional transform (the evaluation's perturbation, `fakeid.data.perturb`) acts on the whole decoded RGB image,
  before the crop, as in CNNDetection's robustness protocol;
- an image whose header claims more pixels than the pixel budget (`data.max_pixels`, predict's `max_pixels`;
  default Pillow's decompression-bomb limit `Image.MAX_IMAGE_PIXELS`) is never decoded: `header_check` reads
  the size from the header (Pillow's `open` reads nothing else), and the caller skips it (training,
  evaluation: counted and listed) or reports it (predict: an error row), so that no file can exhaust memory;
- the image is brought to `size` x `size` by a centre crop, never by resampling an image that is large
  enough, because resampling smears the high-frequency traces a GAN detector relies on; an image smaller
  than `size` on either side is first enlarged (bicubic) so that its shorter side equals `size`.

A published detector (`fakeid.published`) is scored with its peer's own rule by default, one of `FIT_RULES`
passed to `center_fit` (and, through `Fit`, before the crop above, which it leaves nothing to do):
`torchvision` is torchvision's `CenterCrop` (CNNDetection, UniversalFakeDetect: an odd margin's offset rounded
half to even, an image under `size` padded with zeros), `resize` is `Resize((size, size))` on the whole image
(NPR's test script: bilinear, the aspect ratio not kept).
"""

from __future__ import annotations

import errno
import os
import stat
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

import numpy as np
from PIL import Image

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"})

# The default pixel budget: Pillow's own decompression-bomb limit (about 89.5 megapixels in Pillow 10-13).
MAX_PIXELS: int = Image.MAX_IMAGE_PIXELS or 89_478_485
OVER_BUDGET = "over the pixel budget"  # how a refused file's reason starts, in file lists and predict's rows

# Bumped whenever the decoding rule above changes, so that caches of decoded images are rebuilt.
PREPROCESSING_VERSION = "rgb-centercrop-v1"


class ImageTransform(Protocol):
    """The one seam for changing pixels before the crop, used by the file dataset and the cache alike.

    `cache_key` names every input of the transform that changes pixels (parameters, seed): the cache keeps
    transformed images apart by it, so two transforms that give different pixels must never share one.
    """

    @property
    def cache_key(self) -> str: ...  # read-only: a perturbation derives it from its parameters

    def __call__(self, image: Image.Image, path: str, source_format: str | None) -> Image.Image: ...


def to_rgb(image: Image.Image) -> Image.Image:
    """Map any Pillow mode to 8-bit RGB (see the module docstring)."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        grey = np.asarray(image, dtype=np.float64)
        low, high = float(grey.min()), float(grey.max())
        scaled = (grey - low) * (255.0 / (high - low)) if high > low else np.zeros_like(grey)
        return Image.fromarray(np.round(scaled).astype(np.uint8)).convert("RGB")
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    return image.convert("RGB")


def enlarge(image: Image.Image, size: int) -> Image.Image:
    """The image itself when both sides are at least size, else enlarged (bicubic) so the shorter side is size."""
    width, height = image.size
    if min(width, height) >= size:
        return image
    scale = size / min(width, height)
    return image.resize((max(size, round(width * scale)), max(size, round(height * scale))), Image.Resampling.BICUBIC)


FAKEID_FIT = "fakeid"
FIT_RULES = (FAKEID_FIT, "torchvision", "resize")  # how an image becomes size x size (module docstring)


def center_fit(image: Image.Image, size: int, rule: str = FAKEID_FIT) -> Image.Image:
    """Bring the image to size x size by `rule`: fakeid's centre crop (enlarging first only when a side is
    shorter than size), torchvision's `CenterCrop` or a plain resize (module docstring)."""
    if rule == "resize":
        return image.resize((size, size), Image.Resampling.BILINEAR)
    if rule == "torchvision":
        width, height = image.size
        # torchvision's center_crop: offsets int(round(margin / 2)) (half to even); a negative margin pads
        # with zeros, (size - side) // 2 before and the rest after, which the same offsets give
        left, top = int(round((width - size) / 2.0)), int(round((height - size) / 2.0))
        if min(width, height) >= size:
            return image.crop((left, top, left + size, top + size))
        left = left if width >= size else -((size - width) // 2)
        top = top if height >= size else -((size - height) // 2)
        padded = Image.new(image.mode, (size, size))
        padded.paste(
            image.crop((max(left, 0), max(top, 0), min(width, left + size), min(height, top + size))),
            (max(-left, 0), max(-top, 0)),
        )
        return padded
    if rule != FAKEID_FIT:
        raise ValueError(f"unknown fit rule {rule!r}: expected one of {', '.join(FIT_RULES)}")
    image = enlarge(image, size)
    width, height = image.size
    left, top = (width - size) // 2, (height - size) // 2
    return image.crop((left, top, left + size, top + size))


@dataclass(frozen=True)
class Fit:
    """An `ImageTransform` that brings the image to size x size by a peer's rule after `then` (the evaluation's
    perturbation, which acts on the whole image first, as the peers' robustness tests do); the crop of
    `load_rgb` that follows has nothing left to do. Picklable, for loader and cache workers."""

    rule: str
    size: int
    then: ImageTransform | None = None  # applied first

    @property
    def cache_key(self) -> str:
        first = f"{self.then.cache_key}," if self.then is not None else ""
        return f"{first}fit={self.rule}@{self.size}"

    def __call__(self, image: Image.Image, path: str, source_format: str | None) -> Image.Image:
        if self.then is not None:
            image = self.then(image, path, source_format)
        return center_fit(image, self.size, self.rule)


def fitted(transform: ImageTransform | None, rule: str, size: int) -> ImageTransform | None:
    """`transform` followed by the fit `rule` (itself for fakeid's rule, which `load_rgb` applies anyway)."""
    return transform if rule == FAKEID_FIT else Fit(rule, size, transform)


def load_rgb(path: str | Path, size: int, transform: ImageTransform | None = None) -> np.ndarray:
    """Decode `path` into a size x size x 3 uint8 array; raises OSError/ValueError for a corrupt file."""
    with Image.open(path) as image:
        image.load()  # decode fully now: a truncated file must fail here, not later in a worker
        rgb = to_rgb(image)
        if transform is not None:
            rgb = transform(rgb, str(path), image.format)
        return np.array(center_fit(rgb, size), dtype=np.uint8)  # a writable copy, as torch wants


def header_check(path: str | Path, max_pixels: int, key: str) -> tuple[tuple[int, int] | None, str | None]:
    """(width, height) by the header (None when Pillow cannot read it), and why `path` must not be decoded: more
    than `max_pixels` pixels by its header (`key` names the budget's config key); None when it is within budget
    or its header cannot be read (decoding then reports why). One read gives both: the data plan read each
    header twice, for the budget and for the size."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our budget decides, said once below
            with Image.open(path) as image:
                width, height = image.size
    except Image.DecompressionBombError as err:  # over twice Pillow's limit: Pillow refuses even the header
        return None, f"{OVER_BUDGET} ({' '.join(str(err).split())[:120]})"
    except Exception:  # noqa: BLE001 - an unreadable header is the decoder's to report
        return None, None
    return (width, height), budget_reason(width, height, max_pixels, key)


def budget_reason(width: int, height: int, max_pixels: int, key: str) -> str | None:
    """Why an image of this size by its header must not be decoded (more than `max_pixels`, the budget `key`
    names), or None: the one wording of the refusal, for the data plan's files and predict's rows."""
    if width * height > max_pixels:
        return f"{OVER_BUDGET}: {width}x{height} = {width * height} pixels, more than {key}={max_pixels}"
    return None


class NotRegularFile(OSError):
    """A path that is a FIFO, socket or device: reading it could block forever or never end."""


SPECIAL_KINDS = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def open_regular(path: str | Path) -> BinaryIO:
    """`path` opened for reading only if it is a regular file (after links). Opened without blocking, then
    checked on the open descriptor, so a FIFO named `x.png` can neither hang the open nor be swapped in
    between a check and the read; anything else raises NotRegularFile naming its kind."""
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    mode = os.fstat(descriptor).st_mode
    if not stat.S_ISREG(mode):
        os.close(descriptor)
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, "a folder", str(path))
        kind = next((name for test, name in SPECIAL_KINDS if test(mode)), "not a regular file")
        raise NotRegularFile(f"{kind}, not a regular file")
    if hasattr(os, "set_blocking"):
        os.set_blocking(descriptor, True)
    return os.fdopen(descriptor, "rb")


def is_image_name(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES
