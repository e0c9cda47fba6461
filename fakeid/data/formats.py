"""Image formats from bytes, JPEG quality from quantisation tables, and the real-vs-fake format shortcut.

- `sniff_format` names a format from a file's first bytes (the suffix may lie: LSUN's export tool writes
  every value as `.webp`); `FORMAT_SUFFIX` is the extension prepare gives each format. Every format named here
  has a suffix in `fakeid.data.images.IMAGE_SUFFIXES` (a test holds them together), so fakeid decodes what
  prepare writes.
- `estimate_jpeg_quality` finds the IJG quality (1..100) whose scaled standard luminance table is nearest to
  the file's own: exact for files written with the IJG tables (libjpeg, Pillow); for other tables (many
  cameras, some editors) it is the nearest IJG equivalent.
- `format_mismatch` is the cheap check training runs: formats per class of a file list, read from the first
  bytes of each file, and one warning line when real and fake differ.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from fakeid.data.layout import CLASS_DIRS, FAKE_DIR, REAL_DIR

SNIFF_BYTES = 16
FORMAT_SUFFIX = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp", "BMP": ".bmp", "TIFF": ".tif"}
SUFFIX_FORMAT = {
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".png": "PNG",
    ".webp": "WEBP",
    ".bmp": "BMP",
    ".tif": "TIFF",
    ".tiff": "TIFF",
}
# Two classes "differ" when at least this share of one class would have to change format (or size) to
# match the other: the total variation distance between the two distributions.
DIFFERENCE_THRESHOLD = 0.1
QUALITY_GAP = 5  # JPEG quality medians further apart than this are reported

# The IJG standard luminance table (ITU T.81 Annex K), natural order, as Pillow reports `quantization`.
IJG_LUMINANCE = (
    16,
    11,
    10,
    16,
    24,
    40,
    51,
    61,
    12,
    12,
    14,
    19,
    26,
    58,
    60,
    55,
    14,
    13,
    16,
    24,
    40,
    57,
    69,
    56,
    14,
    17,
    22,
    29,
    51,
    87,
    80,
    62,
    18,
    22,
    37,
    56,
    68,
    109,
    103,
    77,
    24,
    35,
    55,
    64,
    81,
    104,
    113,
    92,
    49,
    64,
    78,
    87,
    103,
    121,
    120,
    101,
    72,
    92,
    95,
    98,
    112,
    100,
    103,
    99,
)


def sniff_format(head: bytes) -> str | None:
    """The image format of a file from its first bytes, or None when it is none of FORMAT_SUFFIX's."""
    if head[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[:2] == b"BM":
        return "BMP"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "TIFF"
    return None


def file_format(path: Path) -> str:
    """The format in the file's first bytes; the suffix's format when the bytes are not recognised."""
    with open(path, "rb") as handle:
        found = sniff_format(handle.read(SNIFF_BYTES))
    return found or SUFFIX_FORMAT.get(path.suffix.lower(), path.suffix.lower().lstrip(".") or "none")


def ijg_table(quality: int) -> list[int]:
    scale = 5000 // quality if quality < 50 else 200 - 2 * quality
    return [min(255, max(1, (base * scale + 50) // 100)) for base in IJG_LUMINANCE]


@functools.cache
def ijg_tables() -> np.ndarray:
    """The 100 tables of `ijg_table`, row q-1 for quality q: built once per process. Rebuilt for every file, they
    cost `fakeid.check` 56 ms a JPEG (95 % of its time reading headers; BENCHMARKS.md, "Paper scale")."""
    return np.array([ijg_table(quality) for quality in range(1, 101)], dtype=np.int64)


def estimate_jpeg_quality(image: Image.Image) -> int | None:
    """The IJG quality whose luminance table is nearest to the image's (None when it is not a JPEG): the least
    sum of absolute differences, the higher quality on a tie."""
    tables = getattr(image, "quantization", None)
    if image.format != "JPEG" or not tables:
        return None
    own = np.asarray(list(tables[min(tables)]), dtype=np.int64)[: len(IJG_LUMINANCE)]
    distances = np.abs(ijg_tables()[:, : own.size] - own).sum(axis=1)
    return int(100 - np.argmin(distances[::-1]))  # argmin takes the first minimum: reversed, the highest quality


def distribution_gap(first: Mapping[str, int], second: Mapping[str, int]) -> float:
    """Total variation distance between two count tables (0: same shares, 1: nothing in common)."""
    total_first, total_second = sum(first.values()), sum(second.values())
    if not total_first or not total_second:
        return 0.0
    keys = set(first) | set(second)
    return 0.5 * sum(abs(first.get(k, 0) / total_first - second.get(k, 0) / total_second) for k in keys)


def shares(counts: Mapping[str, int], top: int = 4) -> str:
    """'JPEG 100%' or 'PNG 60%, JPEG 40%', most common first; beyond `top` entries, 'N others'."""
    total = sum(counts.values()) or 1
    ranked = Counter(counts).most_common()
    text = ", ".join(f"{name} {100 * n / total:.0f}%" for name, n in ranked[:top])
    return text + (f", {len(ranked) - top} others" if len(ranked) > top else "")


def format_mismatch(paths: Sequence[Path], labels: Sequence[int]) -> str | None:
    """One warning line when the formats of the real and fake files differ (the format shortcut), else None.

    Reads the first bytes of each file (no decoding). Labels are those of CLASS_DIRS (0 real, 1 fake).
    """
    real_label, fake_label = CLASS_DIRS[REAL_DIR], CLASS_DIRS[FAKE_DIR]
    real = Counter(file_format(Path(p)) for p, label in zip(paths, labels, strict=True) if label == real_label)
    fake = Counter(file_format(Path(p)) for p, label in zip(paths, labels, strict=True) if label == fake_label)
    if distribution_gap(real, fake) <= DIFFERENCE_THRESHOLD:
        return None
    return (
        f"real and fake files differ in format (real: {shares(real)}; fake: {shares(fake)}): a detector can "
        "learn the format instead of the generator; `python -m fakeid.check root=ROOT` tells more"
    )
