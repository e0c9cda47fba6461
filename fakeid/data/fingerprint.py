"""A cheap fingerprint of the files a run reads: every file of every class folder it uses, by path relative to
the data root, size and modification time (a listing and a stat per file; nothing is decoded).

Regenerating, adding, removing or touching a file changes it; moving the whole root does not (the root is
recorded beside it). Used by fakeid.runs so that a job folder never holds results of two datasets, and by
the collector so that runs of different datasets are never pooled into one figure.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

from fakeid.data.layout import ClassFolder, ImageSet


def class_folders(sets: Iterable[ImageSet]) -> list[ClassFolder]:
    return [folder for image_set in sets for folder in (image_set.real, image_set.fake)]


def fingerprint(folders: Iterable[ClassFolder], root: Path) -> str:
    digest = hashlib.sha256()
    for folder in sorted(folders, key=lambda f: str(f.path)):
        for file in (*folder.images, *folder.non_image):
            stat = os.stat(file)
            digest.update(f"{os.path.relpath(file, root)}\t{stat.st_size}\t{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def data_identity(root: Path, sets: Iterable[ImageSet]) -> dict[str, str]:
    """`data.root` (resolved) and the fingerprint of the sets' class folders."""
    root = Path(root).expanduser().resolve()
    return {"root": str(root), "fingerprint": fingerprint(class_folders(sets), root)}
