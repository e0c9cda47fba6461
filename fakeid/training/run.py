"""One training run, fit then test, as `fakeid.train` runs it inside the run bookkeeping of fakeid.runs.lifecycle.

Fills the run's result (metrics.json) as it goes, so a failure still reports what was known. Exactness of a
resume: the shuffle's random stream (the datamodule's state) and the global random streams (the detector's
checkpoint hooks) travel in last.ckpt, the CSV log keeps the epochs before the interruption, so a run killed
and resumed ends with the weights and metrics of a run never interrupted (on CPU, to float tolerance).
"""

from __future__ import annotations

import contextlib
import logging
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytorch_lightning as pl
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from pytorch_lightning.callbacks import ProgressBar

from fakeid.data.datamodule import CategoryMixDataModule
from fakeid.data.formats import format_mismatch
from fakeid.data.selection import DataPlan
from fakeid.evaluation.scored_sets import evaluate, write_scores
from fakeid.models.detector import FakeImageDetector
from fakeid.runs.checkpoint_file import LIGHTNING_LOAD
from fakeid.runs.files import FILE_LISTS, SCORES_FILE
from fakeid.runs.lifecycle import Interrupted, is_rank_zero
from fakeid.runs.record import UNSET, RunRecord, given
from fakeid.runs.trained import load_detector
from fakeid.training.callbacks import TrainStepTimer
from fakeid.training.checkpoints import (
    chosen_for_testing,
    resume_path,
    slim,
    use_run_checkpoint_io,
)
from fakeid.training.logs import trim_rows_after
from fakeid.training.tracking import bind_trackers

log = logging.getLogger("fakeid.train")


def record_plan(plan: DataPlan, run_dir: Path, result: RunRecord) -> None:
    """file_lists.csv (rank 0) and the data summary, with a warning line for each data trap found."""
    if is_rank_zero():  # every DDP rank makes the same plan; one writes it down
        plan.write_file_lists(run_dir / FILE_LISTS)
    result.hparams["data.categories_used"] = plan.categories_used  # type: ignore[index]  # a new run's: a dict
    result.data = plan.summary()
    warnings = [format_mismatch(plan.train.paths, plan.train.labels)]  # the JPEG-reals / PNG-fakes shortcut
    warnings += [selection.enlarged_warning() for selection in (plan.train, plan.val, *plan.tests)]
    warnings += (
        [
            f"val: {sum(plan.val.shortfall.values())} images short of data.val_per_class "
            f"({', '.join(plan.val.shortfall)})"
        ]
        if plan.val.shortfall
        else []
    )
    result.data["warnings"] = [warning for warning in warnings if warning]
    for warning in result.data["warnings"]:
        log.warning(warning)
    for selection in (plan.train, plan.val, *plan.tests):
        if selection.skipped:
            log.warning(
                "%s: skipped %d files (unreadable, not images, too small or over data.max_pixels); listed in %s",
                selection.name,
                len(selection.skipped),
                FILE_LISTS,
            )


def build_trainer(
    cfg: DictConfig, run_dir: Path, config_hash: str | None = None, result: RunRecord | None = None
) -> pl.Trainer:
    """The configured trainer, its checkpoints written in place and stamped with `config_hash`
    (fakeid.training.checkpoints.RunCheckpointIO), with a `TrainStepTimer` whatever the callbacks config;
    its experiment trackers (fakeid.training.tracking) named after the run and writing their ids into `result`."""
    callbacks = [instantiate(c) for c in cfg.callbacks.values()] + [TrainStepTimer()]
    if not cfg.trainer.get("enable_progress_bar", True):  # Lightning refuses a progress bar it was told to hide
        callbacks = [c for c in callbacks if not isinstance(c, ProgressBar)]
    loggers = [instantiate(c) for c in cfg.logger.values()]
    bind_trackers(loggers, run_dir, result, str(cfg.get("experiment_name", "adhoc")))
    trainer = instantiate(cfg.trainer, callbacks=callbacks, logger=loggers or False, default_root_dir=str(run_dir))
    use_run_checkpoint_io(trainer, config_hash)
    return trainer


def log_interval(trainer: pl.Trainer, train_images: int, batch_size: int) -> None:
    """`trainer.log_every_n_steps` cut to the training batches one process sees per epoch (at least 1), so a
    run with fewer batches than the configured interval still logs its loss, and Lightning has nothing to warn
    about. Not part of a run's identity (fakeid.runs.identity): it changes the log's rows, never the weights."""
    per_epoch = max(1, train_images // (batch_size * trainer.world_size))
    # an attribute Lightning's logger connector sets on the Trainer at init and its loops read: not declared
    trainer.log_every_n_steps = min(trainer.log_every_n_steps, per_epoch)  # type: ignore[attr-defined]


@contextlib.contextmanager
def unfixable_lightning_warnings() -> Iterator[None]:
    """Warnings a training run cannot avoid, silenced around fit: Lightning 2.6's CombinedLoader builds a torch
    `LeafSpec` for every loader, which torch deprecates (2.14 here: a FutureWarning on each run, fixed only by a
    Lightning release that no longer calls it); nothing fakeid passes changes that."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", r"`isinstance\(treespec, LeafSpec\)` is deprecated", FutureWarning, r"pytorch_lightning\."
        )
        yield


def fit(
    trainer: pl.Trainer,
    detector: FakeImageDetector,
    datamodule: CategoryMixDataModule,
    run_dir: Path,
    result: RunRecord,
) -> None:
    """trainer.fit, resumed from last.ckpt when there is a readable one; Ctrl-C becomes `Interrupted`. The CSV
    log keeps only the rows before the step it resumes from: none when it starts over (an attempt killed before
    its first last.ckpt, or a retrain), so that no epoch is logged twice."""
    callback = trainer.checkpoint_callback
    checkpoint_dir = Path(callback.dirpath) if callback else run_dir  # type: ignore[attr-defined]  # a ModelCheckpoint
    if result.data is UNSET:
        result.data = {}
    last, step = resume_path(checkpoint_dir, result.data or {})
    if is_rank_zero():
        trim_rows_after(run_dir / "logs" / "metrics.csv", step)
        if last is not None:
            result.resumed_from_step = step
    try:
        with unfixable_lightning_warnings():
            trainer.fit(detector, datamodule=datamodule, ckpt_path=str(last) if last else None, **LIGHTNING_LOAD)
    except SystemExit as stop:  # Lightning turns Ctrl-C into sys.exit(1) after its own clean-up
        if trainer.interrupted:
            raise Interrupted("KeyboardInterrupt") from stop
        raise
    if trainer.interrupted:
        raise Interrupted("stopped by a signal")


def record_timing(trainer: pl.Trainer, result: RunRecord, fit_s: float) -> None:
    """metrics.json `timing`: this attempt's training-step time, steps and images (TrainStepTimer) and the
    seconds of `trainer.fit` (steps, loading, validation, checkpoints); `test_s` follows after the test."""
    timer = next(c for c in trainer.callbacks if isinstance(c, TrainStepTimer))  # type: ignore[attr-defined]  # set in Trainer.__init__
    result.timing = {**timer.summary(), "fit_s": round(fit_s, 3)}


def train_and_test(cfg: DictConfig, run_dir: Path, result: RunRecord) -> None:
    """Fit on the mix, test the selected weights on every test set, keep the tested weights."""
    pl.seed_everything(cfg.seed, workers=True)
    # the model first: a wrong model setting fails before any data is read
    detector: FakeImageDetector = instantiate(cfg.model, _convert_="all")
    # the training augmentation (conf/augment) acts on the training images only: the datamodule's to apply
    augment = OmegaConf.to_container(cfg.augment, resolve=True) if "augment" in cfg else None
    datamodule: CategoryMixDataModule = instantiate(cfg.data, augment=augment, _convert_="all")
    planned_at = time.perf_counter()
    plan = datamodule.plan()
    record_plan(plan, run_dir, result)
    plan_s = time.perf_counter() - planned_at
    trainer = build_trainer(cfg, run_dir, given(result.config_hash), result)
    log_interval(trainer, len(plan.train.paths), int(cfg.data.batch_size))
    started = time.perf_counter()
    try:
        fit(trainer, detector, datamodule, run_dir, result)
    finally:  # a failed or interrupted attempt records its time too
        record_timing(trainer, result, fit_s=time.perf_counter() - started)
        result.timing["plan_s"] = round(plan_s, 3)  # type: ignore[index]  # record_timing set it
    result.world_size, result.epochs_trained = trainer.world_size, trainer.current_epoch
    if not trainer.is_global_zero:
        return
    tested_at = time.perf_counter()
    tested = chosen_for_testing(trainer.checkpoint_callback, cfg.select)
    detector = load_detector(tested)  # the one loader of fakeid.runs.trained, as eval, predict and export load
    loaded_at = time.perf_counter()
    threshold, tests, scored = evaluate(
        detector,
        datamodule.val_dataloader(),
        datamodule.test_loaders(),
        categories_used=plan.categories_used,
        train_generator=cfg.data.train_generator,
        device=trainer.strategy.root_device,
        precision=str(cfg.trainer.precision),
    )
    result.timing["test_s"] = round(time.perf_counter() - tested_at, 3)  # type: ignore[index]  # record_timing set it
    result.timing["test_load_s"] = round(loaded_at - tested_at, 3)  # type: ignore[index]  # the tested checkpoint read, not scoring
    result.scores_sha256 = write_scores(run_dir / SCORES_FILE, scored)  # ties scores.csv to this record
    kept = slim(tested, str(cfg.get("keep_checkpoints", "tested")))
    result.tested_checkpoint = str(kept) if kept else None
    result.status, result.threshold, result.test = "ok", threshold, tests
