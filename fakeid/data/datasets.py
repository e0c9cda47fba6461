"""Torch datasets over selected files: each item is (uint8 C x H x W tensor, float label).

Images stay uint8 until they reach the device, where the detector normalises them: a quarter of the
bytes through the loader and the host-to-device copy, and the same batches whether decoded from files
or read from the decoded cache.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import torch
from torch.utils.data import Dataset

from fakeid.data.images import ImageTransform, load_rgb


class ImageFileDataset(Dataset):
    """Decodes each file on every access (the plain path; `data.cache=true` avoids the repeated decoding)."""

    def __init__(
        self, paths: Sequence[Path], labels: Sequence[int], image_size: int, transform: ImageTransform | None = None
    ):
        self.paths = [str(p) for p in paths]
        self.labels = torch.tensor(labels, dtype=torch.float32)
        self.image_size = image_size
        self.transform = transform

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        image = load_rgb(self.paths[index], self.image_size, self.transform)
        return torch.from_numpy(image).permute(2, 0, 1), self.labels[index]


def decode_error(path: str, image_size: int, transform: ImageTransform | None = None) -> str | None:
    """None when the file decodes (and transforms), else the reason in a few words."""
    try:
        load_rgb(path, image_size, transform)
    except Exception as err:  # noqa: BLE001 - Pillow raises many types for corrupt data; all mean "unreadable"
        return f"{type(err).__name__}: {err}".splitlines()[0][:200]
    return None


def decode_errors(
    paths: Sequence[Path], image_size: int, workers: int, transform: ImageTransform | None = None
) -> list[str | None]:
    """`decode_error` of every path, decoded in `workers` processes (in this process when workers is 0)."""
    names = [str(p) for p in paths]
    if workers <= 0 or len(names) < 64:
        return [decode_error(name, image_size, transform) for name in names]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(decode_error, names, [image_size] * len(names), [transform] * len(names), chunksize=64))


ErrorCheck = Callable[[Sequence[Path]], list[str | None]]  # decode error of each path, None if it decodes


def file_error_check(image_size: int, workers: int, transform: ImageTransform | None = None) -> ErrorCheck:
    return lambda paths: decode_errors(paths, image_size, workers, transform)
