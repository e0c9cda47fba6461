"""The plain PyTorch training loop (`PlainLoop`) that Lightning's overhead and the reference unit are measured
with, the fresh `pl.Trainer.fit` the bench times, and the two interleaved step by step (`PlainStepAfterEach`)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator

import pytorch_lightning as pl
import torch
from torch import nn
from torch.utils.data import DataLoader

from fakeid.benchmark.clocks import Marks, StepClock, StepClockCallback
from fakeid.benchmark.config import BenchConfig
from fakeid.evaluation.scored_sets import autocast_for
from fakeid.models.backbone import DetectorNet
from fakeid.models.config import build_detector
from fakeid.models.detector import FakeImageDetector, adam
from fakeid.training.run import unfixable_lightning_warnings


def forever(loader: DataLoader) -> Iterator:
    while True:
        yield from loader


def new_detector(config: BenchConfig) -> FakeImageDetector:
    torch.manual_seed(config.seed)
    return build_detector(name=config.backbone, compile=config.compile, channels_last=config.channels_last)


def lightning_repeat(
    config: BenchConfig, detector: FakeImageDetector, loader: DataLoader, device: torch.device
) -> dict:
    """One repeat: a fresh `pl.Trainer.fit` of `warmup + steps` steps (set-up excluded from the timing)."""
    clock, total = StepClock(device), config.warmup + config.steps
    fit_steps(config, detector, loader, device, StepClockCallback(clock, config.warmup, total))
    return clock.summary(config.warmup)


def fit_steps(
    config: BenchConfig, detector: FakeImageDetector, loader: DataLoader, device: torch.device, timer: pl.Callback
) -> None:
    """A fresh `pl.Trainer.fit` of `warmup + steps` steps, timed by the callback `timer` alone."""
    detector.train()  # Lightning keeps the mode it finds: after an evaluation, BatchNorm would stay frozen
    trainer = pl.Trainer(
        accelerator="gpu" if device.type == "cuda" else "cpu",
        devices=1,
        precision=config.precision,  # type: ignore[arg-type]  # one of PRECISIONS: the schema's choices
        max_steps=config.warmup + config.steps,
        max_epochs=-1,
        limit_val_batches=0,
        num_sanity_val_steps=0,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[timer],
        default_root_dir=tempfile.gettempdir(),
    )
    with unfixable_lightning_warnings():  # the one a training run silences too, for the same reason
        trainer.fit(detector, train_dataloaders=loader)


class PlainLoop:
    """The same training step without Lightning: the baseline its overhead is measured against."""

    def __init__(self, config: BenchConfig, device: torch.device):
        torch.manual_seed(config.seed)
        self.config, self.device = config, device
        self.channels_last = new_detector(config).uses_channels_last(device)  # the detector's own choice
        self.net = DetectorNet(config.backbone, drop_rate=0.0).to(device).train()
        if self.channels_last:
            self.net = self.net.to(memory_format=torch.channels_last)
        self.forward = torch.compile(self.net) if config.compile else self.net
        self.optimizer = adam(self.net.parameters(), lr=1e-3)  # the detector's own optimizer
        self.loss_fn = nn.BCEWithLogitsLoss()

    def step(self, images: torch.Tensor, labels: torch.Tensor) -> int:
        """One training step on a loader batch; the number of images."""
        images, labels = images.to(self.device, non_blocking=True), labels.to(self.device, non_blocking=True)
        images = self.net.normalise(images)  # on the device, as FakeImageDetector.prepare_batch
        if self.channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        with autocast_for(self.device, self.config.precision):
            loss = self.loss_fn(self.forward(images), labels)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return len(labels)


class PlainStepAfterEach(pl.Callback):
    """Lightning and the plain loop interleaved step by step: after each Lightning step, one plain-loop step
    on the next batch of its own pass over the same loader. Mark 2i is the end of Lightning step i, mark
    2i + 1 the end of plain step i, so Lightning's step i is timed from the end of plain step i - 1 (its loop,
    hooks and batch included) and plain step i from the end of Lightning step i (its batch included). Both
    loops meet the same moment of the machine: a drift of its speed over seconds, which on the 2-core sandbox
    moved whole repeats by 20-30%, hits both alike."""

    def __init__(self, plain: PlainLoop, loader: DataLoader, device: torch.device):
        self.plain, self.batches, self.marks = plain, forever(loader), Marks(device)
        self.sizes: dict[str, list[int]] = {"lightning": [], "plain": []}

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx) -> None:
        self.marks.mark()
        self.sizes["lightning"].append(len(batch[1]))
        self.sizes["plain"].append(self.plain.step(*next(self.batches)))
        self.marks.mark()

    def rates(self, warmup: int) -> dict[str, float]:
        """Images/s of each loop over the steps after `warmup` (at least after the first, which has no start)."""
        steps = range(max(warmup, 1), len(self.sizes["plain"]))
        seconds = {
            "lightning": sum(self.marks.seconds(2 * i - 1, 2 * i) for i in steps),
            "plain": sum(self.marks.seconds(2 * i, 2 * i + 1) for i in steps),
        }
        return {loop: sum(self.sizes[loop][i] for i in steps) / seconds[loop] for loop in seconds}
