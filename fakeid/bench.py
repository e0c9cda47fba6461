"""`python -m fakeid.bench [key=value ...]`: how fast this machine loads, trains and evaluates fakeid's detector.

    python -m fakeid.bench                              # CPU: size=64 batch=32 images=256 workers=2, 32-true
    python -m fakeid.bench device=cuda                  # GPU: size=256 batch=64 images=2048, bf16-mixed
    python -m fakeid.bench parts=[loader] size=256      # only the loaders, at the paper's image size
    python -m fakeid.bench parts=[loader] augment=blur_jpeg   # + a training augmentation's cost, per core
    python -m fakeid.bench parts=[formats] size=32 batch=16   # fp32 / bf16 x NCHW / channels_last, interleaved
    python -m fakeid.bench size=32 images=32 batch=8 steps=3 warmup=1 repeats=2 out=/tmp/bench.json
    python -m fakeid.bench parts=[reference]            # the reference unit alone (about 30 s on 2 cores)

What each part measures, and the reference unit every figure is also given in, is `fakeid.benchmark.speed`
(with `reference`);
this is its command line (conf/bench.yaml). The result is printed as JSON and written to `out`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, cast

import hydra
from omegaconf import DictConfig, OmegaConf

from fakeid import CONF_DIR
from fakeid.benchmark.config import bench_config
from fakeid.benchmark.speed import bench
from fakeid.core.cli import run_app
from fakeid.core.errors import one_line_errors
from fakeid.data.augment import augmentation


@hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name="bench")
def hydra_main(cfg: DictConfig) -> None:
    with one_line_errors():
        values = cast(dict[str, Any], OmegaConf.to_container(cfg, resolve=True))  # a mapping
        augment = values.pop("augment", None)  # a config group (conf/augment), not a BenchConfig key
        augmentation(augment)  # a bad value is one line before anything is measured
        result = bench(bench_config(values), augment)
    print(json.dumps(result, indent=2, default=str))


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m fakeid.bench [key=value ...]`; `argv` runs it in-process (tests)."""
    return run_app(hydra_main, argv, config_name="bench")


if __name__ == "__main__":
    raise SystemExit(main())
