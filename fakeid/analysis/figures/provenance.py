"""What a drawn figure was drawn from (`<name>.drawn.json` beside its files), so that the report can take a figure
the figures step drew instead of drawing it again, and only when it is exactly the one it would draw.

`python -m fakeid.figures` writes the record after each figure it draws: the figure's name, the sha256 of the
rows its maker reads (`rows_digest`: the rows in a canonical text, and every scores.csv they point to, which the
figure's comparison marks resample), its options (`Options`), fakeid's version and the digest of fakeid's own
source (a changed maker draws differently under the same version), and the sha256 of each file it wrote. The
report (`drawn=[DIR,...]`) computes the same key from the rows it would draw from and copies the files only on
an exact match of every field and of every file's bytes; anything else (another table, a score changed, other
options, a file edited or missing, another fakeid) is drawn again, which is not an error: the record is a
shortcut, never a source of numbers.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from fakeid import __version__
from fakeid.analysis.figures.figure import Options
from fakeid.analysis.scores import scores_file
from fakeid.core.atomic import copy_atomically, write_json_atomically
from fakeid.core.errors import FakeidError

DRAWN_SUFFIX = ".drawn.json"
DRAWN_KIND = "fakeid_drawn_figure"
RUN_COLUMNS = ("sweep", "run_dir")


def drawn_file(folder: str | Path, name: str) -> Path:
    """The record of figure `name` drawn into `folder`."""
    return Path(folder) / f"{name}{DRAWN_SUFFIX}"


@functools.cache
def code_digest() -> str:
    """The sha256 of fakeid's Python source (every module, by its path in the package): a figure drawn by other
    code is drawn again even when the version string did not change."""
    root = Path(__file__).resolve().parents[2]
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def rows_digest(rows: pd.DataFrame) -> str:
    """The sha256 of the rows a maker reads, in a canonical form: the columns by name, the rows in their order
    (a maker's output may follow it), each cell as pandas writes it to CSV; then, per run in the rows, its
    scores.csv bytes (or that it has none), since the figures' comparisons resample them."""
    table = rows.reset_index(drop=True)
    table = table[sorted(map(str, table.columns))]
    digest = hashlib.sha256(table.to_csv(index=False, lineterminator="\n").encode())
    if set(RUN_COLUMNS) <= set(table.columns):
        runs = table.drop_duplicates(list(RUN_COLUMNS))
        for run in runs.itertuples():
            try:
                path = scores_file(run.sweep, run.run_dir, getattr(run, "scores_file", None))
            except FakeidError:
                path = None
            text = _sha256(path) if path is not None and path.is_file() else "none"
            digest.update(f"\n{run.sweep}\t{run.run_dir}\t{text}".encode())
    return digest.hexdigest()


def _options(options: Options) -> dict:
    """The options as JSON would give them back (what the record holds and is compared against)."""
    return json.loads(json.dumps(dataclasses.asdict(options), sort_keys=True, default=str))


def _key(name: str, rows: pd.DataFrame, options: Options) -> dict:
    return {
        "kind": DRAWN_KIND,
        "version": 1,
        "figure": name,
        "rows_sha256": rows_digest(rows),
        "options": _options(options),
        "fakeid": __version__,
        "code_sha256": code_digest(),
    }


def write_drawn(
    name: str, rows: pd.DataFrame, options: Options, paths: Mapping[str, Path], result: dict | None = None
) -> Path:
    """Write the record of figure `name`, drawn from `rows` with `options` into the files `paths` (one folder);
    `result`: what a reader takes besides the files (figure=compare: the comparison, `Comparison.to_record`)."""
    folders = {Path(path).parent for path in paths.values()}
    if len(folders) != 1:
        raise FakeidError(f"{name}: its files are in {len(folders)} folders; a drawn record describes one folder")
    folder = folders.pop()
    files = {Path(path).name: _sha256(Path(path)) for path in paths.values()}
    record = {**_key(name, rows, options), "files": files, **({"result": result} if result is not None else {})}
    write_json_atomically(drawn_file(folder, name), record)
    return drawn_file(folder, name)


def forget_drawn(folder: str | Path, name: str) -> None:
    """Remove the record before figure `name` is drawn again into `folder`: a draw that fails half way leaves
    files no record vouches for."""
    drawn_file(folder, name).unlink(missing_ok=True)


def _matching(folder: Path, key: dict) -> dict | None:
    """The record in `folder` when it matches `key` and every file still has its recorded bytes."""
    try:
        record = json.loads(drawn_file(folder, key["figure"]).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or any(record.get(field) != value for field, value in key.items()):
        return None
    files = record.get("files")
    if not isinstance(files, dict) or not files:
        return None
    for file_name, digest in files.items():
        path = folder / str(file_name)
        if Path(str(file_name)).name != file_name or not path.is_file() or _sha256(path) != digest:
            return None
    return record


def _first_match(
    name: str, rows: pd.DataFrame, options: Options, folders: Sequence[str | Path]
) -> tuple[Path, dict] | None:
    """(folder, record) of the first of `folders` holding figure `name` drawn from exactly `rows` with `options`
    (its files intact), or None; the key is computed only when there is a folder to look in."""
    if not folders:
        return None
    key = _key(name, rows, options)
    return next(
        ((folder, record) for folder in map(Path, folders) if (record := _matching(folder, key)) is not None), None
    )


def find_drawn(name: str, rows: pd.DataFrame, options: Options, folders: Sequence[str | Path]) -> dict | None:
    """The record of figure `name` in the first of `folders` that holds it drawn from exactly `rows` with
    `options` (its files intact), or None."""
    found = _first_match(name, rows, options, folders)
    return found[1] if found is not None else None


def copy_drawn(
    name: str, rows: pd.DataFrame, options: Options, folders: Sequence[str | Path], out_dir: str | Path
) -> dict[str, Path] | None:
    """Copy into `out_dir` the files of figure `name` from the first of `folders` whose record matches the rows
    and options exactly; suffix -> copied path, or None when none matches (then the caller draws it)."""
    found = _first_match(name, rows, options, folders)
    if found is None:
        return None
    folder, record = found
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    copied = {}
    for file_name, digest in record["files"].items():
        target = Path(out_dir) / file_name
        copy_atomically(folder / file_name, target)
        if _sha256(target) != digest:  # changed while being copied: draw it instead
            return None
        copied[Path(file_name).suffix.lstrip(".")] = target
    return copied
