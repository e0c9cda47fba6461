"""A cheap fingerprint of a dataset: every file, by path relative to the data root, size and modification
time (a listing and a stat per file; nothing is decoded).

A training run fingerprints its whole root (train/, val/, test/: the same for every n, seed and dropout of a
sweep, so runs of one dataset pool); an evaluation fingerprints the sets it evaluates. Regenerating, adding,
removing or touching a file changes it; moving the whole root does not (the root is recorded beside it). Used
by fakeid.runs.lifecycle so that a job folder never holds results of two datasets, and by the collector so that runs of
different datasets are never pooled into one figure. Hidden files and folders (the decoded cache) are left out.
The walk is iterative (`fakeid.data.tree`: any depth), and a broken or looping link counts by its own stat.

A linked folder is walked (each real folder once), because training reads through it: `prepare
source=cnndetection` links every class folder to the extracted trees, and a walk that stopped at links read none
of their files, so every such root had the same fingerprint whatever it held. Roots without linked folders keep
the fingerprint they had; `link_blind_fingerprint` recomputes the old one, so a run folder fingerprinted before
(fakeid of 2026-12-06 or older) is recognised and its refusal says why (docs/runs.md).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from fakeid.data.layout import ClassFolder, ImageSet
from fakeid.data.tree import walk_files


def class_folders(sets: Iterable[ImageSet]) -> list[ClassFolder]:
    return [folder for image_set in sets for folder in (image_set.real, image_set.fake)]


def file_line(file: Path, root: Path) -> bytes:
    """What the fingerprint reads of one file: its relative path, size and modification time."""
    try:
        stat = os.stat(file)
    except OSError:  # a broken or looping link: the link itself
        stat = os.lstat(file)
    return f"{os.path.relpath(file, root)}\t{stat.st_size}\t{stat.st_mtime_ns}\n".encode()


def fingerprint(folders: Iterable[ClassFolder], root: Path) -> str:
    digest = hashlib.sha256()
    for folder in sorted(folders, key=lambda f: str(f.path)):
        for file in (*folder.images, *folder.non_image):
            digest.update(file_line(file, root))
    return digest.hexdigest()[:16]


def walk_tree(root: Path, splits: Iterable[str], *, follow_links: bool = True) -> Iterator[Path]:
    """Every non-hidden file under root/<split> for each split present, in a stable order; linked folders are
    walked unless `follow_links=False` (the old, link-blind walk)."""
    for split in splits:
        yield from walk_files(root / split, hidden=False, follow_links=follow_links)


def tree_files(root: Path, splits: Iterable[str], *, follow_links: bool = True) -> list[Path]:
    """`walk_tree` as a list."""
    return list(walk_tree(root, splits, follow_links=follow_links))


SPLITS = ("train", "val", "test")


def tree_fingerprint(root: Path, splits: Iterable[str], *, follow_links: bool) -> str:
    """The digest of `walk_tree`'s lines, as a stream: nothing held per file (610K at the paper's size)."""
    digest = hashlib.sha256()
    for file in walk_tree(root, splits, follow_links=follow_links):
        digest.update(file_line(file, root))
    return digest.hexdigest()[:16]


def root_identity(root: Path, splits: Iterable[str] = SPLITS) -> dict[str, str]:
    """`data.root` (resolved) and the fingerprint of every file of its splits, through linked folders."""
    root = Path(root).expanduser().resolve()
    return {"root": str(root), "fingerprint": tree_fingerprint(root, splits, follow_links=True)}


def link_blind_fingerprint(root: Path, splits: Iterable[str] = SPLITS) -> str:
    """The fingerprint fakeid took before it walked linked folders (see the module docstring)."""
    return tree_fingerprint(Path(root).expanduser().resolve(), splits, follow_links=False)


def data_identity(root: Path, sets: Iterable[ImageSet]) -> dict[str, str]:
    """`data.root` (resolved) and the fingerprint of the sets' class folders."""
    root = Path(root).expanduser().resolve()
    return {"root": str(root), "fingerprint": fingerprint(class_folders(sets), root)}
