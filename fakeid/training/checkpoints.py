"""The checkpoints of a run: which one a run resumes from, which one it tests, and what is kept at the end.

- Resume: `checkpoints/last.ckpt` (written at the end of every epoch, with optimizer, loop, shuffle and RNG
  state). One that cannot be read is set aside as `last.ckpt.corrupt-<time>` (never deleted) and the run
  starts over, with a warning and a note in metrics.json. One that holds the weights only
  (`callbacks.checkpoint.resumable=false`) cannot be resumed from: the run starts over, and its first
  checkpoint replaces it.
- Tested: the lowest validation loss (`select=best`) or the last epoch (`select=last`).
- Kept (`keep_checkpoints`), once a run finished ok: `tested` (the default) writes the tested weights to
  `checkpoints/tested.ckpt` without optimizer state (a hard link when the tested file has none; what
  fakeid.eval, fakeid.predict and fakeid.export load) and removes best.ckpt and last.ckpt; `all` keeps those
  two as they are; `none` keeps no weights (the run's numbers stay in metrics.json and scores.csv; it cannot be
  evaluated again). A run still in progress keeps what resume needs. `slim` removes last.ckpt before
  best.ckpt: a kill between the two leaves best.ckpt, and the rerun trains again; the reverse (last.ckpt
  naming a best.ckpt that is gone) is set aside as `last.ckpt.no-best-<time>` by `resume_path`, and the run
  starts over.
- Written (`RunCheckpointIO`): every checkpoint, Lightning's included, goes to a hidden partial file next to it
  (never through $TMPDIR, which would be a copy across file systems), then is renamed; a failure (a full disk)
  leaves nothing, and the partial files a killed process left are removed when the run starts again. Each is
  stamped with the run's config hash (`RUN_KEY`), so that a copied or moved run can tell its own weights.
"""

from __future__ import annotations

import io
import logging
import os
import time
from pathlib import Path
from typing import Any

import torch
from lightning_fabric.plugins.io.torch_io import TorchCheckpointIO

from fakeid.core.atomic import link_atomically, remove_partials, write_atomically
from fakeid.core.errors import FakeidError
from fakeid.runs.checkpoint_file import UnsafeCheckpoint, load_checkpoint_mapped
from fakeid.runs.trained import RUN_KEY

log = logging.getLogger("fakeid.train")
TESTED = "tested.ckpt"
TRAINING_ONLY_KEYS = ("optimizer_states", "lr_schedulers")


class RunCheckpointIO(TorchCheckpointIO):
    """Lightning's torch checkpoint IO, written atomically in the checkpoint's own folder and stamped with the
    run's config hash (module docstring)."""

    def __init__(self, config_hash: str | None) -> None:
        self.config_hash = config_hash

    def save_checkpoint(self, checkpoint: dict[str, Any], path, storage_options: Any | None = None) -> None:
        if storage_options is not None:
            raise TypeError(f"{type(self).__name__} takes no storage_options")
        checkpoint[RUN_KEY] = {"config_hash": self.config_hash}
        save_file(checkpoint, Path(path))


def save_file(payload: dict, target: Path) -> None:
    """torch.save, atomically: serialised in memory first (as Lightning does), then written by Python, whose
    write raises ENOSPC as an OSError and closes the file (torch's own file writer turns a full disk into a
    RuntimeError and keeps the file open, so its space is not freed when the partial file is removed)."""
    buffer = io.BytesIO()
    torch.save(payload, buffer)

    def write(partial: Path) -> None:
        with open(partial, "wb") as handle:
            handle.write(buffer.getbuffer())

    write_atomically(target, write)


def use_run_checkpoint_io(trainer, config_hash: str | None) -> None:
    """Every checkpoint the trainer writes goes through RunCheckpointIO (unless a custom IO was configured)."""
    if type(trainer.strategy.checkpoint_io) is TorchCheckpointIO:
        trainer.strategy.checkpoint_io = RunCheckpointIO(config_hash)


def set_aside_checkpoint(last: Path, why: str, mark: str, notes: dict) -> None:
    aside = last.with_name(f"{last.name}.{mark}-{time.strftime('%Y%m%d-%H%M%S')}")
    os.replace(last, aside)
    message = f"{last} {why}; set aside as {aside.name}, starting over"
    log.warning(message)
    notes["resume_warning"] = message


def resume_path(checkpoint_dir: Path, notes: dict) -> tuple[Path | None, int]:
    """(last.ckpt if it can be resumed from, else None; its global step). A corrupt one, or one whose best.ckpt
    is gone (so the run could not pick its tested weights), is set aside. Partial files a killed save left are
    removed first."""
    removed = remove_partials(checkpoint_dir)
    if removed:
        log.warning("removed %d partial checkpoint files a killed run left in %s", removed, checkpoint_dir)
    last = checkpoint_dir / "last.ckpt"
    if not last.is_file():
        return None, 0
    try:
        payload = load_checkpoint_mapped(last, label=None)  # the records, not the tensors
        step = int(payload.get("global_step", 0))
    except UnsafeCheckpoint:  # not damage but a planted file: stop, never set aside and train on beside it
        raise
    except Exception as err:  # noqa: BLE001 - any unreadable checkpoint is set aside, whatever torch raised
        set_aside_checkpoint(last, f"could not be read ({type(err).__name__})", "corrupt", notes)
        return None, 0
    if "optimizer_states" not in payload:  # written by callbacks.checkpoint.resumable=false
        message = f"{last} holds the weights only (callbacks.checkpoint.resumable=false): starting over"
        log.warning(message)
        notes["resume_warning"] = message
        return None, 0  # overwritten by the new attempt's first checkpoint
    best = [
        state.get("best_model_path")
        for key, state in (payload.get("callbacks") or {}).items()
        if "ModelCheckpoint" in str(key) and isinstance(state, dict)
    ]
    missing = [path for path in best if path and not (checkpoint_dir / Path(path).name).is_file()]
    if missing:
        set_aside_checkpoint(last, f"names best weights {Path(missing[0]).name} that are gone", "no-best", notes)
        return None, 0
    return last, step


def chosen_for_testing(checkpoint_callback, select: str) -> Path:
    best = checkpoint_callback.best_model_path
    if select == "best" and not best:
        raise FakeidError("select=best but no checkpoint recorded a validation loss (is the val split empty?)")
    chosen = Path(best if select == "best" else checkpoint_callback.last_model_path)
    # in the callback's own folder: a run moved (or copied) while unfinished resumes with the old folder's paths
    return Path(checkpoint_callback.dirpath) / chosen.name


def slim(tested: Path, keep: str) -> Path | None:
    """What stays of the checkpoints of a finished run (module docstring); the tested weights' file, if kept."""
    if keep == "all":
        return tested
    target = None
    if keep == "tested":
        target = tested.with_name(TESTED)
        payload = load_checkpoint_mapped(tested)
        if set(TRAINING_ONLY_KEYS) & set(payload):
            for key in TRAINING_ONLY_KEYS:
                payload.pop(key, None)
            save_file(payload, target)
        else:  # already the weights only (callbacks.checkpoint.resumable=false): the same bytes, linked
            link_atomically(tested, target)
    for name in ("last.ckpt", "best.ckpt"):  # last first: see the module docstring
        (tested.parent / name).unlink(missing_ok=True)
    return target
