"""How an image becomes a score: decode (the training rule), cut the crops a `crop` mode asks for, batch them
through a scorer, and average per image. Imports no torch: the scorer is any callable that maps a uint8
batch (N, H, W, 3) to the probability of fake per crop.

    crop=center  the training rule (`fakeid.data.images.center_fit`): one image_size x image_size centre crop,
                 an image smaller than that on a side first enlarged (bicubic), with a note; a published
                 detector's own rule instead when its run records one (`published.fit`)
    crop=none    the whole image at its own size (Xception pools globally); images of equal size share a batch
    crop=tiles   the mean score of non-overlapping image_size tiles of the whole image (the grid centred, the
                 margins left out), at most `max_tiles` of them (an evenly spaced sub-lattice of the grid when
                 capped); an image smaller than one tile is scored as crop=center would score it, with a note

Every crop mode refuses an image with a side under `min_size` (an error row; default 32 px): a detector of
upsampling traces has nothing to read in a thumbnail, and enlarging one invents the traces it looks for.
An image whose header claims more than `max_pixels` pixels (default Pillow's decompression-bomb limit) is an
error row before anything decodes it, so that no input can exhaust memory (crop=none holds a whole image).
An animated image (GIF, APNG, WebP) is scored from its first frame, and its note says so.
"""

from __future__ import annotations

import errno
import math
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from fakeid.core.errors import FakeidError
from fakeid.data.images import (
    FAKEID_FIT,
    MAX_PIXELS,
    OVER_BUDGET,
    NotRegularFile,
    budget_reason,
    center_fit,
    open_regular,
    to_rgb,
)

CROPS = ("center", "none", "tiles")
Scorer = Callable[[np.ndarray], np.ndarray]  # uint8 (N, H, W, 3) -> float (N,) probability of fake
WIDE_MODES = {"I;16": "16-bit", "I;16B": "16-bit", "I;16L": "16-bit", "I": "32-bit", "F": "32-bit float"}


@dataclass(frozen=True)
class CropRule:
    crop: str = "center"
    image_size: int = 256
    min_size: int = 32
    max_tiles: int = 16
    max_pixels: int = MAX_PIXELS
    fit: str = FAKEID_FIT  # the detector's rule for crop=center (a published detector's peer rule)

    def __post_init__(self) -> None:
        if self.crop not in CROPS:
            raise FakeidError(f"crop={self.crop} is not one of {', '.join(CROPS)}")
        if int(self.min_size) < 1:
            raise FakeidError(f"min_size={self.min_size} must be a positive number of pixels")
        if int(self.max_tiles) < 1:
            raise FakeidError(f"max_tiles={self.max_tiles} must be at least 1")
        if int(self.max_pixels) < 1:
            raise FakeidError(f"max_pixels={self.max_pixels} must be a positive number of pixels")


@dataclass
class ImageResult:
    """One row of the predictions: what was read, the crops to score, then the score or the error."""

    path: Path
    width: int | None = None
    height: int | None = None
    format: str = ""
    error: str = ""
    notes: list[str] = field(default_factory=list)
    crops: list[np.ndarray] = field(default_factory=list)
    score: float | None = None


def conversion_note(mode: str, image: Image.Image, raw_mode: str = "") -> str | None:
    """What `to_rgb` changes beyond the ordinary (RGB, grey, palette): said in the row, never silently.
    `raw_mode`: how the file stores its pixels (Pillow's decoder mode, read before decoding): a 16-bit-per-
    channel colour PNG (`RGB;16B`) opens as 8-bit RGB, its low bytes dropped."""
    if mode in WIDE_MODES:
        return f"{WIDE_MODES[mode]} grey ({mode}) scaled to 8-bit from its full range"
    if ";16" in raw_mode:
        return f"16 bits per channel reduced to 8-bit ({raw_mode})"
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in image.info):
        return f"alpha dropped ({mode})"
    if mode == "CMYK":
        return "CMYK converted to RGB"
    return None


def spread(count: int, keep: int) -> list[int]:
    """`keep` of range(count), evenly spaced and mirror-symmetric about the middle: the first half rounded to
    nearest, the second its mirror image (numpy's round-half-to-even keeps 0, 2, 3, 4, 6, 8, 9, 10, 12, 14, 15
    of 16: lopsided). An odd number kept of an even count has no index on the middle: it takes (count - 1) // 2,
    as keep=1 does."""
    if keep >= count:
        return list(range(count))
    positions = np.linspace(0, count - 1, keep)
    first = [int(math.floor(position + 0.5)) for position in positions[: keep // 2]]  # spaced > 1: distinct
    middle = [(count - 1) // 2] if keep % 2 else []
    return first + middle + [count - 1 - index for index in reversed(first)]


def tile_origins(width: int, height: int, size: int, max_tiles: int) -> tuple[list[tuple[int, int]], int]:
    """Top-left corners (left, top) of the tiles to score, and how many the full grid holds.

    The grid is centred on the image; when it holds more than `max_tiles`, a sub-lattice of evenly spaced
    rows and columns (in the grid's aspect ratio) is kept, so the tiles still cover the whole image. The
    kept rows times the kept columns never exceed `max_tiles`: on a tall image (one column) the rows are
    capped at `max_tiles` themselves, as the columns of a wide one are. The image holds one tile at least.
    """
    cols, rows = width // size, height // size
    left, top = (width - cols * size) // 2, (height - rows * size) // 2
    keep_rows = max(1, min(rows, max_tiles, int(math.sqrt(max_tiles * rows / cols))))
    keep_cols = min(cols, max_tiles // keep_rows)  # >= 1, as keep_rows <= max_tiles
    keep_rows = min(rows, max_tiles // keep_cols)  # the rows the columns leave room for (10x3 in 16: 8x2)
    origins = [
        (left + col * size, top + row * size) for row in spread(rows, keep_rows) for col in spread(cols, keep_cols)
    ]
    return origins, rows * cols


def cut(rgb: Image.Image, rule: CropRule) -> tuple[list[np.ndarray], str | None]:
    """The crops to score for one decoded image, and a note when the crop mode had to adapt."""
    width, height = rgb.size
    size = rule.image_size
    if rule.crop == "none":
        return [np.array(rgb, dtype=np.uint8)], None
    if rule.crop == "center" and rule.fit != FAKEID_FIT:  # a published detector's own rule, said once in its record
        return [np.array(center_fit(rgb, size, rule.fit), dtype=np.uint8)], None
    if min(width, height) < size:
        note = f"enlarged from {width}x{height} to fit {size} px (bicubic, the training rule)"
        if rule.crop == "tiles":
            note = f"smaller than one {size} px tile: scored as crop=center, {note}"
        return [np.array(center_fit(rgb, size), dtype=np.uint8)], note
    if rule.crop == "center":
        return [np.array(center_fit(rgb, size), dtype=np.uint8)], None
    pixels = np.array(rgb, dtype=np.uint8)
    origins, total = tile_origins(width, height, size, rule.max_tiles)
    tiles = [pixels[top : top + size, left : left + size] for left, top in origins]
    return tiles, (f"{len(tiles)} of {total} tiles (max_tiles={rule.max_tiles})" if total > len(tiles) else None)


def read_error(err: Exception, path: Path | None = None) -> str:
    """One line for the `error` column."""
    if isinstance(err, OSError) and err.errno == errno.ELOOP:
        return "looping symbolic link"
    if isinstance(err, FileNotFoundError) and path is not None and path.is_symlink():
        return "broken symbolic link"
    if isinstance(err, FileNotFoundError):
        return "not found"
    if isinstance(err, IsADirectoryError):
        return "a folder, not an image"
    if isinstance(err, NotRegularFile):
        return str(err)
    if isinstance(err, UnidentifiedImageError):
        return "not an image Pillow can read"
    if isinstance(err, Image.DecompressionBombError):
        return f"{OVER_BUDGET} (over twice Pillow's decompression-bomb limit, {MAX_PIXELS} pixels)"
    message = " ".join(str(err).split()) or type(err).__name__
    return f"corrupt or truncated ({message[:120]})"


def prepare(path: Path, rule: CropRule) -> ImageResult:
    """Decode `path` by the training rule and cut its crops; a file that cannot be used gets its error."""
    result = ImageResult(path=path)
    try:
        with open_regular(path) as handle:  # a FIFO or device is an error row, never a hang
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # max_pixels decides, below
                image = Image.open(handle)
            return decode(result, image, rule)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as err:
        result.error, result.crops = read_error(err, path), []
    return result


def decode(result: ImageResult, image: Image.Image, rule: CropRule) -> ImageResult:
    """`prepare`'s work on the opened image: its size, the budget, the decoded RGB and its crops."""
    with image:
        result.width, result.height = image.size
        result.format = image.format or ""
        if min(image.size) < rule.min_size:
            result.error = f"too small: {result.width}x{result.height} px, a side under min_size={rule.min_size}"
            return result
        over = budget_reason(result.width, result.height, rule.max_pixels, "max_pixels")
        if over is not None:  # from the header: the file is never decoded
            result.error = over
            return result
        raw_mode = image.tile[0][3] if image.tile and isinstance(image.tile[0][3], str) else ""  # type: ignore[attr-defined]  # an ImageFile
        image.load()  # a truncated file fails here
        note = conversion_note(image.mode, image, raw_mode)
        rgb = to_rgb(image)
        frames = int(getattr(image, "n_frames", 1) or 1)  # after the copy: counting frames seeks
    result.crops, crop_note = cut(rgb, rule)
    frame_note = f"animated (first frame of {frames})" if frames > 1 else None
    result.notes = [text for text in (frame_note, note, crop_note) if text]
    return result


def batches_by_shape(results: Sequence[ImageResult], batch_size: int) -> Iterator[tuple[list[int], np.ndarray]]:
    """(owner index per crop, uint8 batch) with only crops of one shape in a batch."""
    groups: dict[tuple[int, ...], list[tuple[int, np.ndarray]]] = defaultdict(list)
    for index, result in enumerate(results):
        for crop in result.crops:
            groups[crop.shape].append((index, crop))
    for items in groups.values():
        for start in range(0, len(items), batch_size):
            chunk = items[start : start + batch_size]
            yield [owner for owner, _ in chunk], np.stack([crop for _, crop in chunk])


def score_results(results: Sequence[ImageResult], scorer: Scorer, batch_size: int) -> None:
    """Fill `score` (the mean over an image's crops) for every result that has crops; frees the crops."""
    sums, counts = np.zeros(len(results)), np.zeros(len(results))
    for owners, batch in batches_by_shape(results, batch_size):
        scores = np.asarray(scorer(batch), dtype=np.float64).reshape(-1)
        np.add.at(sums, owners, scores)
        np.add.at(counts, owners, 1)
    for index, result in enumerate(results):
        if counts[index]:
            result.score = float(sums[index] / counts[index])
        result.crops = []


def score_files(
    paths: Sequence[Path], rule: CropRule, scorer: Scorer, batch_size: int, on_done: Callable[[int], None] | None = None
) -> Iterator[ImageResult]:
    """Results in input order, decoded and scored `batch_size` images at a time (bounded memory)."""
    if int(batch_size) < 1:
        raise FakeidError(f"batch_size={batch_size} must be at least 1")
    for start in range(0, len(paths), batch_size):
        chunk = [prepare(Path(path), rule) for path in paths[start : start + batch_size]]
        score_results(chunk, scorer, batch_size)
        if on_done:
            on_done(len(chunk))
        yield from chunk
