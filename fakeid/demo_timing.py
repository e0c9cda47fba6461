"""`python -m fakeid.demo_timing started=T reference=BENCH.json`: where `make demo`'s wall time went.

What is counted and how (the training-step share, the wall time over the reference unit) is
`fakeid.benchmark.demo`; this is its command line (conf/demo_timing.yaml).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import hydra
from omegaconf import DictConfig

from fakeid import CONF_DIR
from fakeid.benchmark.demo import demo_timing, read_reference, summary_lines
from fakeid.core.atomic import write_json_atomically
from fakeid.core.cli import as_list, require, run_app
from fakeid.core.errors import one_line_errors


@hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name="demo_timing")
def hydra_main(cfg: DictConfig) -> None:
    with one_line_errors():
        started = float(require(cfg, "started", "started=UNIX_TIME (seconds since the epoch)"))  # typed: the schema's
        reference = read_reference(Path(str(require(cfg, "reference", "reference=BENCH.json"))))
        jobs = None if cfg.jobs in ("auto", None) else cfg.jobs  # auto or >= 1: the schema's
        sweeps = [Path(str(sweep)) for sweep in as_list(require(cfg, "sweeps", "sweeps=[DIR1,DIR2]"))]
        marks = Path(str(cfg.marks)) if cfg.get("marks") else None
        result = demo_timing(sweeps, started, reference, jobs, marks)
        write_json_atomically(Path(str(cfg.out)), result)
    for line in summary_lines(result):
        print(line)
    print(f"fakeid.demo_timing: wrote {cfg.out}")


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m fakeid.demo_timing started=T reference=FILE`; `argv` runs it in-process (tests)."""
    return run_app(hydra_main, argv, config_name="demo_timing")


if __name__ == "__main__":
    raise SystemExit(main())
