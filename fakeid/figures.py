"""`python -m fakeid.figures figure=NAME csv=[A.csv,...] out=DIR`: the figures and tables of results CSVs.

`sweeps=[DIR,...]` instead of (or beside) csv= collects each folder into its own results.csv first, as
`python -m fakeid.collect sweeps=DIR` does, so that `make demo` starts one process per sweep after its runs.

What each figure shows and how it is computed is `fakeid.analysis.figures`; this is its command line
(conf/figures.yaml). `figure=[fig2,fig3,compare]` draws several in one process (one start-up, one read of the
tables and of each scores.csv, the bootstrap replicates shared), each into `catalog.figure_folder`; each figure
gets its drawn record beside it (`fakeid.analysis.figures.provenance`), which the report reads to copy it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import hydra
from omegaconf import DictConfig, OmegaConf

from fakeid import CONF_DIR
from fakeid.analysis import simulation
from fakeid.analysis.collect import collect_to_csv
from fakeid.analysis.figures.catalog import draw_from_csvs
from fakeid.analysis.figures.figure import Options
from fakeid.analysis.tracked_outputs import files_written_since, upload
from fakeid.core.cli import as_list, run_app
from fakeid.core.errors import FakeidError, one_line_errors

SIMULATE = "simulate"  # figure=simulate: fakeid.analysis.simulation, the false-positive table of the comparison


@hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name="figures")
def hydra_main(cfg: DictConfig) -> None:
    with one_line_errors():
        if str(cfg.figure) == SIMULATE:  # needs no results: it simulates sweeps
            table = simulation.simulate(
                n_sweeps=cfg.sim_sweeps,
                n_boot=cfg.n_boot,
                bootstrap_seed=cfg.bootstrap_seed,
            )
            print(" ".join(str(path) for path in simulation.write(table, Path(str(cfg.out))).values()))
            return
        sweeps = [Path(str(path)) for path in as_list(cfg.sweeps)] if cfg.sweeps is not None else []
        if cfg.csv is None and not sweeps:
            raise FakeidError(
                "missing key 'csv': expected csv=RESULTS.csv or csv=[A.csv,B.csv] (written by python -m "
                "fakeid.collect), or sweeps=[DIR,...] (collected here first)"
            )
        csvs = as_list(cfg.csv) if cfg.csv is not None else []
        # each sweep collected as `fakeid.collect sweeps=DIR` would, in this process: one start-up instead of two
        csvs += [collect_to_csv([sweep], None, None, cfg.n_boot, cfg.bootstrap_seed) for sweep in sweeps]
        options = Options(
            drop_rate=cfg.drop_rate,
            num_categories=cfg.num_categories,
            baseline=cfg.baseline,
            variable=None if cfg.variable is None else str(cfg.variable),
            n_boot=cfg.n_boot,
            bootstrap_seed=cfg.bootstrap_seed,
            effect=cfg.effect,
            run=None if cfg.run is None else str(cfg.run),
            level=cfg.level,
            min_bin_count=cfg.min_bin_count,
        )
        started, out = time.time() - 2, Path(str(cfg.out))  # 2 s: file systems that keep whole seconds
        figure = [str(name) for name in as_list(cfg.figure)] if not isinstance(cfg.figure, str) else str(cfg.figure)
        per_figure = cfg.per_figure
        if per_figure is not None and not isinstance(per_figure, DictConfig):
            raise FakeidError(
                f"per_figure={per_figure}: expected {{NAME: {{KEY: VALUE}}}}, e.g. {{plan: {{effect: 0.2}}}}"
            )
        draw_from_csvs(
            figure,
            [Path(str(path)) for path in csvs],
            out,
            options=options,
            per_figure={str(name): _plain(keys) for name, keys in per_figure.items()} if per_figure else None,
        )
        # a tracked sweep (logger=mlflow|wandb) gets the figures too; its results.csv is in the sweep folder
        for line in upload(
            [Path(str(path)).parent for path in csvs], files_written_since(out, started), out, "figures"
        ):
            print(f"uploaded the figures to {line}")


def _plain(node: object) -> object:
    return OmegaConf.to_container(node) if isinstance(node, DictConfig) else node


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m fakeid.figures figure=NAME csv=[A.csv,...] out=DIR`; `argv` runs it in-process (tests)."""
    return run_app(hydra_main, argv, config_name="figures")


if __name__ == "__main__":
    raise SystemExit(main())
