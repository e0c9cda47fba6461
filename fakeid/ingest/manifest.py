"""What a prepare run owns: the `prepare.json` marker of an output folder, and LSUN's `manifest.csv`.

An output folder is accepted when it does not exist, is empty, or holds the `prepare.json` of an earlier run
with the same source and arguments (that run is continued). Anything else stops before a file is written,
so that prepare never mixes its files with someone else's. Output inside an input folder is refused too.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass
from pathlib import Path

from fakeid.core.atomic import write_text_if_changed
from fakeid.core.errors import FakeidError

MARKER = "prepare.json"
MANIFEST = "manifest.csv"
MANIFEST_FIELDS = ("category", "key", "file", "sha256", "format", "width", "height")


@dataclass(frozen=True)
class ManifestRow:
    category: str
    key: str
    file: str  # relative to the output folder
    sha256: str
    format: str
    width: int
    height: int


def is_inside(path: Path, folder: Path) -> bool:
    path, folder = path.resolve(), folder.resolve()
    return path == folder or folder in path.parents


def refuse_out_inside(out: Path, inputs: dict[str, Path]) -> None:
    for key, folder in inputs.items():
        if is_inside(out, folder):
            raise FakeidError(f"out={out} lies inside {key}={folder}: expected an output folder outside the input")


def check_out(out: Path, source: str, arguments: dict) -> None:
    """Stop unless `out` may be written by this run (see the module docstring); writes nothing."""
    if out.exists() and not out.is_dir():
        raise FakeidError(f"out={out} is a file: expected a new or empty folder")
    marker = out / MARKER
    if marker.is_file():
        found = read_marker(marker)
        if found != marker_content(source, arguments):
            raise FakeidError(
                f"out={out} holds a prepare run with other arguments ({_describe(found)}): "
                "expected a new or empty folder, or the same arguments to continue that run"
            )
    elif out.is_dir() and any(out.iterdir()):
        raise FakeidError(f"out={out} already holds other files: expected a new or empty folder")


def read_marker(marker: Path) -> dict:
    """The arguments an earlier prepare run recorded in `marker`, or one line saying it is not such a file."""
    try:
        found = json.loads(marker.read_text())
    except (ValueError, UnicodeDecodeError) as err:  # JSONDecodeError is a ValueError
        found = err
    if not isinstance(found, dict):
        reason = f"{type(found).__name__}: {' '.join(str(found).split())[:80]}"
        raise FakeidError(
            f"{marker} is not a {MARKER} fakeid.prepare wrote ({reason}): expected a new or empty out= folder, "
            "or one holding an intact marker; remove the damaged file if the folder is yours"
        )
    return found


def mark_out(out: Path, source: str, arguments: dict) -> None:
    """Record this run's arguments in `out`, so that a re-run continues it and nothing else writes there."""
    write_text_if_changed(out / MARKER, json.dumps(marker_content(source, arguments), indent=2) + "\n")


def marker_content(source: str, arguments: dict) -> dict:
    return json.loads(json.dumps({"source": source, "arguments": arguments}, sort_keys=True))


def _describe(found: dict) -> str:
    arguments = " ".join(f"{k}={v}" for k, v in sorted(found.get("arguments", {}).items()))
    return f"source={found.get('source')} {arguments}".strip()


def manifest_text(rows: Iterable[ManifestRow]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(MANIFEST_FIELDS)
    writer.writerows(astuple(row) for row in rows)
    return buffer.getvalue()


def write_manifest(out: Path, rows: Sequence[ManifestRow]) -> bool:
    """Write `out/manifest.csv` atomically, only when its content changes."""
    return write_text_if_changed(out / MANIFEST, manifest_text(rows))
