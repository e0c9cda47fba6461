"""Run a block on a given number of torch threads: the synthetic generator needs one for identical bytes on
every run (one thread reduces conv sums in one order), the benchmark one to measure one core's work as a loader
worker sees it, and both counts for its reference unit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch


@contextmanager
def torch_threads(count: int) -> Iterator[None]:
    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def one_torch_thread():
    return torch_threads(1)
