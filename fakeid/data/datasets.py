"""Torch datasets over selected files: each item is (uint8 C x H x W tensor, float label).

Images stay uint8 until they reach the device, where the detector normalises them: a quarter of the
bytes through the loader and the host-to-device copy, and the same batches whether decoded from files
or read from the decoded cache.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset, get_worker_info

from fakeid.data.images import ImageTransform, load_rgb

# what the decoded-image memo may hold in one process: a sweep worker of `make demo` needs about 27 MB (every
# image of the embedded benchmark at 32 px); at 256 px it holds the first ~680 images decoded, then stops adding.
# Well under the 300 MB a joblib (loky) worker may grow between jobs before it is restarted as leaking.
MEMO_BYTES = 128 * 2**20


class DecodedMemo:
    """The images this process has decoded, kept for the next reads of the same file: a worker of the parallel
    launcher runs job after job on the same data (every run checks, validates on and scores the same files), and
    decoded them all again in each run (BENCHMARKS.md, "`make demo`'s compute share").

    The key is the file itself as the fingerprint sees it (absolute path, device and inode, size, modification
    time in ns) and the decoded size: another data root, a regenerated or touched file, or another image size is
    another key, so two datasets never share pixels. Only untransformed decodes are kept (a transform is the
    evaluation's perturbation or the training draw: not the file's pixels), only in the process that plans and
    trains (a DataLoader worker would keep a copy of its own per worker), and only up to `budget` bytes
    (`MEMO_BYTES`), after which nothing is added (no eviction: what is kept stays valid). A read that fails keeps
    nothing; every hit is a copy, so a caller that writes into its array never changes the kept one."""

    def __init__(self, budget: int = MEMO_BYTES) -> None:
        self.budget = budget
        self.held = 0
        self.images: dict[tuple, np.ndarray] = {}

    @staticmethod
    def key(path: str, image_size: int) -> tuple:
        stat = os.stat(path)
        return (os.path.abspath(path), stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, image_size)

    def load(self, path: str, image_size: int, transform: ImageTransform | None = None) -> np.ndarray:
        """`load_rgb(path, image_size, transform)`, from the memo when this file was decoded before."""
        if transform is not None or get_worker_info() is not None:
            return load_rgb(path, image_size, transform)
        try:
            key = self.key(path, image_size)
        except OSError:  # no such file: load_rgb says so in its own words
            return load_rgb(path, image_size)
        kept = self.images.get(key)
        if kept is not None:
            return kept.copy()
        image = load_rgb(path, image_size)
        if self.held + image.nbytes <= self.budget:
            self.images[key] = image.copy()
            self.held += image.nbytes
        return image

    def clear(self) -> None:
        self.images.clear()
        self.held = 0


MEMO = DecodedMemo()


class ImageFileDataset(Dataset):
    """Decodes each file on its first access in a process (the plain path; `DecodedMemo` keeps it for the next
    run in the same process; `data.cache=true` keeps it on disk for every process)."""

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
        image = MEMO.load(self.paths[index], self.image_size, self.transform)
        return torch.from_numpy(image).permute(2, 0, 1), self.labels[index]


def decode_error(path: str, image_size: int, transform: ImageTransform | None = None, keep: bool = False) -> str | None:
    """None when the file decodes (and transforms), else the reason in a few words; `keep`: a file that decodes
    stays in this process's `MEMO` for the run's reads of it (not in a pool's processes, which end)."""
    try:
        if keep:
            MEMO.load(path, image_size, transform)
        else:
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
        return [decode_error(name, image_size, transform, keep=True) for name in names]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(decode_error, names, [image_size] * len(names), [transform] * len(names), chunksize=64))


ErrorCheck = Callable[[Sequence[Path]], list[str | None]]  # decode error of each path, None if it decodes


def file_error_check(image_size: int, workers: int, transform: ImageTransform | None = None) -> ErrorCheck:
    return lambda paths: decode_errors(paths, image_size, workers, transform)
