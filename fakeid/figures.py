"""`python -m fakeid.figures figure=NAME csv=[A.csv,...] out=DIR`: the figures and tables of results CSVs.

What each figure shows and how it is computed is `fakeid.analysis.figures`; this is its command line
(conf/figures.yaml).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import hydra
from omegaconf import DictConfig

from fakeid import CONF_DIR
from fakeid.analysis.figures.catalog import draw_from_csvs
from fakeid.analysis.figures.study import Options
from fakeid.core.cli import as_list, require, run_app
from fakeid.core.errors import FakeidError, one_line_errors


@hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name="figures")
def hydra_main(cfg: DictConfig) -> None:
    with one_line_errors():
        expected = "csv=RESULTS.csv or csv=[A.csv,B.csv] (written by python -m fakeid.collect)"
        csvs = as_list(require(cfg, "csv", expected))
        options = Options(
            drop_rate=_number(cfg, "drop_rate", float),
            num_categories=_number(cfg, "num_categories", int),
            baseline=cfg.baseline,
            variable=None if cfg.variable is None else str(cfg.variable),
            n_boot=_positive(cfg, "n_boot"),
            bootstrap_seed=_integer(cfg, "bootstrap_seed"),
            effect=_number(cfg, "effect", float),
            run=None if cfg.run is None else str(cfg.run),
            level=cfg.level,
        )
        draw_from_csvs(str(cfg.figure), [Path(str(path)) for path in csvs], Path(str(cfg.out)), options=options)


def _integer(cfg: DictConfig, key: str) -> int:
    value = _number(cfg, key, int)
    if value is None:
        raise FakeidError(f"{key}=null: expected an integer")
    return int(value)


def _positive(cfg: DictConfig, key: str) -> int:
    value = _integer(cfg, key)
    if value < 1:
        raise FakeidError(f"{key}={value}: expected a positive integer, e.g. 2000")
    return value


def _number(cfg: DictConfig, key: str, kind: type) -> float | int | None:
    value = cfg[key]
    if value is None:
        return None
    try:
        if isinstance(value, bool) or (kind is int and float(value) != int(float(value))):
            raise ValueError
        return kind(float(value)) if kind is int else kind(value)
    except (TypeError, ValueError):
        raise FakeidError(f"{key}={value}: expected a number ({'an integer' if kind is int else 'e.g. 0.5'})") from None


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m fakeid.figures figure=NAME csv=[A.csv,...] out=DIR`; `argv` runs it in-process (tests)."""
    return run_app(hydra_main, argv, config_name="figures")


if __name__ == "__main__":
    raise SystemExit(main())
