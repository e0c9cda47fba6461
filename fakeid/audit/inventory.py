"""What a data root holds, without stopping at the first problem: every class folder of every set, and the
facts of every file (sha256, format, size, JPEG quality, whether it decodes: an empty file, one that does not
decode and one over the pixel budget are errors, and `fakeid.audit.report` lists them as unreadable, never as
duplicates of each other).

Unlike `fakeid.data.layout`, which a training run uses and which stops at the first missing or empty
folder, the inventory records such folders as problems so that one check reports all of them.
"""

from __future__ import annotations

import functools
import hashlib
import io
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from fakeid.data.formats import estimate_jpeg_quality, sniff_format
from fakeid.data.images import MAX_PIXELS, OVER_BUDGET, is_image_name
from fakeid.data.layout import CLASS_DIRS

SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class ClassEntry:
    """One class folder of one set: `train/cat/0_real`, `test/stylegan2/horse/1_fake`, ..."""

    split: str
    set_name: str  # `cat` for train/val, `<generator>[/<category>]` for test
    class_dir: str  # a key of CLASS_DIRS
    path: Path
    images: tuple[Path, ...]
    non_image: tuple[Path, ...]
    problem: str | None = None  # `missing` or `empty`: blocking


@dataclass(frozen=True)
class FileFacts:
    sha256: str
    format: str | None
    width: int | None
    height: int | None
    mode: str | None
    jpeg_quality: int | None
    error: str | None  # why the file does not decode, else None


def class_entry(split: str, set_name: str, set_dir: Path, class_dir: str) -> ClassEntry:
    path = set_dir / class_dir
    if not path.is_dir():
        return ClassEntry(split, set_name, class_dir, path, (), (), "missing")
    files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
    images = tuple(p for p in files if is_image_name(p))
    non_image = tuple(p for p in files if not is_image_name(p))
    return ClassEntry(split, set_name, class_dir, path, images, non_image, None if images else "empty")


def set_folders(root: Path, split: str) -> list[tuple[str, Path]]:
    """(name, folder) of every set of a split: categories for train/val, both test layouts for test."""
    split_dir = root / split
    if not split_dir.is_dir():
        return []
    children = sorted(p for p in split_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
    if split != "test":
        return [(p.name, p) for p in children]
    sets = []
    for generator_dir in children:
        if any((generator_dir / name).is_dir() for name in CLASS_DIRS):
            sets.append((generator_dir.name, generator_dir))
            continue
        categories = sorted(p for p in generator_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
        sets += [(f"{generator_dir.name}/{p.name}", p) for p in categories] or [(generator_dir.name, generator_dir)]
    return sets


def walk_root(root: Path) -> list[ClassEntry]:
    """Every class folder of every set under ROOT/{train,val,test}, missing and empty ones included."""
    return [
        class_entry(split, name, folder, class_dir)
        for split in SPLITS
        for name, folder in set_folders(root, split)
        for class_dir in CLASS_DIRS
    ]


def probe(path: Path, decode: bool = True, max_pixels: int = MAX_PIXELS) -> FileFacts:
    """Read one file once: its hash, and what Pillow finds in it (fully decoded when `decode`, unless its header
    claims more than `max_pixels` pixels: then it is an error, as training skips it)."""
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    sniffed = sniff_format(data[:16])
    if not data:
        return FileFacts(digest, None, None, None, None, None, "empty file (0 bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # max_pixels decides, below
            image = Image.open(io.BytesIO(data))
        with image:
            facts = (image.format or sniffed, image.width, image.height, image.mode, estimate_jpeg_quality(image))
            if image.width * image.height > max_pixels:
                over = f"{OVER_BUDGET}: {image.width}x{image.height} pixels, more than data.max_pixels={max_pixels}"
                return FileFacts(digest, *facts[:4], None, over)
            if decode:
                image.load()
    except UnidentifiedImageError:
        return FileFacts(digest, sniffed, None, None, None, None, "not an image Pillow can identify")
    except Exception as err:  # noqa: BLE001 - Pillow raises many kinds; every one means "unreadable"
        message = f"{type(err).__name__}: {err}".splitlines()[0]
        return FileFacts(digest, sniffed, None, None, None, None, message)
    return FileFacts(digest, *facts, None)


def probe_all(paths: list[Path], decode: bool, workers: int, max_pixels: int = MAX_PIXELS) -> list[FileFacts]:
    """`probe` every file, in `workers` processes when more than one (order kept)."""
    function = functools.partial(probe, decode=decode, max_pixels=max_pixels)
    if workers <= 1 or len(paths) < 64:
        return [function(p) for p in paths]
    with ProcessPoolExecutor(workers) as pool:
        return list(pool.map(function, paths, chunksize=64))
