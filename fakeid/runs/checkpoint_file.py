"""Reading a checkpoint file as data: the one place fakeid unpickles a checkpoint (`load_checkpoint_file`).

A PyTorch checkpoint is a pickle, and an unrestricted pickle can run any code while it loads. Checkpoints come
from other people (a shared run folder, a published detector), so every read is `torch.load(weights_only=True)`:
tensors, numbers, strings and containers of them, which is all a fakeid checkpoint holds (the model's and the
datamodule's hyper-parameters, the loop and callback states, the optimizer state, the random streams and the
run's stamp: `ALLOWED_GLOBALS` is empty, and a test checks that a trained run's checkpoints name no other type).
A file that needs more is refused in one line naming it, before any of its objects is built. Lightning's own
loads (`load_from_checkpoint`, resuming `Trainer.fit`) are asked for `weights_only=True` too (`LIGHTNING_LOAD`),
after this reader has vetted the same file.
"""

from __future__ import annotations

import pickle
import re
from pathlib import Path
from typing import Any

from fakeid.core.errors import FakeidError

# the classes (beyond torch's own tensors and plain Python data) a fakeid checkpoint may name: none today
ALLOWED_GLOBALS: tuple[type, ...] = ()
# the keyword Lightning's loaders get, so that they never fall back to an unrestricted unpickling
LIGHTNING_LOAD: dict[str, Any] = {"weights_only": True}
WEIGHTS_ONLY_REFUSAL = "Weights only load failed"  # how torch says a file needs more than weights_only allows
# ... because its pickle names a class or function: torch's words, in a zip archive and in a legacy file
UNSUPPORTED_GLOBAL = re.compile(r"unsupported global:?\s+(?:GLOBAL\s+)?([\w.]+)", re.IGNORECASE)


class UnsafeCheckpoint(FakeidError):
    """A checkpoint whose pickle names code or classes beyond plain data: never loaded."""


def load_checkpoint_file(path: Path, label: str | None = "ckpt", mmap: bool = False) -> Any:
    """The unpickled content of `path`, loaded as data only (module docstring). `label` names the file in the
    one-line refusal (`ckpt=PATH`; None: the path alone, as for a run's own `last.ckpt`). Errors other than
    the refusal propagate as torch raised them: the callers say what an unreadable file means to them."""
    import torch

    try:
        with torch.serialization.safe_globals(list(ALLOWED_GLOBALS)):
            return torch.load(path, map_location="cpu", weights_only=True, mmap=mmap)
    except pickle.UnpicklingError as err:
        # torch refuses garbage with the same words: only a pickle that names code or classes is "unsafe"
        names = unsafe_globals(path) or sorted(set(UNSUPPORTED_GLOBAL.findall(str(err))))
        if WEIGHTS_ONLY_REFUSAL not in str(err) or not names:
            raise
        named = f"{label}={path}" if label else str(path)
        listed = ", ".join(names[:3]) + (" ..." if len(names) > 3 else "")
        raise UnsafeCheckpoint(
            f"{named} refused: it needs {listed} to load, not only tensors and numbers "
            "(a checkpoint can run code when unpickled; fakeid checkpoints never need this)"
        ) from None


def load_checkpoint_mapped(path: Path, label: str | None = "ckpt") -> Any:
    """`load_checkpoint_file`, memory-mapped: a caller that reads the small records (hyper-parameters, steps,
    callback states) pages in none of the weights and optimizer state. A file in torch's legacy (pre-zip) format
    cannot be mapped and is read whole."""
    try:
        return load_checkpoint_file(path, label, mmap=True)
    except RuntimeError:
        return load_checkpoint_file(path, label)


def unsafe_globals(path: Path) -> list[str]:
    """The classes or functions the pickle in `path` names beyond plain data, read without loading it."""
    import torch

    try:
        return sorted(torch.serialization.get_unsafe_globals_in_checkpoint(path))
    except Exception:  # noqa: BLE001 - a legacy (pre-zip) file or not a torch archive: the names are unknown
        return []
