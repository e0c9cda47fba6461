"""fakeid.bench's keys (conf/bench.yaml) as a typed `BenchConfig`, with its `auto` values resolved per device.

The validation here is the bench's own until the command schema replaces it (issue 31): kept as it was when
speed.py was split, on purpose.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

from fakeid.benchmark.machine import usable_cpus
from fakeid.core.devices import device_name
from fakeid.core.errors import FakeidError
from fakeid.core.values import as_bool, as_float, as_int

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
