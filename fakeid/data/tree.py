"""Every file below a folder, walked with an explicit stack: a folder tree of any depth, and symbolic links
that loop, never raise (Python 3.11's `os.walk` and `Path.rglob` recurse, and a tree 1,000 folders deep
raised RecursionError).

The order is `os.walk`'s, top-down: a folder's files (sorted by name), then each subfolder's in name order.
A "file" is every entry that is not a folder walked into: a broken or looping symbolic link is listed (the
caller decides what it is), a link to a folder is walked into only with `follow_links`, each real folder
at most once (a link back up the tree cannot loop).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path


def is_folder(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()  # follows a link; a looping or broken one is not a folder
    except OSError:
        return False


def walk_files(top: Path, *, follow_links: bool = False, hidden: bool = True) -> Iterator[Path]:
    """Every file below `top` (see the module docstring); `hidden=False` leaves out names starting with '.'."""
    seen: set[tuple[int, int]] = set()
    stack = [Path(top)]
    while stack:
        folder = stack.pop()
        try:
            info = folder.stat()
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError:
            continue  # vanished or unreadable while walking: nothing below it to list
        if (info.st_dev, info.st_ino) in seen:
            continue
        seen.add((info.st_dev, info.st_ino))
        subfolders = []
        for entry in entries:
            if not hidden and entry.name.startswith("."):
                continue
            if not is_folder(entry):
                yield Path(entry.path)
            elif follow_links or not entry.is_symlink():
                subfolders.append(Path(entry.path))
        stack += reversed(subfolders)
