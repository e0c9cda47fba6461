"""Lightning callbacks: the checkpointing built from config (so the monitored metric name comes from
fakeid.evaluation.metrics), and the training-step timer every run carries (`fakeid.training.run.build_trainer`)."""

from __future__ import annotations

import time

import pytorch_lightning as pl
from pytorch_lightning.callbacks import ModelCheckpoint

from fakeid.core.metric_names import VAL_LOSS


def checkpointing(dirpath: str) -> ModelCheckpoint:
    """Keep the weights with the lowest validation loss (model selection on validation data only) and the
    last epoch's (`last.ckpt`), from which an interrupted run resumes."""
    return ModelCheckpoint(
        dirpath=dirpath,
        filename="best",
        monitor=VAL_LOSS,
        mode="min",
        save_top_k=1,
        save_last=True,
        enable_version_counter=False,
    )


class TrainStepTimer(pl.Callback):
    """Host time from `on_train_batch_start` to `on_train_batch_end` summed over a run's training steps, with
    the number of steps and of training images: what a run spends in training steps proper (forward, backward,
    optimizer), against its wall time (`metrics.json` `timing`; `make demo` sums it in demo_timing.json). The
    loader's wait, validation, checkpoints and testing fall outside. On CUDA the host time of an unsynchronised
    step is the time to queue it; over many steps the queue's depth bounds the difference. Added in code, not
    in conf/callbacks: it never changes what a run computes."""

    def __init__(self) -> None:
        self.seconds, self.steps, self.images = 0.0, 0, 0
        self._started: float | None = None

    def on_train_batch_start(self, trainer, module, batch, batch_idx) -> None:
        self._started = time.perf_counter()

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx) -> None:
        if self._started is not None:
            self.seconds += time.perf_counter() - self._started
            self.steps += 1
            self.images += len(batch[1])  # (images, labels)
            self._started = None

    def summary(self) -> dict:
        return {"train_step_s": round(self.seconds, 3), "train_steps": self.steps, "train_images": self.images}
