"""`source=folder`: bring a folder of generated images and a folder of their reals into the layout as one set.

    real=DIR fake=DIR out=ROOT/test/<generator>/<category>   (or ROOT/train/<category>, ...)
        -> out/0_real/<file>, out/1_fake/<file>

`mode=link` (default) makes one symbolic link per image, `mode=copy` copies the bytes (atomically). Only the
images directly inside each folder are taken; other files are counted and reported, never brought in.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fakeid.core.atomic import copy_atomically, remove_partials, symlink_atomically
from fakeid.core.errors import FakeidError
from fakeid.data.images import is_image_name
from fakeid.data.layout import FAKE_DIR, REAL_DIR
from fakeid.ingest.manifest import check_out, mark_out, refuse_out_inside

MODES = ("link", "copy")


@dataclass
class Brought:
    class_dir: str
    source: Path
    images: list[Path]
    other: int
    made: int = 0
    present: int = 0


def list_source(key: str, folder: Path, class_dir: str) -> Brought:
    if not folder.is_dir():
        raise FakeidError(f"{key}={folder} is not a folder: expected a folder of images")
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    images = [p for p in files if is_image_name(p)]
    if not images:
        raise FakeidError(f"{key}={folder} holds no image files (png, jpg, webp, bmp, tif)")
    return Brought(class_dir, folder, images, len(files) - len(images))


def already_there(source: Path, target: Path, mode: str) -> bool:
    if mode == "link":
        return target.is_symlink() and target.resolve() == source.resolve()
    return target.is_file() and not target.is_symlink() and target.stat().st_size == source.stat().st_size


def bring(out: Path, brought: Brought, mode: str) -> None:
    for source in brought.images:
        target = out / brought.class_dir / source.name
        if already_there(source, target, mode):
            brought.present += 1
        else:
            (symlink_atomically if mode == "link" else copy_atomically)(source, target)
            brought.made += 1


def prepare_folder(real: Path, fake: Path, out: Path, mode: str) -> str:
    """Validate both folders and `out`, then link or copy; returns the report to print."""
    if mode not in MODES:
        raise FakeidError(f"mode={mode}: expected one of {', '.join(MODES)}")
    if real.resolve() == fake.resolve():
        raise FakeidError(f"real={real} and fake={fake} are the same folder: expected two folders")
    refuse_out_inside(out, {"real": real, "fake": fake})
    sources = [list_source("real", real, REAL_DIR), list_source("fake", fake, FAKE_DIR)]
    arguments = {"real": str(real.resolve()), "fake": str(fake.resolve()), "mode": mode}
    check_out(out, "folder", arguments)
    mark_out(out, "folder", arguments)
    removed = remove_partials(out)
    for brought in sources:
        bring(out, brought, mode)
    verb = "linked" if mode == "link" else "copied"
    lines = [
        f"{b.class_dir}: {len(b.images)} images from {b.source} ({b.made} {verb}, {b.present} already there"
        + (f"; {b.other} non-image files left out" if b.other else "")
        + ")"
        for b in sources
    ]
    if removed:
        lines.append(f"removed {removed} partial files an interrupted run left")
    lines.append(f"prepared {out}")
    return "\n".join(lines)
