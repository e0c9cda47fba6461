"""Names read from files (metrics.json, scores.csv, checkpoints) that end up in a path: checked here, once.

A run folder is shared between people, so whatever it records may be crafted: a `config_hash` of
`x/../../../ESCAPED` once moved a run and its neighbours out of the folder being set aside. Such a value reaches a
path only through these functions: a hash must be hexadecimal (`hex_name`), a free-form name (a set or job name)
becomes a single safe path component (`path_component`), a recorded file name must be a plain name in its
folder (`plain_file_name`), and a recorded folder below another (a results.csv row's `run_dir` below its `sweep`)
must stay inside it (`inside`). `fresh_path` picks a name nothing uses yet, so that a move or write never replaces a
file it did not create.
"""

from __future__ import annotations

import re
from pathlib import Path

from fakeid.core.errors import FakeidError

HEX = re.compile(r"[0-9a-f]{1,64}")
UNSAFE = re.compile(r"[^A-Za-z0-9._=+-]+")  # anything but these becomes "_" in a path component
MAX_COMPONENT = 120  # characters: well under every file system's 255-byte limit


def hex_name(value: object, fallback: str = "unknown") -> str:
    """`value` when it is a lowercase hexadecimal string (a config hash), else `fallback`."""
    return value if isinstance(value, str) and HEX.fullmatch(value) else fallback


def path_component(value: object) -> str:
    """`value` as one path component: only letters, digits and `._=+-`, no leading dot (never `.` or `..`,
    never hidden), at most MAX_COMPONENT characters; "_" when nothing is left."""
    slug = UNSAFE.sub("_", str(value)).lstrip(".")[:MAX_COMPONENT]
    return slug or "_"


def plain_file_name(value: object, what: str) -> str:
    """`value` when it is a plain file name (no folder part, not `.` or `..`), else a one-line error naming
    `what` (the file and key it was read from)."""
    name = str(value)
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\0" in name:
        raise FakeidError(f"{what}: {name!r} is not a plain file name")
    return name


def inside(folder: str | Path, value: object, what: str) -> Path:
    """`folder / value` when `value` is a relative path that stays inside `folder` (the folder itself counts)
    once `..` parts and links are resolved, else a one-line error naming `what` (the file and key it was read
    from). Resolving, not only looking for `..`: a link inside the folder that leads out of it leaves too."""
    text = str(value)
    if not text or "\0" in text or Path(text).is_absolute():
        raise FakeidError(f"{what}: {text!r} is not a path inside {folder}")
    path = Path(folder) / text
    if not path.resolve().is_relative_to(Path(folder).resolve()):
        raise FakeidError(f"{what}: {text!r} leads outside {folder}")
    return path


def fresh_path(path: Path) -> Path:
    """`path` if nothing is there yet (not even a dangling link), else `path` with `-2`, `-3`, ... appended."""
    candidate, number = path, 1
    while candidate.exists() or candidate.is_symlink():
        number += 1
        candidate = path.with_name(f"{path.name}-{number}")
    return candidate
