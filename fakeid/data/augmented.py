"""The training loader's side of the augmentation (`fakeid.data.augment` says what it is): the epoch travels
with each index into the workers, and the training dataset augments each item from its (seed, epoch, index).

Kept apart from `fakeid.data.augment` so that what only reads a run's augmentation (the collector, the figures)
does not import torch.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset, Sampler

from fakeid.core.errors import FakeidError
from fakeid.data.augment import Augmentation, sample_rng
from fakeid.data.cache import CachedImageDataset
from fakeid.data.datasets import ImageFileDataset
from fakeid.data.images import center_fit, load_rgb


class EpochSampler(Sampler):
    """Yields (epoch, index) for each index of `sampler`: the epoch travels with the index into the workers.

    Lightning calls `set_epoch` at the start of each epoch (also through its DDP wrapper); the first epoch of a
    fit is set at construction, since Lightning makes the first iterator before it calls `set_epoch`."""

    def __init__(self, sampler: Sampler, epoch: int = 0):
        self.sampler, self.epoch = sampler, int(epoch)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        epoch = self.epoch
        for index in self.sampler:
            yield epoch, int(index)

    def __len__(self) -> int:
        return len(self.sampler)  # type: ignore[arg-type]  # Lightning's samplers are sized


class AugmentedDataset(Dataset):
    """A training dataset (file or cache) whose items are augmented; indexed by (epoch, index).

    On the file dataset the augmentation acts on the whole decoded image before the crop (`load_rgb`'s
    transform seam); on the cached one, on the cached centre crop (module docstring).
    """

    def __init__(
        self,
        base: ImageFileDataset | CachedImageDataset,
        augment: Augmentation,
        seed: int,
        source_formats: Sequence[str | None] = (),
    ):
        self.base, self.augment, self.seed = base, augment, int(seed)
        self.from_files = isinstance(base, ImageFileDataset)
        if not self.from_files and augment.crop == "random":
            raise FakeidError(
                "augment.crop=random needs the whole image: data.cache=true keeps only the centre crop "
                "(use data.cache=false, or augment.crop=center)"
            )
        self.source_formats = list(source_formats)
        self.image_size = base.image_size
        self.labels = base.labels

    def __len__(self) -> int:
        return len(self.base)

    def __getitem__(self, key: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor]:
        epoch, index = key
        rng = sample_rng(self.seed, epoch, index)
        if isinstance(self.base, ImageFileDataset):  # self.from_files
            image = load_rgb(self.base.paths[index], self.image_size, _Drawn(self.augment, rng, self.image_size))
            return torch.from_numpy(image).permute(2, 0, 1), self.labels[index]
        pixels, label = self.base[index]
        return self._augment_pixels(pixels, rng, self._source_format(index)), label

    def __getitems__(self, keys: Sequence[tuple[int, int]]) -> list[tuple[torch.Tensor, torch.Tensor]]:
        if isinstance(self.base, ImageFileDataset):  # self.from_files
            return [self[key] for key in keys]
        items = self.base.__getitems__([index for _, index in keys])  # the cache's fast batched read
        return [
            (self._augment_pixels(pixels, sample_rng(self.seed, epoch, index), self._source_format(index)), label)
            for (epoch, index), (pixels, label) in zip(keys, items, strict=True)
        ]

    def _source_format(self, index: int) -> str | None:
        return self.source_formats[index] if self.source_formats else None

    def _augment_pixels(
        self, pixels: torch.Tensor, rng: np.random.Generator, source_format: str | None
    ) -> torch.Tensor:
        image = Image.fromarray(pixels.permute(1, 2, 0).numpy())
        augmented = center_fit(self.augment(image, rng, self.image_size, source_format), self.image_size)
        return torch.from_numpy(np.array(augmented, dtype=np.uint8)).permute(2, 0, 1)


@dataclass(frozen=True)
class _Drawn:
    """One sample's augmentation with its draws bound: an `ImageTransform` for `load_rgb`."""

    augment: Augmentation
    rng: np.random.Generator
    size: int
    cache_key: str = "augment"  # never cached: the training loader reads the files (ImageTransform's member)

    def __call__(self, image: Image.Image, path: str, source_format: str | None) -> Image.Image:
        return self.augment(image, self.rng, self.size, source_format)


def source_formats(paths: Sequence[Any]) -> list[str | None]:
    """The format Pillow reads from each file's header (for `format` on the cache, which keeps pixels only)."""
    formats: list[str | None] = []
    for path in paths:
        try:
            with Image.open(path) as image:
                formats.append(image.format)
        except OSError:
            formats.append(None)
    return formats
