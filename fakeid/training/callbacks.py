"""Lightning callbacks: the checkpointing built from config (so the monitored metric name comes from
fakeid.evaluation.metrics), and the training-step timer every run carries (`fakeid.training.run.build_trainer`)."""

from __future__ import annotations

import time
from pathlib import Path

import pytorch_lightning as pl
from pytorch_lightning.callbacks import ModelCheckpoint

from fakeid.core.atomic import link_atomically
from fakeid.core.metric_names import VAL_LOSS


def checkpointing(dirpath: str, resumable: bool = True) -> ModelCheckpoint:
    """Keep the weights with the lowest validation loss (model selection on validation data only) and the
    last epoch's (`last.ckpt`), from which an interrupted run resumes. `resumable=False`: both hold the weights
    only, without the optimizer's state (Adam's two moments: two thirds of the bytes), and an interrupted run
    starts over (fakeid.training.checkpoints.resume_path); for runs shorter than what their checkpoints cost."""
    return BestAndLastCheckpoint(
        dirpath=dirpath,
        save_weights_only=not resumable,
        filename="best",
        monitor=VAL_LOSS,
        mode="min",
        save_top_k=1,
        save_last=True,
        enable_version_counter=False,
    )


class BestAndLastCheckpoint(ModelCheckpoint):
    """ModelCheckpoint whose `last.ckpt` is the last epoch's, always.

    Lightning (2.6) writes `last.ckpt` only in a step where it also wrote a top-k file: once the validation loss
    stopped improving, `last.ckpt` stayed at the best epoch, so `select=last` tested the best epoch's weights,
    `keep_checkpoints=all` kept a "last" that was not, and an interrupted run resumed from that epoch. Here the
    end of every epoch writes it (after Lightning's own saves: nothing is written twice in one step).

    In a step where the best weights were just written, `last.ckpt` is a hard link to that file instead of a
    second save of the same state (a demo run wrote 4 checkpoints of 250 MB in 2 epochs, 3.8 s of its 30;
    BENCHMARKS.md). The two differ only in the callback's `last_model_path`, which resuming does not need.
    """

    @property
    def state_key(self) -> str:
        # ModelCheckpoint's own key: a last.ckpt written before this class existed resumes with its best-so-far,
        # and resume_path (fakeid.training.checkpoints) finds the best weights it names
        return super().state_key.replace(type(self).__qualname__, ModelCheckpoint.__qualname__, 1)

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        super().on_train_epoch_end(trainer, pl_module)
        if self._should_save_on_train_epoch_end(trainer):
            self._save_last_of_epoch(trainer)

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        super().on_validation_end(trainer, pl_module)
        if not self._should_save_on_train_epoch_end(trainer):
            self._save_last_of_epoch(trainer)

    def _save_last_checkpoint(self, trainer: pl.Trainer, monitor_candidates: dict) -> None:
        written, filepath = (
            self._last_checkpoint_saved,
            self.format_checkpoint_name(monitor_candidates, self.CHECKPOINT_NAME_LAST),
        )
        same_step = bool(written) and self._last_global_step_saved == trainer.global_step and written != filepath
        if self.save_last is not True or self._enable_version_counter or not same_step:
            super()._save_last_checkpoint(trainer, monitor_candidates)
            return
        previous, self.last_model_path = self.last_model_path, filepath
        if trainer.is_global_zero:
            link_atomically(Path(written), Path(filepath))
        trainer.strategy.barrier()
        self._last_checkpoint_saved = filepath
        if previous and self._should_remove_checkpoint(trainer, previous, filepath):
            self._remove_checkpoint(trainer, previous)

    def _save_last_of_epoch(self, trainer: pl.Trainer) -> None:
        # skipped while sanity checking, in fast_dev_run, and when this step's checkpoint is already written
        if self.save_last and not self._should_skip_saving_checkpoint(trainer):
            self._save_last_checkpoint(trainer, self._monitor_candidates(trainer))


class TrainStepTimer(pl.Callback):
    """Host time from `on_train_batch_start` to `on_train_batch_end` summed over a run's training steps, with
    the number of steps and of training images: what a run spends in training steps proper (forward, backward,
    optimizer), against its wall time (`metrics.json` `timing`; `make demo` sums it in demo_timing.json). The
    loader's wait, validation, checkpoints and testing fall outside. Validation (`on_validation_start` to
    `on_validation_end`, the sanity check included) is summed apart, as the study's model selection needs it.
    On CUDA the host time of an unsynchronised step is the time to queue it; over many steps the queue's depth
    bounds the difference. Added in code, not in conf/callbacks: it never changes what a run computes."""

    def __init__(self) -> None:
        self.seconds, self.steps, self.images = 0.0, 0, 0
        self.validation_seconds = 0.0
        self._started: float | None = None
        self._validating: float | None = None

    def on_train_batch_start(self, trainer, module, batch, batch_idx) -> None:
        self._started = time.perf_counter()

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx) -> None:
        if self._started is not None:
            self.seconds += time.perf_counter() - self._started
            self.steps += 1
            self.images += len(batch[1])  # (images, labels)
            self._started = None

    def on_validation_start(self, trainer, module) -> None:
        self._validating = time.perf_counter()

    def on_validation_end(self, trainer, module) -> None:
        if self._validating is not None:
            self.validation_seconds += time.perf_counter() - self._validating
            self._validating = None

    def summary(self) -> dict:
        return {
            "train_step_s": round(self.seconds, 3),
            "train_steps": self.steps,
            "train_images": self.images,
            "validation_s": round(self.validation_seconds, 3),
        }
