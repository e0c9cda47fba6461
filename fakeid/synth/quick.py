"""Quick image folders for the tests and the benchmark: plain files in the layout, no content model.

Every image is a smooth colour field (8-pixel blocks) with fine Gaussian noise, so that it compresses
roughly like a photograph (pure noise would make PNG decoding unrealistically dear, flat colour
unrealistically cheap); a fake adds a faint period-2 checkerboard, a learnable upsampling trace. This is
not the embedded benchmark (`fakeid.synth.generate`): no categories, no generators, only labelled folders.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from fakeid.data.layout import CLASS_DIRS, LABEL_DIRS

BLOCK = 8  # pixels per side of one colour block
NOISE_STD = 6.0  # grey levels of the fine noise
CHECKERBOARD = 24.0  # grey levels the fakes' checkerboard adds on every other pixel


def quick_pixels(rng: np.random.Generator, size: int, fake: bool) -> np.ndarray:
    """One size x size RGB uint8 image."""
    blocks = -(-size // BLOCK)
    smooth = np.kron(rng.uniform(0, 255, (blocks, blocks, 3)), np.ones((BLOCK, BLOCK, 1)))[:size, :size]
    pixels = smooth + rng.normal(0, NOISE_STD, smooth.shape)
    if fake:
        pixels += CHECKERBOARD * (np.indices((size, size)).sum(0) % 2)[..., None]
    return np.clip(pixels, 0, 255).astype(np.uint8)


def write_images(folder: Path, count: int, size: int, fake: bool, seed: int, suffix: str = ".png") -> list[Path]:
    """`count` images `0000<suffix>`, ... in `folder` (created), in the format the suffix names."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    paths = []
    for index in range(count):
        path = folder / f"{index:04d}{suffix}"
        Image.fromarray(quick_pixels(rng, size, fake)).save(path)
        paths.append(path)
    return paths


def write_labelled_set(folder: Path, count: int, size: int, seed: int) -> tuple[list[Path], list[int]]:
    """`count` images split over `folder`/{0_real,1_fake} (reals get the odd one); their paths and labels."""
    paths: list[Path] = []
    labels: list[int] = []
    for class_dir in LABEL_DIRS:
        label = CLASS_DIRS[class_dir]
        written = write_images(folder / class_dir, (count + 1 - label) // 2, size, bool(label), seed + label)
        paths += written
        labels += [label] * len(written)
    return paths, labels
