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

This module runs the parts and measures training, evaluation and the formats; the rest is beside it: `config`
(the keys), `loader` (the loader part), `clocks` (step timing), `loop` (the plain loop and the timed fits),
`reference` (the reference unit), `machine` (the machine's facts).
"""

from __future__ import annotations

import contextlib
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader

from fakeid.benchmark.config import PRECISIONS, BenchConfig
from fakeid.benchmark.loader import bench_augment, bench_loader, loaders
from fakeid.benchmark.loop import PlainLoop, PlainStepAfterEach, fit_steps, lightning_repeat, new_detector
from fakeid.benchmark.machine import load_average, machine, peak_gpu_mib, peak_memory
from fakeid.benchmark.reference import bench_reference, in_reference_units
from fakeid.core.atomic import write_json_atomically
from fakeid.data.augment import augmentation
from fakeid.data.cache import cache_error_check
from fakeid.data.selection import Selection
from fakeid.evaluation.scored_sets import predict_scores
from fakeid.models.detector import FakeImageDetector
from fakeid.synth.quick import write_labelled_set


# --- train -------------------------------------------------------------------------------------------
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


# --- eval --------------------------------------------------------------------------------------------
def eval_images_per_s(detector: FakeImageDetector, loader: DataLoader, device: torch.device, precision: str) -> float:
    predict_scores(detector, [next(iter(loader))], device, precision)  # type: ignore[arg-type]  # one batch: warm-up
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


# --- run -------------------------------------------------------------------------------------------
def run_bench(config: BenchConfig, workdir: Path, augment: dict | None = None) -> dict:
    started = time.time()
    device = torch.device(config.device)
    result: dict = {"config": asdict(config), "machine": machine(device), "load_average_start": load_average()}
    parts = list(config.parts)
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
        if augment is not None and not augmentation(augment).is_identity:
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
