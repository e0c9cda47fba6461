"""Lightning callbacks built from config, so the monitored metric name comes from fakeid.metrics."""

from __future__ import annotations

from pytorch_lightning.callbacks import ModelCheckpoint

from fakeid.metric_names import VAL_LOSS


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
