"""`python -m fakeid.train`: train the detector on a category mix, test it on every test set, write metrics.json.

    python -m fakeid.train data.root=ROOT data.num_categories=3 model.drop_rate=0.3 seed=1
    python -m fakeid.train +experiment=categories -m

A run is resumable: an interrupted one continues from `checkpoints/last.ckpt`, and a finished one (its
metrics.json says ok for the same configuration) is skipped, which is what makes sweeps resumable.
"""
from __future__ import annotations

import json
import logging
import shutil
import sys
import time
import traceback
from pathlib import Path

import hydra
import pytorch_lightning as pl
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from pytorch_lightning.utilities.rank_zero import rank_zero_only

from fakeid.data.datamodule import CategoryMixDataModule
from fakeid.errors import FakeidError, one_line_errors
from fakeid.evaluate import evaluate
from fakeid.models.backbone import PRETRAINED_HELP
from fakeid.models.detector import FakeImageDetector
from fakeid.results import (METRICS_FILE, already_done, config_hash, flat_hparams, read_metrics, versions,
                            write_json_atomically)

log = logging.getLogger("fakeid.train")
STATE_FILE = "run_state.json"  # the config hash the checkpoints in this folder belong to


def build_detector(model_cfg: DictConfig) -> FakeImageDetector:
    if model_cfg.pretrained and not model_cfg.pretrained_path:
        raise FakeidError(f"model.pretrained=true needs model.pretrained_path: {PRETRAINED_HELP}")
    return FakeImageDetector(model_name=model_cfg.name, drop_rate=model_cfg.drop_rate, lr=model_cfg.lr,
                             pretrained_path=model_cfg.pretrained_path, hflip=model_cfg.hflip,
                             compile=model_cfg.compile, bn_recalibration_batches=model_cfg.bn_recalibration_batches)


def dataset_kind(root: str) -> str:
    """`synthetic` when ROOT was written by fakeid.synth (it leaves a dataset.json), else `real`."""
    return "synthetic" if (Path(root).expanduser() / "dataset.json").is_file() else "real"


def prepare_run_dir(run_dir: Path, expected_hash: str) -> None:
    """Keep checkpoints only if they belong to this configuration, so a resume never mixes experiments."""
    state_file = run_dir / STATE_FILE
    previous = json.loads(state_file.read_text()).get("config_hash") if state_file.is_file() else None
    if previous != expected_hash:
        shutil.rmtree(run_dir / "checkpoints", ignore_errors=True)
    if rank_zero_only.rank == 0:
        write_json_atomically(state_file, {"config_hash": expected_hash})


def train_and_test(cfg: DictConfig, run_dir: Path, result: dict) -> None:
    """Everything a run does; fills `result` as it goes so a failure still reports what was known."""
    pl.seed_everything(cfg.seed, workers=True)
    detector = build_detector(cfg.model)  # first: a wrong model setting fails before any data is read
    datamodule: CategoryMixDataModule = instantiate(cfg.data, _convert_="all")
    plan = datamodule.plan()
    if rank_zero_only.rank == 0:  # every DDP rank makes the same plan; one writes it down
        plan.write_file_lists(run_dir / "file_lists.csv")
    result["hparams"]["data.categories_used"] = plan.categories_used
    result["data"] = plan.summary()
    for name, selection in [("train", plan.train), ("val", plan.val)] + [(t.name, t) for t in plan.tests]:
        if selection.skipped:
            log.warning("%s: skipped %d files (unreadable or not images); listed in file_lists.csv",
                        name, len(selection.skipped))

    callbacks = [instantiate(c) for c in cfg.callbacks.values()]
    loggers = [instantiate(c) for c in cfg.logger.values()]
    trainer: pl.Trainer = instantiate(cfg.trainer, callbacks=callbacks, logger=loggers or False,
                                      default_root_dir=str(run_dir))
    last = run_dir / "checkpoints" / "last.ckpt"
    trainer.fit(detector, datamodule=datamodule, ckpt_path=str(last) if last.is_file() else None)
    result["world_size"] = trainer.world_size
    if not trainer.is_global_zero:
        return
    checkpoint = trainer.checkpoint_callback
    tested = checkpoint.best_model_path if cfg.select == "best" and checkpoint.best_model_path else checkpoint.last_model_path
    result["tested_checkpoint"] = str(tested)
    detector = FakeImageDetector.load_from_checkpoint(tested, map_location="cpu")
    threshold, tests = evaluate(detector, datamodule.val_dataloader(), datamodule.test_loaders(),
                                categories_used=plan.categories_used, train_generator=cfg.data.train_generator,
                                device=trainer.strategy.root_device, precision=str(cfg.trainer.precision))
    result.update(status="ok", threshold=threshold, test=tests)


def require_values(cfg: DictConfig) -> None:
    missing = sorted(OmegaConf.missing_keys(cfg))
    if missing:
        raise FakeidError(f"{', '.join(missing)} must be set, e.g. data.root=ROOT (a folder holding train/ and "
                          "test/ as in README 'Data layout'; `python -m fakeid.synth out=ROOT` writes one)")


def root_cause(err: BaseException) -> BaseException:
    """The FakeidError behind `err` if there is one, else the innermost cause (Hydra's instantiate wraps
    whatever a constructor raised in an InstantiationException)."""
    while not isinstance(err, FakeidError) and (err.__cause__ or err.__context__) is not None:
        err = err.__cause__ or err.__context__
    return err


def run(cfg: DictConfig, run_dir: Path, overrides: list[str], multirun: bool) -> dict | None:
    with one_line_errors():
        require_values(cfg)
    hparams = {**flat_hparams(cfg), **versions()}
    hparams["experiment"] = cfg.experiment_name
    hparams["data.dataset_kind"] = dataset_kind(str(cfg.data.root))
    expected_hash = config_hash(hparams)
    if already_done(run_dir, expected_hash):
        log.info("skipping %s: its metrics.json says ok for this configuration", run_dir)
        return read_metrics(run_dir)
    prepare_run_dir(run_dir, expected_hash)
    result = {"status": "failed", "error": None, "hparams": hparams, "overrides": overrides,
              "config_hash": expected_hash, "threshold": None, "wall_time_s": None, "test": []}
    started = time.time()
    try:
        train_and_test(cfg, run_dir, result)
    except Exception as caught:  # noqa: BLE001 - every failure is recorded, then reported
        err = root_cause(caught)
        result["error"] = f"{type(err).__name__}: {err}".splitlines()[0]
        (run_dir / "error.log").write_text(traceback.format_exc())
        print(f"fakeid: error: {err}" if isinstance(err, FakeidError) else f"fakeid: run failed: {result['error']} "
              f"(traceback in {run_dir / 'error.log'})", file=sys.stderr)
        if not multirun:
            finish(result, run_dir, started)
            raise SystemExit(2 if isinstance(err, FakeidError) else 1) from None
    finish(result, run_dir, started)
    return result


def finish(result: dict, run_dir: Path, started: float) -> None:
    result["wall_time_s"] = round(time.time() - started, 3)
    if rank_zero_only.rank == 0:
        write_json_atomically(run_dir / METRICS_FILE, result)


@hydra.main(version_base="1.3", config_path="../conf", config_name="train")
def main(cfg: DictConfig) -> None:
    hydra_cfg = HydraConfig.get()
    run(cfg, Path(hydra_cfg.runtime.output_dir), list(hydra_cfg.overrides.task),
        multirun=hydra_cfg.mode == RunMode.MULTIRUN)


if __name__ == "__main__":
    main()
