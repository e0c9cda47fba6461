"""Writes that an interruption or a full disk cannot leave half done: a hidden temporary file in the
destination's own folder (so the rename never crosses file systems), then a rename.

Every atomic write of fakeid goes through `write_atomically` (metrics.json, scores.csv, predictions, checkpoints,
prepared data). Temporary files are named `.<name>.partial-<pid>-<thread>`; a failure removes its own, and a full disk
is one `DiskFull` line naming the file system (fakeid.core.errors). A process killed mid-write (SIGKILL) cannot clean
up: `remove_partials` deletes what it left, so that a re-run continues cleanly. Hidden names are ignored by the
layout (fakeid.data.layout).
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from filelock import FileLock

from fakeid.core.errors import DiskFull, is_disk_full

PARTIAL_MARK = ".partial-"
LOCK_SUFFIX = ".lock"  # the lock of a folder being replaced: `.<name>.lock` beside it
T = TypeVar("T")


def partial_name(target: Path) -> Path:
    """The temporary name of this process and thread: two writers in one process never share one."""
    return target.with_name(f".{target.name}{PARTIAL_MARK}{os.getpid()}-{threading.get_ident()}")


def write_atomically(target: Path, write: Callable[[Path], object]) -> None:
    """`write(partial)`, then rename the partial file to `target`: whatever fails (a full disk, a bug in `write`),
    `target` keeps its previous content and no partial file stays behind."""
    partial = partial_name(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write(partial)
        os.replace(partial, target)
    except BaseException as err:
        if partial.exists() or partial.is_symlink():
            partial.unlink()  # first: the error then tells the space there is without it
        if is_disk_full(err):
            raise DiskFull.writing(target) from err
        raise


def write_folder_atomically(target: Path, write: Callable[[Path], T]) -> T:
    """`write(partial_folder)`, then that folder takes the place of `target` (a previous folder of that name is
    removed only once the new one is complete): a failure leaves `target` as it was and no partial folder.

    Each writer builds its own partial folder (named for its process and thread); the swap itself holds a lock
    beside `target` (`.<name>.lock`, left in place: removing a lock file races with its next holder), so that
    concurrent writers of one folder each put a complete folder in place, one after the other. A `target`
    that is a symbolic link is replaced as a link: the folder it points to is never removed or written."""
    partial = partial_name(target)
    shutil.rmtree(partial, ignore_errors=True)  # this very writer's leftover (a killed earlier attempt)
    try:
        partial.mkdir(parents=True)
        result = write(partial)
        with FileLock(target.with_name(f".{target.name}{LOCK_SUFFIX}")):
            replace_folder(partial, target)
    except BaseException as err:
        shutil.rmtree(partial, ignore_errors=True)
        if is_disk_full(err):
            raise DiskFull.writing(target) from err
        raise
    return result


def replace_folder(folder: Path, target: Path) -> None:
    """`folder` renamed to `target`; what `target` was (a link, a file, a folder) is removed only once the new
    one is in place, a link by unlinking it, never through it."""
    if target.is_symlink() or target.is_file():
        target.unlink()
        folder.rename(target)
        return
    if not target.exists():
        folder.rename(target)
        return
    old = target.with_name(f".{target.name}.old-{os.getpid()}-{threading.get_ident()}")
    target.rename(old)
    folder.rename(target)
    shutil.rmtree(old)


def write_bytes_atomically(target: Path, data: bytes) -> None:
    write_atomically(target, lambda partial: partial.write_bytes(data))


def write_text_atomically(target: Path, text: str) -> None:
    write_atomically(target, lambda partial: partial.write_text(text))


def copy_atomically(source: Path, target: Path) -> None:
    write_atomically(target, lambda partial: shutil.copyfile(source, partial))


def link_atomically(source: Path, target: Path) -> None:
    """`target` becomes a second name of `source`'s file (a hard link: no byte is copied, and replacing either
    name later leaves the other as it was); a copy where the file system has no hard links."""

    def link(partial: Path) -> None:
        try:
            os.link(source, partial)
        except OSError as err:
            if is_disk_full(err):
                raise
            shutil.copyfile(source, partial)

    write_atomically(target, link)


def symlink_atomically(source: Path, target: Path) -> None:
    """`target` becomes a symbolic link to the absolute path of `source`."""
    write_atomically(target, lambda partial: partial.symlink_to(source.resolve()))


def holds_text(target: Path, text: str) -> bool:
    """Whether `target` is a file holding exactly `text` (read as `write_text_atomically` writes it): writing
    `text` there again would change nothing."""
    try:
        return target.is_file() and target.read_text() == text
    except (OSError, UnicodeDecodeError):
        return False


def write_text_if_changed(target: Path, text: str) -> bool:
    """Write only when the content differs, so that a re-run with the same arguments writes nothing."""
    if holds_text(target, text):
        return False
    write_text_atomically(target, text)
    return True


def remove_partials(folder: Path) -> int:
    """Delete the temporary files an interrupted run left under `folder`; returns how many."""
    if not folder.is_dir():
        return 0
    leftovers = [p for p in folder.rglob(f".*{PARTIAL_MARK}*") if p.is_file() or p.is_symlink()]
    for path in leftovers:
        path.unlink(missing_ok=True)
    return len(leftovers)


def write_json_atomically(path: Path, payload: dict) -> None:
    """Write to a temporary file, then rename (`write_atomically`): a failure at any point, a full disk
    included, leaves the previous file intact and no temporary file."""
    text = json.dumps(payload, indent=2, default=str)  # fails before anything touches the disk

    def write(temporary: Path) -> None:
        with open(temporary, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())

    write_atomically(path, write)
