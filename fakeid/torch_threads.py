"""Run a block on one torch thread: the synthetic generator needs it for identical bytes on every run (one
thread reduces conv sums in one order), the benchmark to measure one core's work as a loader worker sees it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch


@contextmanager
def one_torch_thread() -> Iterator[None]:
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
