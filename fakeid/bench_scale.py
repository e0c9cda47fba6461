"""`python -m fakeid.bench_scale [sizes=[0.0025,0.01,0.04]] [eval_sizes=[250,2000]] [record_seeds=[1,2,4]]
[reference=BENCH.json]`: how each stage that does not train grows with the data, fitted and extrapolated to the
paper's size (`make bench-scale`).

What is generated, timed and fitted is `fakeid.benchmark.scale` (the data's stages) and
`fakeid.benchmark.scale_commands` (eval, collect, figures, report); this is its command line
(conf/bench_scale.yaml).
The result is written to `out` as JSON and summarised one line per stage.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import hydra
from omegaconf import DictConfig

from fakeid import CONF_DIR
from fakeid.benchmark.demo import read_reference
from fakeid.benchmark.scale import bench_scale, markdown_table, summary_lines
from fakeid.core.atomic import write_json_atomically
from fakeid.core.cli import as_list, run_app
from fakeid.core.errors import one_line_errors


@hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name="bench_scale")
def hydra_main(cfg: DictConfig) -> None:
    with one_line_errors():
        out = Path(str(cfg.out))
        sizes = [float(value) for value in as_list(cfg.sizes)]  # each in (0, 1]: the schema's (BenchScaleConfig)
        reference = read_reference(Path(str(cfg.reference))) if cfg.reference else None
        result = bench_scale(
            Path(str(cfg.work)).expanduser(),
            sizes,
            [str(stage) for stage in as_list(cfg.stages)],
            isolate=cfg.isolate,
            size=cfg.image_size,
            reference=reference,
            loader_seconds=cfg.loader_seconds,
            progress=lambda so_far: write_json_atomically(out, so_far),
            eval_sizes=[int(n) for n in as_list(cfg.eval_sizes)],
            record_seeds=[int(n) for n in as_list(cfg.record_seeds)],
            record_per_class=cfg.record_per_class,
            calls=cfg.calls,
        )
    for line in summary_lines(result):
        print(line)
    print(markdown_table(result))  # BENCHMARKS.md's table
    print(f"fakeid.bench_scale: wrote {cfg.out}")


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m fakeid.bench_scale [key=value ...]`; `argv` runs it in-process (tests)."""
    return run_app(hydra_main, argv, config_name="bench_scale")


if __name__ == "__main__":
    raise SystemExit(main())
