"""The LightningModule ("the system"): trains DetectorNet with BCE-with-logits and Adam.

Batches arrive as uint8; normalisation (and the optional flip) happen on the device after the transfer,
in `prepare_batch`, so the loader only moves bytes. Each step calls it, not Lightning's
`on_after_batch_transfer` hook: with a datamodule Lightning warns on every run that the module's hook is
used. The checkpoint holds the hyper-parameters and the normalisation buffers:
`FakeImageDetector.load_from_checkpoint(path)` rebuilds the model for inference with no other file. fakeid
itself loads every checkpoint through `fakeid.runs.trained.load_detector` (training's test, eval, predict,
export), which also loads those written before the `model_name` argument became `name`.

`channels_last` (NHWC tensors) is a speed choice, not part of the experiment: it is kept out of the
hyper-parameters, so checkpoints and the run's identity do not depend on it (only the order of floating-point
sums does, like a thread count). None (the default) uses it on every device: on the 2-core CPU sandbox a demo
run's training steps took 1.29-1.34x less time in NHWC (BENCHMARKS.md), and scoring was faster there already.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pytorch_lightning as pl
import torch
from lightning_fabric.utilities.data import AttributeDict
from torch import nn
from torchmetrics.classification import BinaryAUROC

from fakeid.core.metric_names import TRAIN_LOSS, VAL_AUROC, VAL_LOSS
from fakeid.models.backbone import DetectorNet
from fakeid.models.batchnorm import recalibrate_batchnorm

FUSED_ADAM_DEVICES = ("cpu", "cuda")


def adam(parameters, lr: float) -> torch.optim.Adam:
    """The paper's optimizer, Adam, in torch's fused implementation where the device has one: the same update
    in one kernel per step instead of a loop over 200+ tensors (on the 2-core CPU a demo step's Adam update
    measured 92 ms as the loop, 22 ms fused). Only the order of floating-point operations differs, like
    a thread count, so it is not part of a run's identity."""
    parameters = list(parameters)
    fused = all(p.device.type in FUSED_ADAM_DEVICES and p.is_floating_point() for p in parameters)
    return torch.optim.Adam(parameters, lr=lr, fused=fused or None)


class FakeImageDetector(pl.LightningModule):
    """Built from `conf/model/*.yaml` (its `_target_`), whose keys are these arguments and hold their defaults.

    `pretrained_path` and `channels_last` alone have one here: a checkpoint rebuilds the module without the
    weights file, and the memory layout is a speed option (`model.channels_last=true|false`).
    """

    forward_net: Callable[[torch.Tensor], torch.Tensor]  # the net, compiled or not (set in __init__)
    if TYPE_CHECKING:

        @property
        def hparams(self) -> AttributeDict: ...  # what save_hyperparameters() stored, its keys read as attributes

    def __init__(
        self,
        name: str,
        drop_rate: float,
        lr: float,
        hflip: bool,
        compile: bool,
        bn_recalibration_batches: int,
        pretrained_path: str | None = None,
        channels_last: bool | None = None,
    ):
        super().__init__()
        # the weights file is only needed once: a checkpoint already holds the trained weights
        self.save_hyperparameters(ignore=["pretrained_path", "channels_last"])
        self.channels_last = channels_last
        self.net = DetectorNet(name, drop_rate, pretrained_path)
        if channels_last is not False:  # Tensor.to(device) and load_state_dict keep the layout from here on
            self.net.to(memory_format=torch.channels_last)
        # kept out of the module tree (not an attribute nn.Module registers), so the state dict holds the
        # weights once, under `net.`, whether or not the network is compiled
        self.__dict__["forward_net"] = torch.compile(self.net) if compile else self.net
        self.loss = nn.BCEWithLogitsLoss()
        self.val_auroc = BinaryAUROC()

    def prepare_batch(self, batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """A batch on this module's device -> the network's input (normalised, flipped when training with
        `hflip`, NHWC unless `channels_last=false`) and its labels."""
        images, labels = batch
        images = self.net.normalise(images)
        if self.hparams.hflip and self.training:
            flip = torch.rand(images.shape[0], device=images.device) < 0.5
            images = torch.where(flip.view(-1, 1, 1, 1), images.flip(3), images)
        if self.uses_channels_last(images.device):
            images = images.contiguous(memory_format=torch.channels_last)
        return images, labels

    def uses_channels_last(self, device: torch.device) -> bool:
        """NHWC unless `channels_last=false` (the module docstring); `device` is kept for callers that ask
        per device."""
        return self.channels_last is not False

    def for_inference(self, device: torch.device) -> FakeImageDetector:
        """Eval mode on `device`, the network in the layout it trains in (NHWC unless `channels_last=false`:
        legacy_xception scored 1.4-1.5x as many 32-px images per second in NHWC on the 2-core CPU sandbox).
        Not for a module that trains on."""
        self.eval().to(device)
        if self.uses_channels_last(device):
            self.net.to(memory_format=torch.channels_last)
        return self

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Normalised images -> logits (positive means fake)."""
        return self.forward_net(images)

    def on_validation_epoch_start(self) -> None:
        """Precise BN, when asked, before each validation: so val/loss, the saved checkpoints and the tested
        weights all carry statistics of the final weights of the epoch."""
        fitting = self.trainer.state.fn == "fit" and not self.trainer.sanity_checking
        if self.hparams.bn_recalibration_batches > 0 and fitting:
            recalibrate_batchnorm(
                self.net,
                self.trainer.train_dataloader,  # type: ignore[arg-type]  # set while fitting
                self.prepare_input,
                self.hparams.bn_recalibration_batches,
            )

    def prepare_input(self, batch) -> torch.Tensor:
        """A loader batch -> the network's input on this module's device (outside Lightning's loops)."""
        batch = (batch[0].to(self.device, non_blocking=True), batch[1].to(self.device, non_blocking=True))
        return self.prepare_batch(batch)[0]

    def on_fit_start(self) -> None:
        if self.uses_channels_last(self.device):
            self.net.to(memory_format=torch.channels_last)  # depthwise convs are faster in NHWC (GPU and CPU)

    def training_step(self, batch, batch_idx: int) -> torch.Tensor:
        images, labels = self.prepare_batch(batch)
        loss = self.loss(self(images), labels)
        self.log(TRAIN_LOSS, loss, prog_bar=True, batch_size=len(labels))
        return loss

    def validation_step(self, batch, batch_idx: int) -> None:
        images, labels = self.prepare_batch(batch)
        logits = self(images)
        self.log(VAL_LOSS, self.loss(logits, labels), prog_bar=True, sync_dist=True, batch_size=len(labels))
        self.val_auroc.update(torch.sigmoid(logits.float()), labels.long())

    def on_validation_epoch_end(self) -> None:
        self.log(VAL_AUROC, self.val_auroc.compute(), prog_bar=True)
        self.val_auroc.reset()

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        """The random streams (dropout, flips), so a resumed run continues them exactly."""
        name, keys, position, has_gauss, cached = np.random.get_state()
        # tensors and plain numbers only: checkpoints load with torch.load(weights_only=True)
        checkpoint["fakeid_rng"] = {
            "torch": torch.get_rng_state(),
            "python": random.getstate(),
            "numpy": [name, torch.from_numpy(keys.astype(np.int64)), int(position), int(has_gauss), float(cached)],  # type: ignore[attr-defined]  # the legacy 5-tuple: keys is an array
        }
        if torch.cuda.is_available():
            checkpoint["fakeid_rng"]["cuda"] = torch.cuda.get_rng_state_all()

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        state = checkpoint.get("fakeid_rng")
        if state is None or self._trainer is None:  # loading weights for inference restores no random state
            return
        torch.set_rng_state(state["torch"])
        name, keys, position, has_gauss, cached = state["numpy"]
        np.random.set_state((name, keys.numpy().astype(np.uint32), position, has_gauss, cached))
        random.setstate(state["python"])
        if "cuda" in state and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["cuda"])

    def configure_optimizers(self):
        return adam(self.parameters(), lr=self.hparams.lr)
