"""The reference unit: the plain loop at fixed settings on the CPU, and every throughput of a result divided by
the reference rate it compares with (`x_reference`), so that runs of two days or machines compare."""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Iterator, Mapping

import torch

from fakeid.benchmark.config import BenchConfig
from fakeid.benchmark.loop import PlainLoop
from fakeid.benchmark.machine import usable_cpus
from fakeid.core.threads import torch_threads

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
    f"fakeid.benchmark.loop.PlainLoop on the CPU: timm {REFERENCE.backbone} (pretrained=False) + fakeid's head, "
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
