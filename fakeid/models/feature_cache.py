"""The probe's feature cache: a frozen tower's features of each image, computed once and then read.

A frozen tower maps the same pixels to the same features, so an epoch of a linear probe needs the tower only
the first time it sees an image. The rules are the decoded cache's (fakeid.data.cache): a cache never gives
other features than computing them would. Its folder's `key` is a sha256 of everything that changes a feature:
the tower's name, a hash of its weights as loaded (a local file or a random initialisation alike), its input
normalisation and FEATURES_VERSION; an image's entry is named by a sha256 of its pixels (the uint8 centre crop
the loader gave, with its shape), so the crop size and any change of the decoding give other entries.

    <folder>/probe-<key>/<hash[:2]>/<hash>.npy   one image's float32 features, written atomically

With no folder the cache lives in memory for the run. Counts (read from memory, read from disk, computed)
say how much it saved; the probe logs them after each epoch.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from fakeid.core.atomic import write_atomically

FEATURES_VERSION = "probe-features-v1"  # bump when what a feature is changes (e.g. a pooling choice)


def weights_hash(module: nn.Module) -> str:
    """sha256 of a module's state dict as loaded (names, shapes, bytes)."""
    digest = hashlib.sha256()
    for name, tensor in sorted(module.state_dict().items()):
        value = tensor.detach().cpu().contiguous()
        digest.update(f"{name}:{tuple(value.shape)}:{value.dtype}".encode())
        digest.update(value.numpy().tobytes() if value.dtype != torch.bfloat16 else value.float().numpy().tobytes())
    return digest.hexdigest()


def cache_key(tower_name: str, tower: nn.Module, mean: torch.Tensor, std: torch.Tensor) -> str:
    """The folder key: the inputs that change a feature (module docstring)."""
    meta = {
        "tower": tower_name,
        "weights": weights_hash(tower),
        "mean": [round(float(v), 9) for v in mean.flatten()],
        "std": [round(float(v), 9) for v in std.flatten()],
        "version": FEATURES_VERSION,
    }
    return hashlib.sha256(json.dumps(meta, sort_keys=True).encode()).hexdigest()[:24]


def image_hash(image: torch.Tensor) -> str:
    """sha256 of one uint8 C x H x W image's pixels and shape."""
    pixels = image.detach().cpu().contiguous()
    return hashlib.sha256(str(tuple(pixels.shape)).encode() + pixels.numpy().tobytes()).hexdigest()


@dataclass
class FeatureCache:
    """Features by image hash, in memory and, when `folder` is set, on disk under `probe-<key>`."""

    key: str
    folder: Path | None = None
    memory: dict[str, torch.Tensor] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=lambda: {"memory": 0, "disk": 0, "computed": 0})

    @property
    def path(self) -> Path | None:
        return None if self.folder is None else Path(self.folder).expanduser() / f"probe-{self.key}"

    def _file(self, digest: str) -> Path:
        assert self.path is not None
        return self.path / digest[:2] / f"{digest}.npy"

    def features(self, images: torch.Tensor, compute: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
        """Features of a uint8 batch: the cached ones read, the others computed in one batch by `compute`
        (uint8 images -> float features) and stored."""
        digests = [image_hash(image) for image in images]
        found: dict[int, torch.Tensor] = {}
        for index, digest in enumerate(digests):
            if digest in self.memory:
                found[index] = self.memory[digest]
                self.counts["memory"] += 1
            elif self.path is not None and self._file(digest).is_file():
                found[index] = self.memory[digest] = torch.from_numpy(np.load(self._file(digest)))
                self.counts["disk"] += 1
        missing = [index for index in range(len(digests)) if index not in found]
        if missing:
            with torch.no_grad():
                computed = compute(images[missing]).detach().float().cpu()
            self.counts["computed"] += len(missing)
            for index, row in zip(missing, computed, strict=True):
                row = row.clone()
                found[index] = self.memory[digests[index]] = row
                if self.path is not None:
                    write_atomically(self._file(digests[index]), functools.partial(_save, row=row))
        return torch.stack([found[index] for index in range(len(digests))]).to(images.device)


def _save(partial: Path, row: torch.Tensor) -> None:
    with partial.open("wb") as handle:
        np.save(handle, row.numpy())
