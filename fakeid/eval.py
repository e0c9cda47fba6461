"""`python -m fakeid.eval`: evaluate a trained detector again, without retraining.

    python -m fakeid.eval run=RUN_DIR                          the run's tested weights, threshold and root
    python -m fakeid.eval run=RUN_DIR data.root=ROOT perturb=jpeg perturb.quality=75
    python -m fakeid.eval ckpt=PATH data.root=FOLDER [threshold=0.5]
    python -m fakeid.eval +experiment=robustness sweep=outputs/sweeps/NAME

Writes metrics.json, scores.csv and file_lists.csv into its Hydra run folder (`hydra.run.dir=OUT` places it);
a grid writes one such folder per (run, level) under outputs/evals/. The work is in `fakeid.evaluation`.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import cast

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from fakeid import CONF_DIR
from fakeid.core.cli import check_jobs, run_app
from fakeid.core.configs import EvalConfig
from fakeid.core.errors import one_line_errors
from fakeid.evaluation.runner import evaluate_grid, evaluate_one


@hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name="eval")
def hydra_main(cfg: DictConfig) -> None:
    hydra_cfg = HydraConfig.get()
    overrides = list(hydra_cfg.overrides.task)
    with one_line_errors():
        config = cast(EvalConfig, OmegaConf.to_object(cfg))  # typed below the entry point, checked by the schema
        if config.sweep:
            evaluate_grid(config, overrides)
        else:
            evaluate_one(config, Path(hydra_cfg.runtime.output_dir), overrides)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m fakeid.eval run=RUN_DIR|ckpt=PATH [perturb=...]`, or a grid; `argv` runs it in-process (tests)."""
    return run_app(hydra_main, argv, check=functools.partial(check_jobs, "eval"))


if __name__ == "__main__":
    raise SystemExit(main())
