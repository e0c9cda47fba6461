"""Writes that an interruption cannot leave half done: a hidden temporary file, then a rename.

Temporary files are named `.<name>.partial-<pid>`; `remove_partials` deletes the ones an interrupted run left,
so that a re-run continues cleanly. Hidden names are ignored by the layout (fakeid.data.layout).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

PARTIAL_MARK = ".partial-"


def _partial_name(target: Path) -> Path:
    return target.with_name(f".{target.name}{PARTIAL_MARK}{os.getpid()}")


def _commit(target: Path, write: Callable[[Path], None]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = _partial_name(target)
    try:
        write(partial)
        os.replace(partial, target)
    finally:
        if partial.exists() or partial.is_symlink():
            partial.unlink()


def write_bytes_atomically(target: Path, data: bytes) -> None:
    _commit(target, lambda partial: partial.write_bytes(data))


def write_text_atomically(target: Path, text: str) -> None:
    _commit(target, lambda partial: partial.write_text(text))


def copy_atomically(source: Path, target: Path) -> None:
    _commit(target, lambda partial: shutil.copyfile(source, partial))


def symlink_atomically(source: Path, target: Path) -> None:
    """`target` becomes a symbolic link to the absolute path of `source`."""
    _commit(target, lambda partial: partial.symlink_to(source.resolve()))


def write_text_if_changed(target: Path, text: str) -> bool:
    """Write only when the content differs, so that a re-run with the same arguments writes nothing."""
    if target.is_file() and target.read_text() == text:
        return False
    write_text_atomically(target, text)
    return True


def remove_partials(folder: Path) -> int:
    """Delete the temporary files an interrupted run left under `folder`; returns how many."""
    if not folder.is_dir():
        return 0
    leftovers = [p for p in folder.rglob(f".*{PARTIAL_MARK}*") if p.is_file() or p.is_symlink()]
    for path in leftovers:
        path.unlink()
    return len(leftovers)
