"""`python -m fakeid.collect sweeps=[DIR1,DIR2] out=FILE.csv`: sweep and evaluation folders -> one results table.

The reading, checking and tidying is `fakeid.analysis.collect`; this is its command line (conf/collect.yaml).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import hydra
from omegaconf import DictConfig

from fakeid import CONF_DIR
from fakeid.analysis.collect import collect_to_csv
from fakeid.core.cli import as_list, require, run_app
from fakeid.core.errors import one_line_errors


@hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name="collect")
def hydra_main(cfg: DictConfig) -> None:
    with one_line_errors():
        expected = "sweeps=DIR or sweeps=[DIR1,DIR2] (training sweeps or evaluation folders)"
        sweeps = as_list(require(cfg, "sweeps", expected))
        collect_to_csv(
            [Path(str(sweep)) for sweep in sweeps],
            Path(str(cfg.out)) if cfg.out else None,
            cfg.data_root,
            cfg.n_boot,
            cfg.bootstrap_seed,
        )


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m fakeid.collect sweeps=[DIR1,DIR2] out=FILE.csv`; `argv` runs it in-process (tests)."""
    return run_app(hydra_main, argv, config_name="collect")


if __name__ == "__main__":
    raise SystemExit(main())
