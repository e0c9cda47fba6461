"""What `python -m fakeid.bench` measures (its command line and examples: fakeid/bench.py).

Every key is in conf/bench.yaml (`auto` values follow the device). The bench writes its own synthetic
PNG images (no dataset needed; `fakeid.synth.quick`, the writer the tests use), then measures, with the very
loader, module and evaluation code that `python -m fakeid.train` uses:
- `reference` (first): the reference unit, images/s of a plain PyTorch training loop (`PlainLoop`, the one the
  Lightning overhead is measured against) at FIXED settings (`REFERENCE`: legacy_xception with pretrained=False,
  32 px, batch 16, fp32, NCHW, fused Adam, one random batch, on the CPU), with one torch thread and with all
  usable cores, in interleaved repeats (median). Its settings never follow the keys below, so that two runs on
  different days or machines compare: every throughput of the JSON is also given as a multiple of it
  (`x_reference`: the loader's figures, one process of one torch thread per worker, divided by the one-thread
  rate; training and evaluation by the all-threads rate, on a GPU too: the CPU the run had beside it);
- `loader`: images/s of the training loader decoding PNG files vs reading the decoded cache (same images),
  with `workers` processes and on one core (no workers, one torch thread), and their ratios; the transport
  ceiling (the same loader over ready-made zero batches: what moving batches between processes alone
  allows); the cache's build time; with `augment=CHOICE` (conf/augment), `loader.augment`: per core (no
  workers, one torch thread) images/s of the training loader without and with that augmentation, from PNG
  files and from the cache, at each of `augment_sizes` (its own images of that size), and the added
  milliseconds per image; the `train` and `formats` parts then train through the augmented loader too;
- `train`: images/s of FakeImageDetector through a real `pl.Trainer.fit` (`repeats` fits, each timed after
  `warmup` steps), the share of step time spent waiting for the loader, and on CUDA how busy the GPU was
  (CUDA events: 1 - GPU idle between steps / span); then Lightning's overhead against a plain PyTorch loop
  over the same DetectorNet (Adam, BCE, same batch, precision, memory format and on-device normalisation),
  the two interleaved step by step (`PlainStepAfterEach`) so that a drift of the machine's speed hits both
  alike: each of `repeats` fits gives one figure, and the overhead is their median, with min and max;
- `eval`: images/s of `predict_scores`;
- `formats` (not in the default parts): training through `pl.Trainer.fit` and evaluation with 32-true and
  bf16-mixed, NCHW and channels_last, in `repeats` interleaved rounds, and each one's speed relative to
  32-true NCHW (the median of the per-round ratios);
- peak memory (host RSS of this process and of its finished children; GPU max allocated), and the load
  average before and after (timings on a shared machine are only comparable within one run).
The result is printed as JSON and written to `out`.
"""

from __future__ import annotations

import contextlib
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import pytorch_lightning as pl
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from fakeid.core.atomic import write_json_atomically
from fakeid.core.devices import device_name
from fakeid.core.errors import FakeidError
from fakeid.core.threads import one_torch_thread, torch_threads
from fakeid.core.values import as_bool, as_float, as_int
from fakeid.data.augment import augmentation
from fakeid.data.cache import cache_error_check
from fakeid.data.datamodule import CategoryMixDataModule
from fakeid.data.selection import Selection
from fakeid.evaluation.scored_sets import autocast_for, predict_scores
from fakeid.models.backbone import DetectorNet
from fakeid.models.config import build_detector
from fakeid.models.detector import FakeImageDetector, adam
from fakeid.runs.identity import versions
from fakeid.synth.quick import write_labelled_set

PARTS = ("reference", "loader", "train", "eval", "formats")
PRECISIONS = ("32-true", "bf16-mixed")
NULL_WORDS = ("auto", "none", "null")


@dataclass(frozen=True)
class BenchConfig:
    device: str = "auto"  # cpu | cuda | auto (cuda when there is one; fakeid.core.devices)
    size: int | None = None  # image side; auto: 256 on cuda, 64 on cpu
    batch: int | None = None  # training batch; auto: 64 on cuda, 32 on cpu
    eval_batch: int | None = None  # auto: 2 x batch
    images: int | None = None  # synthetic PNGs (half real, half fake); auto: 2048 on cuda, 256 on cpu
    workers: int | None = None  # loader worker processes; auto: min(8, cpus) on cuda, min(2, cpus) on cpu
    steps: int | None = None  # timed training steps per repeat; auto: 100 on cuda, 24 on cpu
    warmup: int | None = None  # untimed steps before each repeat's timed ones; auto: 20 on cuda, 3 on cpu
    repeats: int = 5  # interleaved Lightning / plain pairs (train) and rounds (formats)
    precision: str = "auto"  # auto (bf16-mixed on cuda, 32-true on cpu) | 32-true | bf16-mixed
    channels_last: bool | None = None  # auto (None): the detector's own choice (NHWC) | true | false
    compile: bool = False  # torch.compile the network (model.compile=true)
    backbone: str = "legacy_xception"  # any timm model name (`model` is a config group of fakeid.train)
    source: str = "cache"  # what the train/eval loaders read: cache | png
    parts: str = "reference,loader,train,eval"  # comma-separated subset of reference, loader, train, eval, formats
    loader_seconds: float = 2.0  # least time each loader measurement runs
    augment_sizes: str = "64,256"  # image sides of the augmentation's measurement (`augment`, a config group)
    seed: int = 0
    workdir: str | None = None  # where images and cache go; default: a temporary folder, removed afterwards
    out: str = "outputs/bench.json"

    def resolved(self) -> BenchConfig:
        """Every `auto`/None replaced by its device-dependent default, and checked."""
        cuda = device_name(self.device) == "cuda"
        cpus = usable_cpus()
        batch = self.batch or (64 if cuda else 32)
        config = replace(
            self,
            device="cuda" if cuda else "cpu",
            size=self.size or (256 if cuda else 64),
            batch=batch,
            eval_batch=self.eval_batch or 2 * batch,
            images=self.images or (2048 if cuda else 256),
            workers=self.workers if self.workers is not None else min(8 if cuda else 2, cpus),
            steps=self.steps or (100 if cuda else 24),
            warmup=self.warmup if self.warmup is not None else (20 if cuda else 3),
            precision=("bf16-mixed" if cuda else "32-true") if self.precision == "auto" else self.precision,
        )
        if config.precision not in PRECISIONS:
            raise FakeidError(f"precision={config.precision!r}: expected auto or one of {', '.join(PRECISIONS)}")
        if config.source not in ("cache", "png"):
            raise FakeidError(f"source={config.source!r}: expected cache or png")
        sizes = config.augment_size_list()
        if not sizes or min(sizes) < 8:
            raise FakeidError(f"augment_sizes={config.augment_sizes!r}: expected image sides >= 8, e.g. [64,256]")
        unknown = set(config.part_list()) - set(PARTS)
        if unknown or not config.part_list():
            raise FakeidError(f"parts={config.parts!r}: expected a comma-separated subset of {', '.join(PARTS)}")
        for name in ("size", "batch", "eval_batch", "images", "steps", "repeats"):
            as_int(name, getattr(config, name), low=1)
        if config.images < 2 or config.workers < 0 or config.warmup < 0:
            raise FakeidError("expected images >= 2, workers >= 0 and warmup >= 0")
        return config

    def part_list(self) -> list[str]:
        return [part.strip() for part in self.parts.split(",") if part.strip()]

    def augment_size_list(self) -> list[int]:
        return [as_int("augment_sizes", part.strip()) for part in str(self.augment_sizes).split(",") if part.strip()]


def usable_cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def convert(key: str, kind: str, value: object) -> object:
    """One config value -> the type BenchConfig declares for `key`, or a one-line error naming the key."""
    if value is None or (isinstance(value, str) and value.lower() in NULL_WORDS and "None" in kind):
        if "None" not in kind:
            raise FakeidError(f"{key}={value}: expected a value, not null")
        return None
    if kind.startswith("int"):
        return as_int(key, value)
    if kind.startswith("bool"):
        return as_bool(key, value)
    if kind == "float":
        return as_float(key, value)
    if isinstance(value, (list, tuple)):  # parts=[train,eval]
        return ",".join(str(item) for item in value)
    return str(value)


def bench_config(values: Mapping[str, object]) -> BenchConfig:
    """{'size': 64, 'device': 'cpu'} (conf/bench.yaml after overrides) -> BenchConfig, each value checked."""
    types = {field.name: field.type for field in fields(BenchConfig)}
    unknown = sorted(set(values) - set(types))
    if unknown:
        raise FakeidError(f"unknown key {unknown[0]!r}: expected one of {', '.join(types)}")
    return BenchConfig(**{key: convert(key, types[key], value) for key, value in values.items()})


# --- inputs ------------------------------------------------------------------------------------------
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


# --- loader ------------------------------------------------------------------------------------------
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
    for size in config.augment_size_list():
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


# --- train -------------------------------------------------------------------------------------------
class StepClock:
    """Host times and (on CUDA) events at the start and end of each step, for throughput and idle time."""

    def __init__(self, device: torch.device):
        self.cuda = device.type == "cuda"
        self.starts: list[float] = []
        self.ends: list[float] = []
        self.sizes: list[int] = []
        self.start_events: list[torch.cuda.Event] = []
        self.end_events: list[torch.cuda.Event] = []

    def start(self) -> None:
        self.starts.append(time.perf_counter())
        if self.cuda:
            self.start_events.append(torch.cuda.Event(enable_timing=True))
            self.start_events[-1].record()

    def end(self, size: int, synchronize: bool) -> None:
        if self.cuda:
            self.end_events.append(torch.cuda.Event(enable_timing=True))
            self.end_events[-1].record()
            if synchronize:  # only at the edges of the timed window: syncing every step would hide overlap
                torch.cuda.synchronize()
        self.ends.append(time.perf_counter())
        self.sizes.append(size)

    def summary(self, warmup: int) -> dict:
        """Figures over the steps after `warmup` (timed from the end of the last warm-up step)."""
        first = warmup  # index of the first timed step
        span = self.ends[-1] - self.ends[first - 1] if first else self.ends[-1] - self.starts[0]
        between = sum(self.starts[i] - self.ends[i - 1] for i in range(max(first, 1), len(self.starts)))
        result = {
            "images_per_s": sum(self.sizes[first:]) / span,
            "step_ms": 1000 * span / (len(self.ends) - first),
            "host_wait_fraction": between / span,
            "gpu_busy_fraction": None,
        }
        if self.cuda:
            torch.cuda.synchronize()
            gpu_span = (self.end_events[first - 1] if first else self.start_events[0]).elapsed_time(self.end_events[-1])
            idle = sum(
                self.end_events[i - 1].elapsed_time(self.start_events[i])
                for i in range(max(first, 1), len(self.start_events))
            )
            result["gpu_busy_fraction"] = 1 - max(0.0, idle) / gpu_span
        return result


class StepClockCallback(pl.Callback):
    def __init__(self, clock: StepClock, warmup: int, total: int):
        self.clock, self.warmup, self.total = clock, warmup, total

    def on_train_batch_start(self, trainer, module, batch, batch_idx) -> None:
        self.clock.start()

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx) -> None:
        step = len(self.clock.ends) + 1
        self.clock.end(len(batch[1]), synchronize=step in (self.warmup, self.total))


def forever(loader: DataLoader) -> Iterator:
    while True:
        yield from loader


def new_detector(config: BenchConfig) -> FakeImageDetector:
    torch.manual_seed(config.seed)
    return build_detector(name=config.backbone, compile=config.compile, channels_last=config.channels_last)


def lightning_repeat(
    config: BenchConfig, detector: FakeImageDetector, loader: DataLoader, device: torch.device
) -> dict:
    """One repeat: a fresh `pl.Trainer.fit` of `warmup + steps` steps (set-up excluded from the timing)."""
    clock, total = StepClock(device), config.warmup + config.steps
    fit_steps(config, detector, loader, device, StepClockCallback(clock, config.warmup, total))
    return clock.summary(config.warmup)


def fit_steps(
    config: BenchConfig, detector: FakeImageDetector, loader: DataLoader, device: torch.device, timer: pl.Callback
) -> None:
    """A fresh `pl.Trainer.fit` of `warmup + steps` steps, timed by the callback `timer` alone."""
    detector.train()  # Lightning keeps the mode it finds: after an evaluation, BatchNorm would stay frozen
    trainer = pl.Trainer(
        accelerator="gpu" if device.type == "cuda" else "cpu",
        devices=1,
        precision=config.precision,
        max_steps=config.warmup + config.steps,
        max_epochs=-1,
        limit_val_batches=0,
        num_sanity_val_steps=0,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[timer],
        default_root_dir=tempfile.gettempdir(),
    )
    trainer.fit(detector, train_dataloaders=loader)


class PlainLoop:
    """The same training step without Lightning: the baseline its overhead is measured against."""

    def __init__(self, config: BenchConfig, device: torch.device):
        torch.manual_seed(config.seed)
        self.config, self.device = config, device
        self.channels_last = new_detector(config).uses_channels_last(device)  # the detector's own choice
        self.net = DetectorNet(config.backbone, drop_rate=0.0).to(device).train()
        if self.channels_last:
            self.net = self.net.to(memory_format=torch.channels_last)
        self.forward = torch.compile(self.net) if config.compile else self.net
        self.optimizer = adam(self.net.parameters(), lr=1e-3)  # the detector's own optimizer
        self.loss_fn = nn.BCEWithLogitsLoss()

    def step(self, images: torch.Tensor, labels: torch.Tensor) -> int:
        """One training step on a loader batch; the number of images."""
        images, labels = images.to(self.device, non_blocking=True), labels.to(self.device, non_blocking=True)
        images = self.net.normalise(images)  # on the device, as FakeImageDetector.on_after_batch_transfer
        if self.channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        with autocast_for(self.device, self.config.precision):
            loss = self.loss_fn(self.forward(images), labels)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return len(labels)


class Marks:
    """Moments in order: host clock readings on the CPU, events on the GPU's stream on CUDA (host times of
    queued GPU work say nothing about when the GPU did it)."""

    def __init__(self, device: torch.device):
        self.cuda = device.type == "cuda"
        self.marks: list = []

    def mark(self) -> None:
        if self.cuda:
            self.marks.append(torch.cuda.Event(enable_timing=True))
            self.marks[-1].record()
        else:
            self.marks.append(time.perf_counter())

    def seconds(self, first: int, second: int) -> float:
        if self.cuda:
            torch.cuda.synchronize()
            return self.marks[first].elapsed_time(self.marks[second]) / 1000
        return self.marks[second] - self.marks[first]


class PlainStepAfterEach(pl.Callback):
    """Lightning and the plain loop interleaved step by step: after each Lightning step, one plain-loop step
    on the next batch of its own pass over the same loader. Mark 2i is the end of Lightning step i, mark
    2i + 1 the end of plain step i, so Lightning's step i is timed from the end of plain step i - 1 (its loop,
    hooks and batch included) and plain step i from the end of Lightning step i (its batch included). Both
    loops meet the same moment of the machine: a drift of its speed over seconds, which on the 2-core sandbox
    moved whole repeats by 20-30%, hits both alike."""

    def __init__(self, plain: PlainLoop, loader: DataLoader, device: torch.device):
        self.plain, self.batches, self.marks = plain, forever(loader), Marks(device)
        self.sizes: dict[str, list[int]] = {"lightning": [], "plain": []}

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx) -> None:
        self.marks.mark()
        self.sizes["lightning"].append(len(batch[1]))
        self.sizes["plain"].append(self.plain.step(*next(self.batches)))
        self.marks.mark()

    def rates(self, warmup: int) -> dict[str, float]:
        """Images/s of each loop over the steps after `warmup` (at least after the first, which has no start)."""
        steps = range(max(warmup, 1), len(self.sizes["plain"]))
        seconds = {
            "lightning": sum(self.marks.seconds(2 * i - 1, 2 * i) for i in steps),
            "plain": sum(self.marks.seconds(2 * i, 2 * i + 1) for i in steps),
        }
        return {loop: sum(self.sizes[loop][i] for i in steps) / seconds[loop] for loop in seconds}


def spread(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def median_figures(repeats: list[dict]) -> dict:
    """Each figure's median over the repeats, and the per-repeat images/s."""
    figures = {}
    for key in repeats[0]:
        values = [repeat[key] for repeat in repeats if repeat[key] is not None]
        figures[key] = statistics.median(values) if values else None
    figures["images_per_s_repeats"] = [repeat["images_per_s"] for repeat in repeats]
    return figures


def peak_gpu_mib(device: torch.device) -> float | None:
    return torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else None


def bench_train(config: BenchConfig, loader: DataLoader, device: torch.device) -> tuple[dict, FakeImageDetector]:
    """Lightning alone in `repeats` fits (its throughput, loader wait and GPU busy fraction), then `repeats`
    fits with the plain loop interleaved step by step (PlainStepAfterEach): each gives one overhead, and
    `lightning_overhead_pct` is their median, with min and max."""
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    detector, plain = new_detector(config), PlainLoop(config, device)
    alone = []
    for index in range(config.repeats):
        alone.append(lightning_repeat(config, detector, loader, device))
        print(
            f"fakeid.bench: train repeat {index + 1}/{config.repeats} Lightning: {alone[-1]['images_per_s']:.1f} img/s",
            file=sys.stderr,
        )
    interleaved = []
    for index in range(config.repeats):
        steps = PlainStepAfterEach(plain, loader, device)
        fit_steps(config, detector, loader, device, steps)
        interleaved.append(steps.rates(config.warmup))
        print(
            f"fakeid.bench: interleaved repeat {index + 1}/{config.repeats}: Lightning "
            f"{interleaved[-1]['lightning']:.1f} img/s, plain loop {interleaved[-1]['plain']:.1f} img/s",
            file=sys.stderr,
        )
    overheads = [100 * (rates["plain"] / rates["lightning"] - 1) for rates in interleaved]
    overhead = spread(overheads)
    return {
        "lightning": median_figures(alone),
        "interleaved": {
            loop: {
                "images_per_s": statistics.median(rates[loop] for rates in interleaved),
                "images_per_s_repeats": [rates[loop] for rates in interleaved],
            }
            for loop in ("lightning", "plain")
        },
        "repeats": config.repeats,
        "lightning_overhead_pct": overhead["median"],
        "lightning_overhead_pct_min": overhead["min"],
        "lightning_overhead_pct_max": overhead["max"],
        "lightning_overhead_pct_repeats": overheads,
        "peak_gpu_mib": peak_gpu_mib(device),
    }, detector


# --- reference ---------------------------------------------------------------------------------------
# The reference unit's loop: fixed here, never taken from the keys of conf/bench.yaml, so that figures of two
# runs (two days, two machines) compare once each is divided by its own run's reference rate.
REFERENCE = BenchConfig(
    device="cpu",
    size=32,
    batch=16,
    precision="32-true",
    channels_last=False,
    compile=False,
    backbone="legacy_xception",
    warmup=3,
    steps=8,
    repeats=3,
    seed=0,
)
REFERENCE_LOOP = (
    f"fakeid.benchmark.speed.PlainLoop on the CPU: timm {REFERENCE.backbone} (pretrained=False) + fakeid's head, "
    f"{REFERENCE.size} px, batch {REFERENCE.batch}, fp32, NCHW, fused Adam, BCE, one fixed random batch; "
    f"{REFERENCE.warmup} untimed + {REFERENCE.steps} timed steps per repeat"
)


def reference_images_per_s(plain: PlainLoop, images: torch.Tensor, labels: torch.Tensor, threads: int) -> float:
    """One repeat of the reference loop on `threads` torch threads: images/s over the timed steps."""
    with torch_threads(threads):
        for _ in range(REFERENCE.warmup):
            plain.step(images, labels)
        started, count = time.perf_counter(), 0
        for _ in range(REFERENCE.steps):
            count += plain.step(images, labels)
        return count / (time.perf_counter() - started)


def bench_reference() -> dict:
    """The reference unit: the plain loop's images/s on one thread and on all usable cores, in `REFERENCE.repeats`
    interleaved repeats (the order of the two reverses every other repeat): the medians, and each repeat's figure."""
    started, cpus = time.perf_counter(), usable_cpus()
    plain = PlainLoop(REFERENCE, torch.device("cpu"))
    generator = torch.Generator().manual_seed(REFERENCE.seed)
    images = torch.randint(0, 256, (REFERENCE.batch, 3, REFERENCE.size, REFERENCE.size), generator=generator)
    images = images.to(torch.uint8)
    labels = (torch.arange(REFERENCE.batch) % 2).float()
    counts = {"one_thread": 1, "all_threads": cpus}
    rates: dict[str, list[float]] = {name: [] for name in counts}
    for index in range(REFERENCE.repeats):
        for name in counts if index % 2 == 0 else list(counts)[::-1]:
            rates[name].append(reference_images_per_s(plain, images, labels, counts[name]))
        print(
            f"fakeid.bench: reference repeat {index + 1}/{REFERENCE.repeats}: one thread "
            f"{rates['one_thread'][-1]:.1f} img/s, {cpus} threads {rates['all_threads'][-1]:.1f} img/s",
            file=sys.stderr,
        )
    result: dict = {"loop": REFERENCE_LOOP, "threads": counts, "repeats": REFERENCE.repeats}
    for name, values in rates.items():
        result[f"{name}_images_per_s"] = statistics.median(values)
        result[f"{name}_images_per_s_repeats"] = values
    result["seconds"] = time.perf_counter() - started
    return result


def reference_for(path: str) -> str:
    """Which reference rate a throughput is divided by: the loader's (worker processes of one torch thread
    each, or one core) by the one-thread rate, the others (torch's intra-op threads) by the all-threads rate.
    Not the loader by the all-threads rate: on the 2-core sandbox with a load of 2-5 from other work, the
    two-thread loop fell to 3-8 img/s while the one-thread loop held 44-46 img/s (BENCHMARKS.md), a collapse
    that threaded training shares and separate loader processes do not."""
    return "one_thread" if path.startswith("loader.") or "one_core" in path or "per_worker" in path else "all_threads"


def throughputs(node: object, path: str = "") -> Iterator[tuple[str, float]]:
    """(dotted path, images/s) of every throughput in a result: the numbers under a key holding `images_per_s`,
    a spread's median; per-repeat lists are left out (their median is there)."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield from throughputs(value, f"{path}.{key}" if path else str(key))
    elif (
        isinstance(node, (int, float))
        and not isinstance(node, bool)
        and "images_per_s" in path
        and not path.endswith(("_repeats", ".min", ".max"))
    ):
        yield path, float(node)


def in_reference_units(result: Mapping, reference: Mapping) -> dict:
    """Every throughput of `result` (the reference part left out) over the reference rate it compares with."""
    figures = {}
    for path, value in throughputs({k: v for k, v in result.items() if k != "reference"}):
        rate = reference_for(path)
        figures[path] = {"x_reference": value / reference[f"{rate}_images_per_s"], "divided_by": f"reference.{rate}"}
    return figures


# --- eval --------------------------------------------------------------------------------------------
def eval_images_per_s(detector: FakeImageDetector, loader: DataLoader, device: torch.device, precision: str) -> float:
    predict_scores(detector, [next(iter(loader))], device, precision)  # warm-up: kernels, workers
    if device.type == "cuda":
        torch.cuda.synchronize()
    started = time.perf_counter()
    scores, _ = predict_scores(detector, loader, device, precision)  # ends with .cpu(): synchronised
    return len(scores) / (time.perf_counter() - started)


def bench_eval(config: BenchConfig, detector: FakeImageDetector, loader: DataLoader, device: torch.device) -> dict:
    return {"images_per_s": eval_images_per_s(detector, loader, device, config.precision)}


# --- formats -----------------------------------------------------------------------------------------
def format_name(precision: str, channels_last: bool) -> str:
    return f"{precision}/{'channels_last' if channels_last else 'nchw'}"


def bench_formats(config: BenchConfig, train_loader: DataLoader, eval_loader: DataLoader, device: torch.device) -> dict:
    """Training (a real `pl.Trainer.fit`) and evaluation in every precision x memory format, in `repeats`
    interleaved rounds (the order reverses every other round); speed-ups are medians of per-round ratios
    to 32-true NCHW, which a change of machine load affects less than absolute figures."""
    variants = [(precision, channels_last) for precision in PRECISIONS for channels_last in (False, True)]
    detectors = {variant: new_detector(replace(config, channels_last=variant[1])) for variant in variants}
    train: dict[tuple, list[float]] = {variant: [] for variant in variants}
    evaluation: dict[tuple, list[float]] = {variant: [] for variant in variants}
    for index in range(config.repeats):
        for variant in variants if index % 2 == 0 else variants[::-1]:
            precision_config = replace(config, precision=variant[0], channels_last=variant[1])
            detector = detectors[variant]
            train[variant].append(lightning_repeat(precision_config, detector, train_loader, device)["images_per_s"])
            evaluation[variant].append(eval_images_per_s(detector, eval_loader, device, variant[0]))
            print(
                f"fakeid.bench: formats round {index + 1}/{config.repeats} {format_name(*variant)}: train "
                f"{train[variant][-1]:.1f} img/s, eval {evaluation[variant][-1]:.1f} img/s",
                file=sys.stderr,
            )
    base = variants[0]
    result: dict[str, Any] = {}
    for variant in variants:
        result[format_name(*variant)] = {
            "train_images_per_s": spread(train[variant]),
            "eval_images_per_s": spread(evaluation[variant]),
            "train_speedup": statistics.median(a / b for a, b in zip(train[variant], train[base], strict=True)),
            "eval_speedup": statistics.median(
                a / b for a, b in zip(evaluation[variant], evaluation[base], strict=True)
            ),
            "train_images_per_s_repeats": train[variant],
            "eval_images_per_s_repeats": evaluation[variant],
        }
    result["fastest_train"] = max(result, key=lambda name: result[name]["train_speedup"])
    result["repeats"] = config.repeats
    return result


# --- report ------------------------------------------------------------------------------------------
def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine(device: torch.device) -> dict:
    import PIL

    cuda = device.type == "cuda"
    return {
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": usable_cpus(),
        "torch_threads": torch.get_num_threads(),
        "platform": platform.platform(),
        "gpu": torch.cuda.get_device_name(device) if cuda else None,
        "gpu_count": torch.cuda.device_count() if cuda else 0,
        "cuda": torch.version.cuda if cuda else None,
        **versions(),
        "version.numpy": np.__version__,
        "version.pillow": PIL.__version__,
    }


def load_average() -> list[float] | None:
    """The 1, 5 and 15 minute load averages (a number above the core count means shared, slower timings)."""
    return list(os.getloadavg()) if hasattr(os, "getloadavg") else None


def peak_memory(device: torch.device) -> dict:
    # ru_maxrss is in KiB on Linux; children: the largest finished child (loader workers, build pool)
    return {
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "peak_rss_children_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "peak_gpu_mib": peak_gpu_mib(device),
    }


def run_bench(config: BenchConfig, workdir: Path, augment: dict | None = None) -> dict:
    started = time.time()
    device = torch.device(config.device)
    result: dict = {"config": asdict(config), "machine": machine(device), "load_average_start": load_average()}
    parts = config.part_list()
    if "reference" in parts:  # first: the unit of every other figure, measured before they load the machine
        result["reference"] = bench_reference()
    if set(parts) - {"reference"}:
        run_parts(config, workdir, device, parts, result, augment)
    if "reference" in parts:
        result["x_reference"] = in_reference_units(result, result["reference"])
    result["memory"] = peak_memory(device)
    result["load_average_end"] = load_average()
    result["wall_time_s"] = time.time() - started
    return result


def run_parts(
    config: BenchConfig, workdir: Path, device: torch.device, parts: list[str], result: dict, augment: dict | None
) -> None:
    """The parts that read images (all but the reference), on PNGs written into `workdir` first."""
    paths, labels = write_labelled_set(workdir / "train" / "bench", config.images, config.size, config.seed)
    selection = Selection("bench", paths, labels)
    datamodule = loaders(config, workdir, cache=config.source == "cache", augment=augment)  # train: augmented
    if "loader" in parts:
        result["loader"] = bench_loader(config, workdir, selection)
        if not augmentation(augment).is_identity:
            result["loader"]["augment"] = bench_augment(config, augment, workdir)
    elif config.source == "cache":
        cache_error_check(workdir / "cache", config.size, config.workers)(paths)  # build before timing
    detector = None
    if "train" in parts:
        result["train"], detector = bench_train(config, datamodule.loader(selection, train=True), device)
    if "eval" in parts:
        result["eval"] = bench_eval(
            config, detector or new_detector(config), datamodule.loader(selection, train=False), device
        )
    if "formats" in parts:
        result["formats"] = bench_formats(
            config, datamodule.loader(selection, train=True), datamodule.loader(selection, train=False), device
        )
    if "loader" in parts and "train" in parts:
        # > 1: the loader alone delivers more images/s than training consumes
        result["loader_headroom"] = (
            result["loader"][f"{config.source}_images_per_s"] / result["train"]["lightning"]["images_per_s"]
        )


def bench(config: BenchConfig, augment: dict | None = None) -> dict:
    """Run the benchmark in `workdir` (or a temporary folder), write the JSON to `out` and return it; `augment`
    (the `augment` group's config) adds the augmentation's loader cost."""
    with contextlib.ExitStack() as stack:
        workdir = (
            Path(config.workdir)
            if config.workdir
            else Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fakeid-bench-")))
        )
        with contextlib.redirect_stdout(sys.stderr):  # stdout carries only the JSON
            result = run_bench(config, workdir, augment)
    write_json_atomically(Path(config.out), result)
    return result
