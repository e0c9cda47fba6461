"""`python -m fakeid.figures figure=NAME csv=[A.csv,...] out=DIR`: the figures and tables of results CSVs.

What each figure shows and how it is computed is `fakeid.analysis.figures`; this is its command line
(conf/figures.yaml).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Sequence

import hydra
from omegaconf import DictConfig

from fakeid import CONF_DIR
from fakeid.analysis import simulation
from fakeid.analysis.figures.catalog import draw_from_csvs
from fakeid.analysis.figures.figure import Options
from fakeid.analysis.tracked_outputs import files_written_since, upload
from fakeid.core.cli import as_list, require, run_app
from fakeid.core.errors import one_line_errors
from fakeid.core.values import as_float, as_int

SIMULATE = "simulate"  # figure=simulate: fakeid.analysis.simulation, the false-positive table of the comparison


@hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name="figures")
def hydra_main(cfg: DictConfig) -> None:
    with one_line_errors():
        if str(cfg.figure) == SIMULATE:  # needs no results: it simulates sweeps
            table = simulation.simulate(
                n_sweeps=as_int("sim_sweeps", cfg.sim_sweeps, low=1),
                n_boot=as_int("n_boot", cfg.n_boot, low=1),
                bootstrap_seed=as_int("bootstrap_seed", cfg.bootstrap_seed),
            )
            print(" ".join(str(path) for path in simulation.write(table, Path(str(cfg.out))).values()))
            return
        expected = "csv=RESULTS.csv or csv=[A.csv,B.csv] (written by python -m fakeid.collect)"
        csvs = as_list(require(cfg, "csv", expected))
        options = Options(
            drop_rate=_optional(cfg, "drop_rate", as_float),
            num_categories=_optional(cfg, "num_categories", as_int),
            baseline=cfg.baseline,
            variable=None if cfg.variable is None else str(cfg.variable),
            n_boot=as_int("n_boot", cfg.n_boot, low=1),
            bootstrap_seed=as_int("bootstrap_seed", cfg.bootstrap_seed),
            effect=_optional(cfg, "effect", as_float),
            run=None if cfg.run is None else str(cfg.run),
            level=cfg.level,
            min_bin_count=as_int("min_bin_count", cfg.min_bin_count, low=1),
        )
        started, out = time.time() - 2, Path(str(cfg.out))  # 2 s: file systems that keep whole seconds
        draw_from_csvs(str(cfg.figure), [Path(str(path)) for path in csvs], out, options=options)
        # a tracked sweep (logger=mlflow|wandb) gets the figures too; its results.csv is in the sweep folder
        for line in upload(
            [Path(str(path)).parent for path in csvs], files_written_since(out, started), out, "figures"
        ):
            print(f"uploaded the figures to {line}")


def _optional(cfg: DictConfig, key: str, typed: Callable[[str, Any], Any]) -> Any:
    """null (None), or the value as `typed` (fakeid.core.values) reads it."""
    return None if cfg[key] is None else typed(key, cfg[key])


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m fakeid.figures figure=NAME csv=[A.csv,...] out=DIR`; `argv` runs it in-process (tests)."""
    return run_app(hydra_main, argv, config_name="figures")


if __name__ == "__main__":
    raise SystemExit(main())
