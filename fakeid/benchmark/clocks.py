"""How the bench times training steps: `StepClock` (host times, and CUDA events, around each Lightning step:
throughput, loader wait, GPU busy) and `Marks` (moments in order, on the GPU's stream on CUDA), which the
interleaved Lightning / plain-loop comparison reads (fakeid.benchmark.loop.PlainStepAfterEach)."""

from __future__ import annotations

import time

import pytorch_lightning as pl
import torch


class StepClock:
    """Host times and (on CUDA) events at the start and end of each step, for throughput and idle time."""

    def __init__(self, device: torch.device):
        self.cuda = device.type == "cuda"
        self.starts: list[float] = []
        self.ends: list[float] = []
        self.sizes: list[int] = []
        self.start_events: list[torch.cuda.Event] = []
        self.end_events: list[torch.cuda.Event] = []

    def start(self) -> None:
        self.starts.append(time.perf_counter())
        if self.cuda:
            self.start_events.append(torch.cuda.Event(enable_timing=True))
            self.start_events[-1].record()

    def end(self, size: int, synchronize: bool) -> None:
        if self.cuda:
            self.end_events.append(torch.cuda.Event(enable_timing=True))
            self.end_events[-1].record()
            if synchronize:  # only at the edges of the timed window: syncing every step would hide overlap
                torch.cuda.synchronize()
        self.ends.append(time.perf_counter())
        self.sizes.append(size)

    def summary(self, warmup: int) -> dict:
        """Figures over the steps after `warmup` (timed from the end of the last warm-up step)."""
        first = warmup  # index of the first timed step
        span = self.ends[-1] - self.ends[first - 1] if first else self.ends[-1] - self.starts[0]
        between = sum(self.starts[i] - self.ends[i - 1] for i in range(max(first, 1), len(self.starts)))
        result = {
            "images_per_s": sum(self.sizes[first:]) / span,
            "step_ms": 1000 * span / (len(self.ends) - first),
            "host_wait_fraction": between / span,
            "gpu_busy_fraction": None,
        }
        if self.cuda:
            torch.cuda.synchronize()
            gpu_span = (self.end_events[first - 1] if first else self.start_events[0]).elapsed_time(self.end_events[-1])
            idle = sum(
                self.end_events[i - 1].elapsed_time(self.start_events[i])
                for i in range(max(first, 1), len(self.start_events))
            )
            result["gpu_busy_fraction"] = 1 - max(0.0, idle) / gpu_span
        return result


class StepClockCallback(pl.Callback):
    def __init__(self, clock: StepClock, warmup: int, total: int):
        self.clock, self.warmup, self.total = clock, warmup, total

    def on_train_batch_start(self, trainer, module, batch, batch_idx) -> None:
        self.clock.start()

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx) -> None:
        step = len(self.clock.ends) + 1
        self.clock.end(len(batch[1]), synchronize=step in (self.warmup, self.total))


class Marks:
    """Moments in order: host clock readings on the CPU, events on the GPU's stream on CUDA (host times of
    queued GPU work say nothing about when the GPU did it)."""

    def __init__(self, device: torch.device):
        self.cuda = device.type == "cuda"
        self.marks: list = []

    def mark(self) -> None:
        if self.cuda:
            self.marks.append(torch.cuda.Event(enable_timing=True))
            self.marks[-1].record()
        else:
            self.marks.append(time.perf_counter())

    def seconds(self, first: int, second: int) -> float:
        if self.cuda:
            torch.cuda.synchronize()
            return self.marks[first].elapsed_time(self.marks[second]) / 1000
        return self.marks[second] - self.marks[first]
