"""The decoded-image cache (`data.cache=true`): each class folder decoded once into a memory-mapped array.

Decoding PNG/JPEG every epoch makes the CPU loader the bound of a long run; reading rows of a uint8
N x H x W x 3 `.npy` memmap costs a copy. One cache holds *all* image files of one class folder (in the
order `fakeid.data.layout` lists them), so every run of a sweep, whatever its sample, seed or number of
categories, shares the same caches.

    <cache_dir>/<key>.npy    the decoded rows, row i = i-th listed file (zeros where a file is unreadable)
    <cache_dir>/<key>.json   meta: folder, paths, per-file decode error or null, image_size, transform, version,
                             decoders, build time

`key` is a sha256 of every input that changes the decoded pixels, so that a cache never gives other
pixels than decoding the files would: the exact file list (each file's path, size and mtime_ns), the image
size, PREPROCESSING_VERSION, the versions of Pillow and its libjpeg-turbo (which decode and re-encode), and
the `cache_key` of the image transform (an evaluation's perturbation: its parameters and, for noise, its
seed), if any. Any change of those gives a new key, hence a rebuild; otherwise the cache is reused. An input
that does not change pixels stays out (a noise-free level's seed), so runs that differ only there share it.
The meta file is written last, so its presence means the cache is complete. Two processes that start at
once serialise on `<key>.lock`; the first writes temporary files and renames them into place, the
second waits and reuses the result.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import PIL
import torch
from filelock import FileLock
from PIL import features
from torch.utils.data import Dataset
from tqdm import tqdm

from fakeid.core.atomic import write_atomically, write_json_atomically
from fakeid.core.errors import FakeidError
from fakeid.data.datasets import ErrorCheck, ImageFileDataset, decode_error, file_error_check
from fakeid.data.images import PREPROCESSING_VERSION, ImageTransform, load_rgb
from fakeid.data.layout import CLASS_DIRS, list_class_folder

CACHE_DIR_NAME = ".fakeid-cache"  # a data root's own cache folder, where `data.cache_dir` is not set
ROWS_PER_TASK = 128  # rows one build task decodes: big enough to amortise the task, small enough to balance
IN_PROCESS_BELOW = 64  # folders smaller than this are decoded without starting a process pool


def default_cache_dir(root: str | Path) -> Path:
    """The cache folder of a data root when `data.cache_dir` is not set: training and evaluation share it."""
    return Path(root).expanduser() / CACHE_DIR_NAME


@dataclass(frozen=True)
class FolderCache:
    """A complete cache of one class folder."""

    array_path: Path
    meta_path: Path

    @cached_property
    def meta(self) -> dict:
        return json.loads(self.meta_path.read_text())

    @cached_property
    def rows(self) -> dict[str, int]:
        """Absolute file path -> row of the array."""
        return {path: row for row, path in enumerate(self.meta["paths"])}

    def row_of(self, path: str | Path) -> int:
        try:
            return self.rows[absolute(path)]
        except KeyError:
            raise FakeidError(
                f"{path} is not among the image files of its folder's cache "
                f"{self.meta_path} (an image file of {self.meta['folder']} was expected)"
            ) from None

    def error_of(self, path: str | Path) -> str | None:
        return self.meta["errors"][self.row_of(path)]


def absolute(path: str | Path) -> str:
    # abspath, not resolve(): the same spelling the listing gives, without following links
    return os.path.abspath(path)


def folder_images(folder: Path) -> list[Path]:
    """The image files of a folder, in the layout's listing order (the cache's row order)."""
    return list(list_class_folder(folder, CLASS_DIRS.get(folder.name, 0)).images)


def decoder_versions() -> str:
    """The libraries whose version can change decoded or perturbed pixels."""
    return f"pillow {PIL.__version__}, libjpeg-turbo {features.version('libjpeg_turbo')}"


def cache_key(files: Sequence[Path], image_size: int, transform: ImageTransform | None = None) -> str:
    """sha256 of everything that decides the cache's content (see the module docstring)."""
    transform_key = f"{transform.cache_key}\n" if transform is not None else ""
    digest = hashlib.sha256(f"{PREPROCESSING_VERSION}\n{decoder_versions()}\n{image_size}\n{transform_key}".encode())
    for file in files:
        stat = os.stat(file)
        digest.update(f"{absolute(file)}\t{stat.st_size}\t{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def decode_rows(
    array_path: str, start: int, paths: Sequence[str], image_size: int, transform: ImageTransform | None = None
) -> list[str | None]:
    """Decode `paths` into rows start.. of the .npy at `array_path`; a build task, run in a worker process.

    Workers write straight into the memmap, so no decoded image crosses a pipe.
    """
    array = np.load(array_path, mmap_mode="r+")
    errors: list[str | None] = []
    for offset, path in enumerate(paths):
        try:
            array[start + offset] = load_rgb(path, image_size, transform)
            errors.append(None)
        except Exception:  # noqa: BLE001 - rare; decode_error re-reads the file for the one standard message
            errors.append(decode_error(path, image_size, transform))
    array.flush()
    return errors


def build(
    folder: Path,
    files: Sequence[Path],
    image_size: int,
    array_path: Path,
    meta_path: Path,
    workers: int,
    transform: ImageTransform | None = None,
) -> None:
    """Decode `files` into partial files next to the targets, then rename them into place (meta last), through
    fakeid.core.atomic.write_atomically like every other write: a full disk is one line, nothing half written."""
    started = time.time()
    names = [absolute(file) for file in files]
    errors: list[str | None] = [None] * len(names)

    def fill(temporary: Path) -> None:
        np.lib.format.open_memmap(
            temporary, mode="w+", dtype=np.uint8, shape=(len(names), image_size, image_size, 3)
        ).flush()
        starts = range(0, len(names), ROWS_PER_TASK)
        with tqdm(total=len(names), desc=f"decoding {folder} into the cache", unit="img", leave=False) as bar:
            if workers <= 0 or len(names) < IN_PROCESS_BELOW:
                for start in starts:
                    chunk = names[start : start + ROWS_PER_TASK]
                    errors[start : start + len(chunk)] = decode_rows(
                        str(temporary), start, chunk, image_size, transform
                    )
                    bar.update(len(chunk))
            else:
                with ProcessPoolExecutor(max_workers=workers) as pool:
                    tasks = {
                        pool.submit(
                            decode_rows,
                            str(temporary),
                            start,
                            names[start : start + ROWS_PER_TASK],
                            image_size,
                            transform,
                        ): start
                        for start in starts
                    }
                    for task in as_completed(tasks):
                        chunk_errors = task.result()
                        errors[tasks[task] : tasks[task] + len(chunk_errors)] = chunk_errors
                        bar.update(len(chunk_errors))

    write_atomically(array_path, fill)
    write_json_atomically(
        meta_path,
        {
            "folder": absolute(folder),
            "paths": names,
            "errors": errors,
            "image_size": image_size,
            "transform": transform.cache_key if transform is not None else None,
            "version": PREPROCESSING_VERSION,
            "decoders": decoder_versions(),
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "build_seconds": round(time.time() - started, 3),
        },
    )


def ensure_folder_cache(
    folder: Path, image_size: int, cache_dir: Path, workers: int, transform: ImageTransform | None = None
) -> FolderCache:
    """The cache of `folder` for its current files, built first if it does not exist yet."""
    files = folder_images(folder)
    key = cache_key(files, image_size, transform)
    cache = FolderCache(cache_dir / f"{key}.npy", cache_dir / f"{key}.json")
    if cache.meta_path.is_file() and cache.array_path.is_file():
        return cache  # the common case: no lock needed to read a finished cache
    cache_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(str(cache_dir / f"{key}.lock")):
        if not (cache.meta_path.is_file() and cache.array_path.is_file()):  # another process may have built it
            for leftover in [*cache_dir.glob(f"{key}.*.tmp*"), *cache_dir.glob(f".{key}.json.partial-*")]:
                # left by a killed build: we hold the lock, so no one else is writing them
                leftover.unlink(missing_ok=True)
            build(folder, files, image_size, cache.array_path, cache.meta_path, workers, transform)
    return cache


def caches_for(
    paths: Sequence[Path],
    image_size: int,
    cache_dir: Path,
    workers: int,
    known: dict[Path, FolderCache] | None = None,
    transform: ImageTransform | None = None,
) -> list[FolderCache]:
    """The folder cache of each path (grouped by parent folder), building the missing ones."""
    known = {} if known is None else known
    result = []
    for path in paths:
        folder = Path(absolute(Path(path).parent))
        if folder not in known:
            known[folder] = ensure_folder_cache(folder, image_size, cache_dir, workers, transform)
        result.append(known[folder])
    return result


def cache_error_check(
    cache_dir: Path, image_size: int, workers: int, transform: ImageTransform | None = None
) -> ErrorCheck:
    """An ErrorCheck answered from the caches' meta: building a cache is the decode test of its files."""
    known: dict[Path, FolderCache] = {}  # one run's selection asks about each folder several times

    def check(paths: Sequence[Path]) -> list[str | None]:
        caches = caches_for(paths, image_size, cache_dir, workers, known, transform)
        return [cache.error_of(path) for cache, path in zip(caches, paths, strict=True)]

    return check


class CachedImageDataset(Dataset):
    """The items of ImageFileDataset (uint8 C x H x W tensor, float32 label), read from the folder caches.

    Only array file names and row numbers are pickled into loader workers; each process opens the
    memmaps itself on first use, so no worker copies a whole array. DataLoader fetches whole batches
    through `__getitems__`.
    """

    def __init__(
        self,
        paths: Sequence[Path],
        labels: Sequence[int],
        image_size: int,
        cache_dir: Path,
        workers: int = 0,
        transform: ImageTransform | None = None,
    ):
        caches = caches_for(paths, image_size, Path(cache_dir), workers, transform=transform)
        self.array_files = sorted({str(cache.array_path) for cache in caches})
        which = {name: index for index, name in enumerate(self.array_files)}
        self.array_index = np.array([which[str(cache.array_path)] for cache in caches], dtype=np.int64)
        self.rows = np.array([cache.row_of(path) for cache, path in zip(caches, paths, strict=True)], dtype=np.int64)
        self.labels = torch.tensor(labels, dtype=torch.float32)
        self.image_size = image_size
        self._arrays: dict[int, np.ndarray] = {}

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_arrays": {}}  # memmaps are reopened in each worker, never pickled

    def __len__(self) -> int:
        return len(self.rows)

    def array(self, index: int) -> np.ndarray:
        if index not in self._arrays:
            self._arrays[index] = np.load(self.array_files[index], mmap_mode="r")
        return self._arrays[index]

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        image = np.array(self.array(self.array_index[index])[self.rows[index]])  # copy: memmaps are read-only
        return torch.from_numpy(image).permute(2, 0, 1), self.labels[index]

    def __getitems__(self, indices: Sequence[int]) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """The items of a whole batch: one ascending-row read per array, one HWC -> CHW copy in numpy.

        (numpy's transposing copy of uint8 is several times faster than torch's; the default collate
        then stacks contiguous items with plain memory copies.)
        """
        batch = np.asarray(indices, dtype=np.int64)
        images = np.empty((len(batch), 3, self.image_size, self.image_size), dtype=np.uint8)
        for array_index in np.unique(self.array_index[batch]):
            positions = np.flatnonzero(self.array_index[batch] == array_index)
            rows = self.rows[batch[positions]]
            order = np.argsort(rows, kind="stable")  # ascending rows: sequential reads of the memmap
            images[positions[order]] = self.array(int(array_index))[rows[order]].transpose(0, 3, 1, 2)
        return list(zip(torch.from_numpy(images), self.labels[torch.from_numpy(batch)], strict=True))


# ----------------------------------------------------------------------------- cached or decoded
def image_dataset(
    paths: Sequence[Path],
    labels: Sequence[int],
    image_size: int,
    *,
    cache_dir: Path | None,
    transform: ImageTransform | None = None,
    workers: int = 0,
) -> ImageFileDataset | CachedImageDataset:
    """The dataset of these files: read from the decoded cache when `cache_dir` is given, else decoded."""
    if cache_dir is not None:
        return CachedImageDataset(paths, labels, image_size, cache_dir, workers, transform=transform)
    return ImageFileDataset(paths, labels, image_size, transform)


def error_check(
    image_size: int, workers: int, *, cache_dir: Path | None, transform: ImageTransform | None = None
) -> ErrorCheck:
    """How a selection learns which files do not decode: from the cache (building it) or by decoding."""
    if cache_dir is not None:
        return cache_error_check(cache_dir, image_size, workers, transform)
    return file_error_check(image_size, workers, transform)
