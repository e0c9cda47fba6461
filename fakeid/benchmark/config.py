"""fakeid.bench's keys are the schema's (`fakeid.core.configs.BenchConfig`: type, default, range, doc, checked
before the command runs); here only what `auto` means on each device (`resolved`), and the check of a mapping
that did not come through the command line (`bench_config`, for Python callers and tests)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from fakeid.benchmark.machine import usable_cpus
from fakeid.core.configs import BENCH_PARTS as PARTS
from fakeid.core.configs import BenchConfig
from fakeid.core.devices import device_name
from fakeid.core.errors import FakeidError
from fakeid.core.schema import mapping_problem

__all__ = ["PARTS", "PRECISIONS", "BenchConfig", "bench_config", "resolved"]
PRECISIONS = ("32-true", "bf16-mixed")  # the formats part's variants (BenchConfig.precision's choices but auto)


def _auto(value: Any, default: Any) -> Any:
    return default if value in ("auto", None) else value


def resolved(config: BenchConfig) -> BenchConfig:
    """Every `auto` replaced by its device-dependent default: a config whose numbers are numbers."""
    cuda = device_name(config.device) == "cuda"
    batch = _auto(config.batch, 64 if cuda else 32)
    return replace(
        config,
        device="cuda" if cuda else "cpu",
        size=_auto(config.size, 256 if cuda else 64),
        batch=batch,
        eval_batch=_auto(config.eval_batch, 2 * batch),
        images=_auto(config.images, 2048 if cuda else 256),
        workers=_auto(config.workers, min(8 if cuda else 2, usable_cpus())),
        steps=_auto(config.steps, 100 if cuda else 24),
        warmup=_auto(config.warmup, 20 if cuda else 3),
        precision=("bf16-mixed" if cuda else "32-true") if config.precision == "auto" else config.precision,
        channels_last=None if config.channels_last == "auto" else config.channels_last,  # None: the detector's own
    )


def bench_config(values: Mapping[str, Any]) -> BenchConfig:
    """{'size': 64, 'device': 'cpu'} -> a resolved BenchConfig, each key and value checked by the schema."""
    problem = mapping_problem(dict(values), BenchConfig, app="bench")
    if problem:
        raise FakeidError(problem)
    return resolved(BenchConfig(**values))
