"""The checkpoints of a run: which one a run resumes from, which one it tests, and what is kept at the end.

- Resume: `checkpoints/last.ckpt` (written at the end of every epoch, with optimizer, loop, shuffle and RNG
  state). One that cannot be read is set aside as `last.ckpt.corrupt-<time>` (never deleted) and the run
  starts over, with a warning and a note in metrics.json.
- Tested: the lowest validation loss (`select=best`) or the last epoch (`select=last`).
- Kept (`keep_checkpoints`), once a run finished ok: `tested` (the default) writes the tested weights to
  `checkpoints/tested.ckpt` without optimizer state (what fakeid.eval, fakeid.predict and fakeid.export load)
  and removes best.ckpt and last.ckpt; `all` keeps those two as they are; `none` keeps no weights (the run's
  numbers stay in metrics.json and scores.csv; it cannot be evaluated again). A run still in progress keeps
  what resume needs.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import torch

from fakeid.errors import FakeidError, check_choice

log = logging.getLogger("fakeid.train")
SELECT_CHOICES = ("best", "last")
KEEP_CHOICES = ("tested", "all", "none")
TESTED = "tested.ckpt"
TRAINING_ONLY_KEYS = ("optimizer_states", "lr_schedulers")


def resume_path(checkpoint_dir: Path, notes: dict) -> tuple[Path | None, int]:
    """(last.ckpt if it can be resumed from, else None; its global step). A corrupt one is set aside."""
    last = checkpoint_dir / "last.ckpt"
    if not last.is_file():
        return None, 0
    try:
        step = int(torch.load(last, map_location="cpu", weights_only=False).get("global_step", 0))
    except Exception as err:  # noqa: BLE001 - any unreadable checkpoint is set aside, whatever torch raised
        aside = last.with_name(f"last.ckpt.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        os.replace(last, aside)
        message = f"{last} could not be read ({type(err).__name__}); set aside as {aside.name}, starting over"
        log.warning(message)
        notes["resume_warning"] = message
        return None, 0
    return last, step


def tested_checkpoint(checkpoint_callback, select: str) -> Path:
    check_choice("select", select, SELECT_CHOICES)
    best = checkpoint_callback.best_model_path
    if select == "best" and not best:
        raise FakeidError("select=best but no checkpoint recorded a validation loss (is the val split empty?)")
    return Path(best if select == "best" else checkpoint_callback.last_model_path)


def slim(tested: Path, keep: str) -> Path | None:
    """What stays of the checkpoints of a finished run (module docstring); the tested weights' file, if kept."""
    check_choice("keep_checkpoints", keep, KEEP_CHOICES)
    if keep == "all":
        return tested
    target = None
    if keep == "tested":
        payload = torch.load(tested, map_location="cpu", weights_only=False)
        for key in TRAINING_ONLY_KEYS:
            payload.pop(key, None)
        target = tested.with_name(TESTED)
        temporary = target.with_name(f".{TESTED}.{os.getpid()}.tmp")
        torch.save(payload, temporary)
        os.replace(temporary, target)
    for name in ("best.ckpt", "last.ckpt"):
        (tested.parent / name).unlink(missing_ok=True)
    return target
