"""Recompute BatchNorm running statistics from training batches ("precise BN").

With few optimiser steps (the CPU demo, the tests) the running averages lag far behind the weights Adam
keeps moving, and eval-mode outputs collapse to a constant (accuracy exactly 0.5). Re-estimating the
statistics with the final weights, as an equal-weight average over a number of training batches, fixes
that without touching any weight. At the paper's scale it changes little and is off by default.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
from torch import nn


@torch.no_grad()
def recalibrate_batchnorm(model: nn.Module, batches: Iterable, prepare: Callable, max_batches: int) -> int:
    """Reset and re-estimate every BatchNorm's running mean/var over up to `max_batches` batches.

    `prepare(batch)` returns the model's input on its device. Returns the number of batches used.
    """
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats]
    if not norms or max_batches <= 0:
        return 0
    momenta = [norm.momentum for norm in norms]
    was_training = model.training
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None  # None: a cumulative (equal-weight) average over the batches seen
    model.train()
    used = 0
    for batch in batches:
        if used == max_batches:
            break
        model(prepare(batch))
        used += 1
    for norm, momentum in zip(norms, momenta, strict=True):
        norm.momentum = momentum
    model.train(was_training)
    return used
