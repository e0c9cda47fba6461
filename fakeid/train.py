"""`python -m fakeid.train`: train the detector on a category mix, test it on every test set, write metrics.json.

    python -m fakeid.train data.root=ROOT data.num_categories=3 model.drop_rate=0.3 seed=1
    python -m fakeid.train +experiment=categories -m
    python -m fakeid.train '+experiment=demo_categories,demo_dropout' launcher=parallel -m

Several experiments are one sweep each, one after the other in this process (`fakeid.core.cli.run_app`'s
`one_by_one`): each its own grid, folder and multirun.yaml, and with launcher=parallel the second's jobs run in the
worker processes the first started, which have imported torch already.

A run is resumable and a finished one is skipped, which is what makes sweeps resumable; what a run folder
guarantees is the bookkeeping of `fakeid.runs.lifecycle`, and what a run does is `fakeid.training.run`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from fakeid import CONF_DIR
from fakeid.core.cli import run_app
from fakeid.core.errors import FakeidError, one_line_errors
from fakeid.core.memory import freeze_what_is_imported, release_freed_memory
from fakeid.runs.identity import PROTOCOL_KEY, PROTOCOL_VERSION, config_hash, flat_hparams, versions
from fakeid.runs.lifecycle import run_once
from fakeid.runs.record import RunRecord
from fakeid.training.checks import EXPERIMENT, check_train_command

log = logging.getLogger("fakeid.train")


def dataset_kind(root: str) -> str:
    """`synthetic` when ROOT was written by fakeid.synth (it leaves a dataset.json), else `real`."""
    return "synthetic" if (Path(root).expanduser() / "dataset.json").is_file() else "real"


def require_values(cfg: DictConfig) -> None:
    missing = sorted(OmegaConf.missing_keys(cfg))
    if missing:
        raise FakeidError(
            f"{', '.join(missing)} must be set, e.g. data.root=ROOT (a folder holding train/ and "
            "test/ as in docs/data.md; `python -m fakeid.synth out=ROOT` writes one)"
        )


def run(cfg: DictConfig, run_dir: Path, overrides: list[str], multirun: bool) -> RunRecord:
    # Imported here, not at the top: the process that launches a sweep's jobs (launcher=parallel, submitit,
    # slurm) never trains, and importing torch, Lightning and timm took it 15 s on the 2-core sandbox (0.4 s without).
    from fakeid.data.augment import augmentation, identity_hparams, resolve_hflip
    from fakeid.training.run import train_and_test
    from fakeid.training.tracking import publish

    freeze_what_is_imported()  # a sweep worker's collections then skip the 540K objects those imports made

    with one_line_errors():
        require_values(cfg)
        resolve_hflip(cfg, overrides)  # augment.hflip sets model.hflip, the key the identity keeps
        # checked before Hydra too (fakeid.training.checks); again here for a job a launcher runs in a process of
        # its own (submitit, SLURM), which never saw the command line's check
        augmentation(cfg.augment)
        hparams = identity_hparams({**flat_hparams(cfg), **versions(), PROTOCOL_KEY: PROTOCOL_VERSION})
    hparams["experiment"] = cfg.experiment_name
    hparams["data.dataset_kind"] = dataset_kind(str(cfg.data.root))
    result = RunRecord(hparams=hparams, overrides=overrides, config_hash=config_hash(hparams))
    try:
        return run_once(
            run_dir,
            result,
            lambda into: train_and_test(cfg, run_dir, into),
            multirun=multirun,
            data_identity=lambda: instantiate(cfg.data, _convert_="all").identity(),
        )
    finally:
        publish(run_dir)  # the trackers' view of what metrics.json now says (nothing without a tracker run)
        release_freed_memory()  # a worker of the parallel launcher runs the next job: not restarted as leaking


@hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name="train")
def hydra_main(cfg: DictConfig) -> None:
    hydra_cfg = HydraConfig.get()
    # in the job's log (train.log): which process ran it, so that a sweep's runs show which worker of the parallel
    # launcher ran each, and that a second sweep of the same command reused the first's workers
    log.info("run %s in process %d", hydra_cfg.runtime.output_dir, os.getpid())
    with one_line_errors():  # what fakeid.runs.lifecycle did not already record and report (a full disk at the lock)
        run(
            cfg,
            Path(hydra_cfg.runtime.output_dir),
            list(hydra_cfg.overrides.task),
            multirun=hydra_cfg.mode == RunMode.MULTIRUN,
        )


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m fakeid.train [key=value ...] [-m]`; `argv` runs it in-process (tests)."""
    return run_app(hydra_main, argv, check=check_train_command, one_by_one=EXPERIMENT)


if __name__ == "__main__":
    raise SystemExit(main())
