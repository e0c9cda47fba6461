"""The bench's `loader` part: the training loader from PNG files against the decoded cache, with workers and on
one core, the transport ceiling, the cache's build time, and an augmentation's cost per core."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import torch
from torch.utils.data import DataLoader, Dataset

from fakeid.benchmark.config import BenchConfig
from fakeid.core.threads import one_torch_thread
from fakeid.data.cache import cache_error_check
from fakeid.data.datamodule import CategoryMixDataModule
from fakeid.data.selection import Selection
from fakeid.synth.quick import write_labelled_set


def loaders(config: BenchConfig, root: Path, cache: bool, augment: dict | None = None) -> CategoryMixDataModule:
    """The datamodule training uses, so that the measured loaders are the real ones (batching, workers,
    pinning, shuffling, augmentation); the bench hands it its file lists directly instead of a plan."""
    return CategoryMixDataModule(
        str(root),
        augment=augment,
        image_size=config.size,
        batch_size=config.batch,
        eval_batch_size=config.eval_batch,
        num_workers=config.workers,
        seed=config.seed,
        cache=cache,
        cache_dir=str(root / "cache"),
    )


def loader_images_per_s(loader: DataLoader, min_seconds: float) -> float:
    """Images/s over whole epochs after one untimed epoch (workers started, files in the page cache)."""
    for _ in loader:
        pass
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < min_seconds:
        for _, labels in loader:
            count += len(labels)
    return count / (time.perf_counter() - started)


class ZeroBatches(Dataset):
    """Ready-made zero images: through a DataLoader it measures the transport alone (worker -> main process)."""

    def __init__(self, count: int, size: int):
        self.count, self.size = count, size

    def __len__(self) -> int:
        return self.count

    def __getitems__(self, indices: list[int]) -> list[tuple[torch.Tensor, torch.Tensor]]:
        images = torch.zeros((len(indices), 3, self.size, self.size), dtype=torch.uint8)
        return list(zip(images, torch.zeros(len(indices)), strict=True))


def bench_loader(config: BenchConfig, root: Path, selection: Selection) -> dict:
    """PNG vs cache through the training loader with `workers` processes, and on one core (no workers)."""
    build_started = time.perf_counter()
    cache_error_check(root / "cache", config.size, config.workers)(selection.paths)
    build_seconds = time.perf_counter() - build_started
    seconds, per = config.loader_seconds, max(1, config.workers)  # a worker process uses one core at most
    png = loader_images_per_s(loaders(config, root, cache=False).loader(selection, train=True), seconds)
    cached = loader_images_per_s(loaders(config, root, cache=True).loader(selection, train=True), seconds)
    transport = DataLoader(
        ZeroBatches(len(selection.paths), config.size),
        batch_size=config.batch,
        shuffle=True,
        num_workers=config.workers,
        persistent_workers=config.workers > 0,
        pin_memory=torch.cuda.is_available(),
    )
    in_process = replace(config, workers=0)
    with one_torch_thread():
        png_core = loader_images_per_s(loaders(in_process, root, cache=False).loader(selection, train=True), seconds)
        cached_core = loader_images_per_s(loaders(in_process, root, cache=True).loader(selection, train=True), seconds)
    return {
        "png_images_per_s": png,
        "cache_images_per_s": cached,
        "cache_over_png": cached / png,
        "png_images_per_s_per_worker": png / per,
        "cache_images_per_s_per_worker": cached / per,
        "transport_ceiling_images_per_s": loader_images_per_s(transport, seconds),
        "png_images_per_s_one_core": png_core,
        "cache_images_per_s_one_core": cached_core,
        "cache_over_png_one_core": cached_core / png_core,
        "cache_build_seconds": build_seconds,
        "cache_build_images_per_s": len(selection.paths) / build_seconds,
    }


def bench_augment(config: BenchConfig, augment: dict, workdir: Path) -> dict:
    """Per core (no workers, one torch thread): the training loader without and with `augment` (the `augment`
    group's config), from PNG files and from the cache, at each size of `augment_sizes`, on images of that size
    written for it."""
    out: dict = {"config": augment}
    for size in config.augment_sizes:
        root = workdir / f"augment-{size}"
        paths, labels = write_labelled_set(root / "train" / "bench", config.images, size, config.seed)
        selection = Selection("bench", paths, labels)
        sized = replace(config, size=size, workers=0)
        cache_error_check(root / "cache", size, 0)(paths)  # built before timing
        rates = {}
        with one_torch_thread():
            for source, cache in (("png", False), ("cache", True)):
                for name, setting in (("plain", None), ("augmented", augment)):
                    loader = loaders(sized, root, cache=cache, augment=setting).loader(selection, train=True)
                    rates[f"{source}_{name}"] = loader_images_per_s(loader, config.loader_seconds)
        out[f"{size}px"] = {
            **{f"{key}_images_per_s_one_core": value for key, value in rates.items()},
            **{
                f"{source}_augmented_over_plain": rates[f"{source}_augmented"] / rates[f"{source}_plain"]
                for source in ("png", "cache")
            },
            **{
                f"{source}_added_ms_per_image": 1000 / rates[f"{source}_augmented"] - 1000 / rates[f"{source}_plain"]
                for source in ("png", "cache")
            },
        }
    return out
