"""`python -m fakeid.bench [key=value ...]`: how fast this machine loads, trains and evaluates fakeid's detector.

    python -m fakeid.bench                              # CPU: size=64 batch=32 images=256 workers=2, 32-true
    python -m fakeid.bench device=cuda                  # GPU: size=256 batch=64 images=2048, bf16-mixed
    python -m fakeid.bench parts=loader size=256        # only the loaders, at the paper's image size
    python -m fakeid.bench size=32 images=32 batch=8 steps=3 warmup=1 out=/tmp/bench.json

It writes its own synthetic PNG images (no dataset needed; `fakeid.synth.quick`, the writer the tests
use), then measures, with the very loader, module
and evaluation code that `python -m fakeid.train` uses:
- `loader`: images/s of the training loader decoding PNG files vs reading the decoded cache (same images),
  with `workers` processes and on one core (no workers, one torch thread), and their ratios; the transport
  ceiling (the same loader over ready-made zero batches: what moving batches between processes alone
  allows); the cache's build time;
- `train`: images/s of FakeImageDetector through a real `pl.Trainer.fit` and of a plain PyTorch loop over the
  same DetectorNet (Adam, BCE, same batch, precision and on-device normalisation), timed after `warmup` steps,
  and Lightning's overhead; the share of step time spent waiting for the loader, and on CUDA how busy the GPU
  was (CUDA events: 1 - GPU idle between steps / span);
- `eval`: images/s of `predict_scores`;
- peak memory (host RSS of this process and of its finished children; GPU max allocated).
Every `key=value` is listed in `BenchConfig`; `auto` values follow the device. The result is printed as JSON
and written to `out`.
"""
from __future__ import annotations

import contextlib
import json
import os
import platform
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

import numpy as np
import pytorch_lightning as pl
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from fakeid.data.cache import cache_error_check
from fakeid.data.datamodule import CategoryMixDataModule
from fakeid.data.selection import Selection
from fakeid.errors import FakeidError, one_line_errors
from fakeid.evaluate import autocast_for, predict_scores
from fakeid.key_values import as_bool, as_int, parse_key_values
from fakeid.models.backbone import DetectorNet
from fakeid.models.config import build_detector
from fakeid.models.detector import FakeImageDetector
from fakeid.results import versions, write_json_atomically
from fakeid.synth.quick import write_labelled_set
from fakeid.torch_threads import one_torch_thread

PARTS = ("loader", "train", "eval")
PRECISIONS = ("32-true", "bf16-mixed")
# The goals; the train-throughput ones apply to one GPU of that name at 256 px in bf16.
CACHE_OVER_PNG_GOAL = 10.0
LIGHTNING_OVERHEAD_GOAL_PCT = 5.0
GPU_BUSY_GOAL = 0.9
TRAIN_GOALS = {"H200": 4000.0, "H100": 3000.0}


@dataclass(frozen=True)
class BenchConfig:
    device: str = "auto"  # auto (cuda when available) | cpu | cuda
    size: int | None = None  # image side; auto: 256 on cuda, 64 on cpu
    batch: int | None = None  # training batch; auto: 64 on cuda, 32 on cpu
    eval_batch: int | None = None  # auto: 2 x batch
    images: int | None = None  # synthetic PNGs (half real, half fake); auto: 2048 on cuda, 256 on cpu
    workers: int | None = None  # loader worker processes; auto: min(8, cpus) on cuda, min(2, cpus) on cpu
    steps: int | None = None  # timed training steps; auto: 100 on cuda, 6 on cpu
    warmup: int | None = None  # untimed steps first; auto: 20 on cuda, 2 on cpu
    precision: str = "auto"  # auto (bf16-mixed on cuda, 32-true on cpu) | 32-true | bf16-mixed
    compile: bool = False  # torch.compile the network (model.compile=true)
    model: str = "legacy_xception"
    source: str = "cache"  # what the train/eval loaders read: cache | png
    parts: str = "loader,train,eval"  # comma-separated subset of loader, train, eval
    loader_seconds: float = 2.0  # least time each loader measurement runs
    seed: int = 0
    workdir: str | None = None  # where images and cache go; default: a temporary folder, removed afterwards
    out: str = "outputs/bench.json"

    def resolved(self) -> BenchConfig:
        """Every `auto`/None replaced by its device-dependent default, and checked."""
        if self.device not in ("auto", "cpu", "cuda"):
            raise FakeidError(f"device={self.device!r}: expected auto, cpu or cuda")
        cuda = self.device == "cuda" or (self.device == "auto" and torch.cuda.is_available())
        if cuda and not torch.cuda.is_available():
            raise FakeidError("device=cuda: torch sees no CUDA device (torch.cuda.is_available() is False)")
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        batch = self.batch or (64 if cuda else 32)
        config = replace(
            self, device="cuda" if cuda else "cpu", size=self.size or (256 if cuda else 64), batch=batch,
            eval_batch=self.eval_batch or 2 * batch, images=self.images or (2048 if cuda else 256),
            workers=self.workers if self.workers is not None else min(8 if cuda else 2, cpus),
            steps=self.steps or (100 if cuda else 6),
            warmup=self.warmup if self.warmup is not None else (20 if cuda else 2),
            precision=("bf16-mixed" if cuda else "32-true") if self.precision == "auto" else self.precision)
        if config.precision not in PRECISIONS:
            raise FakeidError(f"precision={config.precision!r}: expected auto or one of {', '.join(PRECISIONS)}")
        if config.source not in ("cache", "png"):
            raise FakeidError(f"source={config.source!r}: expected cache or png")
        unknown = set(config.part_list()) - set(PARTS)
        if unknown or not config.part_list():
            raise FakeidError(f"parts={config.parts!r}: expected a comma-separated subset of {', '.join(PARTS)}")
        for name in ("size", "batch", "eval_batch", "images", "steps"):
            if getattr(config, name) < 1:
                raise FakeidError(f"{name}={getattr(config, name)}: expected an integer >= 1")
        if config.images < 2 or config.workers < 0 or config.warmup < 0:
            raise FakeidError("expected images >= 2, workers >= 0 and warmup >= 0")
        return config

    def part_list(self) -> list[str]:
        return [part for part in self.parts.split(",") if part]


def parse_args(argv: list[str]) -> BenchConfig:
    """['size=64', 'device=cpu'] -> BenchConfig; values are converted to each field's type."""
    types = {field.name: field.type for field in fields(BenchConfig)}
    values: dict[str, object] = {}
    for key, text in parse_key_values(argv, list(types)).items():
        if key not in types:
            raise FakeidError(f"unknown key {key!r}: expected one of {', '.join(types)}")
        kind = types[key]
        if text.lower() in ("auto", "none", "null") and "None" in kind:
            values[key] = None
        elif kind.startswith("int"):
            values[key] = as_int(key, text)
        elif kind == "bool":
            values[key] = as_bool(key, text)
        elif kind == "float":
            try:
                values[key] = float(text)
            except ValueError:
                raise FakeidError(f"{key}={text!r}: expected a number") from None
        else:
            values[key] = text
    return BenchConfig(**values)


# --- inputs ------------------------------------------------------------------------------------------
def loaders(config: BenchConfig, root: Path, cache: bool) -> CategoryMixDataModule:
    """The datamodule training uses, so that the measured loaders are the real ones (batching, workers,
    pinning, shuffling); the bench hands it its file lists directly instead of a plan."""
    return CategoryMixDataModule(str(root), image_size=config.size, batch_size=config.batch,
                                 eval_batch_size=config.eval_batch, num_workers=config.workers, seed=config.seed,
                                 cache=cache, cache_dir=str(root / "cache"))


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
        return list(zip(images, torch.zeros(len(indices))))


def bench_loader(config: BenchConfig, root: Path, selection: Selection) -> dict:
    """PNG vs cache through the training loader with `workers` processes, and on one core (no workers)."""
    build_started = time.perf_counter()
    cache_error_check(root / "cache", config.size, config.workers)(selection.paths)
    build_seconds = time.perf_counter() - build_started
    seconds, per = config.loader_seconds, max(1, config.workers)  # a worker process uses one core at most
    png = loader_images_per_s(loaders(config, root, cache=False).loader(selection, train=True), seconds)
    cached = loader_images_per_s(loaders(config, root, cache=True).loader(selection, train=True), seconds)
    transport = DataLoader(ZeroBatches(len(selection.paths), config.size), batch_size=config.batch, shuffle=True,
                           num_workers=config.workers, persistent_workers=config.workers > 0,
                           pin_memory=torch.cuda.is_available())
    in_process = replace(config, workers=0)
    with one_torch_thread():
        png_core = loader_images_per_s(loaders(in_process, root, cache=False).loader(selection, train=True), seconds)
        cached_core = loader_images_per_s(loaders(in_process, root, cache=True).loader(selection, train=True), seconds)
    return {"png_images_per_s": png, "cache_images_per_s": cached, "cache_over_png": cached / png,
            "png_images_per_s_per_worker": png / per, "cache_images_per_s_per_worker": cached / per,
            "transport_ceiling_images_per_s": loader_images_per_s(transport, seconds),
            "png_images_per_s_one_core": png_core, "cache_images_per_s_one_core": cached_core,
            "cache_over_png_one_core": cached_core / png_core,
            "cache_build_seconds": build_seconds, "cache_build_images_per_s": len(selection.paths) / build_seconds}


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
        result = {"images_per_s": sum(self.sizes[first:]) / span, "step_ms": 1000 * span / (len(self.ends) - first),
                  "host_wait_fraction": between / span, "gpu_busy_fraction": None}
        if self.cuda:
            torch.cuda.synchronize()
            gpu_span = (self.end_events[first - 1] if first else self.start_events[0]).elapsed_time(self.end_events[-1])
            idle = sum(self.end_events[i - 1].elapsed_time(self.start_events[i])
                       for i in range(max(first, 1), len(self.start_events)))
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


def bench_lightning(config: BenchConfig, loader: DataLoader, device: torch.device) -> tuple[dict, FakeImageDetector]:
    torch.manual_seed(config.seed)
    detector = build_detector(name=config.model, compile=config.compile)
    clock, total = StepClock(device), config.warmup + config.steps
    trainer = pl.Trainer(accelerator="gpu" if device.type == "cuda" else "cpu", devices=1, precision=config.precision,
                         max_steps=total, max_epochs=-1, limit_val_batches=0, num_sanity_val_steps=0, logger=False,
                         enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                         callbacks=[StepClockCallback(clock, config.warmup, total)],
                         default_root_dir=tempfile.gettempdir())
    trainer.fit(detector, train_dataloaders=loader)
    return clock.summary(config.warmup), detector


def bench_plain(config: BenchConfig, loader: DataLoader, device: torch.device) -> dict:
    """The same training step without Lightning: the baseline its overhead is measured against."""
    torch.manual_seed(config.seed)
    net = DetectorNet(config.model, drop_rate=0.0).to(device).train()
    if device.type == "cuda":
        net = net.to(memory_format=torch.channels_last)
    forward = torch.compile(net) if config.compile else net
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = nn.BCEWithLogitsLoss()
    clock, total = StepClock(device), config.warmup + config.steps
    batches = forever(loader)
    for step in range(1, total + 1):
        images, labels = next(batches)  # the wait for the loader falls between clock.end and clock.start
        clock.start()
        images, labels = images.to(device, non_blocking=True), labels.to(device, non_blocking=True)
        images = net.normalise(images)  # on the device, as FakeImageDetector.on_after_batch_transfer
        if device.type == "cuda":
            images = images.contiguous(memory_format=torch.channels_last)
        with autocast_for(device, config.precision):
            loss = loss_fn(forward(images), labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        clock.end(len(labels), synchronize=step in (config.warmup, total))
    return clock.summary(config.warmup)


def peak_gpu_mib(device: torch.device) -> float | None:
    return torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else None


def bench_train(config: BenchConfig, loader: DataLoader, device: torch.device) -> tuple[dict, FakeImageDetector]:
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    plain = {**bench_plain(config, loader, device), "peak_gpu_mib": peak_gpu_mib(device)}
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)
    lightning, detector = bench_lightning(config, loader, device)
    lightning["peak_gpu_mib"] = peak_gpu_mib(device)
    overhead = 100 * (plain["images_per_s"] / lightning["images_per_s"] - 1)
    return {"lightning": lightning, "plain": plain, "lightning_overhead_pct": overhead}, detector


# --- eval --------------------------------------------------------------------------------------------
def bench_eval(config: BenchConfig, detector: FakeImageDetector, loader: DataLoader, device: torch.device) -> dict:
    predict_scores(detector, [next(iter(loader))], device, config.precision)  # warm-up: kernels, workers
    if device.type == "cuda":
        torch.cuda.synchronize()
    started = time.perf_counter()
    scores, _ = predict_scores(detector, loader, device, config.precision)  # ends with .cpu(): synchronised
    return {"images_per_s": len(scores) / (time.perf_counter() - started)}


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
    return {"cpu_model": cpu_model(), "cpu_count": os.cpu_count(),
            "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
            "torch_threads": torch.get_num_threads(), "platform": platform.platform(),
            "gpu": torch.cuda.get_device_name(device) if cuda else None,
            "gpu_count": torch.cuda.device_count() if cuda else 0, "cuda": torch.version.cuda if cuda else None,
            **versions(), "version.numpy": np.__version__, "version.pillow": PIL.__version__}


def goal(target: float | None, measured: float | None, at_least: bool = True) -> dict:
    met = None if target is None or measured is None else (measured >= target if at_least else measured <= target)
    return {"target": target, "measured": measured, "met": met}


def goals(config: BenchConfig, result: dict) -> dict:
    """The issue's goals against this run's figures; `met` is null where a goal does not apply here."""
    loader, train = result.get("loader"), result.get("train")
    gpu = result["machine"]["gpu"] or ""
    full_size_bf16 = config.device == "cuda" and config.size == 256 and config.precision == "bf16-mixed"
    train_target = next((value for name, value in TRAIN_GOALS.items() if name in gpu), None) if full_size_bf16 else None
    lightning = train["lightning"] if train else {}
    return {
        "cache_over_png_per_core_ge_10": goal(CACHE_OVER_PNG_GOAL, loader and loader["cache_over_png_one_core"]),
        "cache_over_png_same_workers_ge_10": goal(CACHE_OVER_PNG_GOAL, loader and loader["cache_over_png"]),
        "lightning_overhead_pct_le_5": goal(LIGHTNING_OVERHEAD_GOAL_PCT, train and train["lightning_overhead_pct"],
                                            at_least=False),
        "train_images_per_s_on_h100_3000_h200_4000": goal(train_target, lightning.get("images_per_s")),
        "gpu_busy_fraction_ge_0.9": goal(GPU_BUSY_GOAL if config.device == "cuda" else None,
                                         lightning.get("gpu_busy_fraction"))}


def peak_memory(device: torch.device) -> dict:
    # ru_maxrss is in KiB on Linux; children: the largest finished child (loader workers, build pool)
    return {"peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "peak_rss_children_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
            "peak_gpu_mib": peak_gpu_mib(device)}


def run_bench(config: BenchConfig, workdir: Path) -> dict:
    started = time.time()
    device = torch.device(config.device)
    result: dict = {"config": asdict(config), "machine": machine(device)}
    paths, labels = write_labelled_set(workdir / "train" / "bench", config.images, config.size, config.seed)
    selection = Selection("bench", paths, labels)
    datamodule = loaders(config, workdir, cache=config.source == "cache")
    parts = config.part_list()
    if "loader" in parts:
        result["loader"] = bench_loader(config, workdir, selection)
    elif config.source == "cache":
        cache_error_check(workdir / "cache", config.size, config.workers)(paths)  # build before timing
    detector = None
    if "train" in parts:
        result["train"], detector = bench_train(config, datamodule.loader(selection, train=True), device)
    if "eval" in parts:
        if detector is None:
            torch.manual_seed(config.seed)
            detector = build_detector(name=config.model, compile=config.compile)
        result["eval"] = bench_eval(config, detector, datamodule.loader(selection, train=False), device)
    if "loader" in parts and "train" in parts:
        # > 1: the loader alone delivers more images/s than training consumes
        result["loader_headroom"] = result["loader"][f"{config.source}_images_per_s"] / \
            result["train"]["lightning"]["images_per_s"]
    result["memory"] = peak_memory(device)
    result["goals"] = goals(config, result)
    result["wall_time_s"] = time.time() - started
    return result


def main(argv: list[str] | None = None) -> None:
    with one_line_errors():
        config = parse_args(sys.argv[1:] if argv is None else argv).resolved()
        with contextlib.ExitStack() as stack:
            workdir = Path(config.workdir) if config.workdir else Path(stack.enter_context(tempfile.TemporaryDirectory(
                prefix="fakeid-bench-")))
            with contextlib.redirect_stdout(sys.stderr):  # stdout carries only the JSON
                result = run_bench(config, workdir)
        write_json_atomically(Path(config.out), result)
        print(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
