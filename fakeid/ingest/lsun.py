"""`source=lsun`: N real images per category from LSUN's LMDB databases, stored bytes unchanged.

LSUN ships one LMDB database per category: scenes as `<category>_train_lmdb/` (and `_val_lmdb/`), objects as
`<category>/`; each holds `data.mdb`, keys are image ids and values the encoded image. Each value's format is
read from its bytes (LSUN's own export tool names every file `.webp` whatever it holds), and the value is
written unchanged as `out/<category>/0_real/<key><ext>`, with `out/manifest.csv` (category, key, file,
sha256, format, width, height). The N keys of a category are the first N of a seeded shuffle of its keys;
a value that is not an image Pillow can read is skipped, counted, and replaced by the next key.
"""

from __future__ import annotations

import hashlib
import io
import random
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from fakeid.core.atomic import remove_partials, write_bytes_atomically
from fakeid.core.errors import FakeidError
from fakeid.data.formats import FORMAT_SUFFIX, sniff_format
from fakeid.data.layout import REAL_DIR
from fakeid.ingest.manifest import ManifestRow, check_out, mark_out, refuse_out_inside, write_manifest

LMDB_DATA = "data.mdb"
SAFE_KEY = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*")
INSTALL_HINT = "source=lsun needs the lmdb package: pip install -e '.[data]'"


@dataclass(frozen=True)
class Database:
    category: str
    path: Path


@dataclass
class CategoryResult:
    category: str
    keys: list[bytes] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (key, why)
    written: int = 0
    present: int = 0


def category_of(folder_name: str) -> str:
    for suffix in ("_train_lmdb", "_val_lmdb", "_lmdb"):
        if folder_name.endswith(suffix):
            return folder_name[: -len(suffix)]
    return folder_name


def find_databases(src: Path) -> tuple[list[Database], list[Path]]:
    """The databases under `src` (or `src` itself), one per category, and the ones ignored (`_val_lmdb`
    beside a `_train_lmdb` of the same category)."""
    if not src.is_dir():
        raise FakeidError(f"src={src} does not exist: expected an LSUN LMDB folder (with data.mdb) or a folder of them")
    if (src / LMDB_DATA).is_file():
        return [Database(category_of(src.name), src)], []
    folders = sorted(p for p in src.iterdir() if p.is_dir() and (p / LMDB_DATA).is_file())
    if not folders:
        raise FakeidError(
            f"src={src} is not an LMDB database and holds none: expected {LMDB_DATA} in src, "
            "src/<category>_train_lmdb/ or src/<category>/"
        )
    chosen: dict[str, Path] = {}
    ignored = []
    for folder in sorted(folders, key=lambda p: not p.name.endswith("_train_lmdb")):
        category = category_of(folder.name)
        if category in chosen:
            ignored.append(folder)
        else:
            chosen[category] = folder
    return [Database(c, p) for c, p in sorted(chosen.items())], ignored


def select_categories(databases: list[Database], categories: Sequence[str] | None) -> list[Database]:
    if not categories:
        return databases
    by_name = {db.category: db for db in databases}
    unknown = [c for c in categories if c not in by_name]
    if unknown:
        raise FakeidError(
            f"categories: no database for {', '.join(unknown)} under src (present: {', '.join(sorted(by_name))})"
        )
    return [by_name[c] for c in dict.fromkeys(categories)]


@contextmanager
def opened(database: Database) -> Iterator:
    try:
        import lmdb
    except ImportError:
        raise FakeidError(INSTALL_HINT) from None
    try:
        env = lmdb.open(str(database.path), readonly=True, lock=False, readahead=False, max_readers=4)
    except lmdb.Error as err:
        raise FakeidError(f"{database.path} is not an LMDB database ({str(err).splitlines()[0]})") from None
    try:
        yield env
    finally:
        env.close()


def file_name(key: bytes) -> str:
    """The key itself when it is a safe file name (LSUN's are hex ids), else its hex spelling."""
    try:
        text = key.decode("ascii")
    except UnicodeDecodeError:
        return key.hex()
    return text if SAFE_KEY.fullmatch(text) and len(text) <= 200 else key.hex()


def image_facts(value: bytes) -> tuple[str, int, int] | str:
    """(format, width, height) read from the bytes, or why the value is not usable."""
    found = sniff_format(value[:16])
    if found is None:
        return "not a JPEG, PNG, WebP, BMP or TIFF image"
    try:
        with Image.open(io.BytesIO(value)) as image:
            return found, image.width, image.height
    except Exception as err:  # noqa: BLE001 - any Pillow failure means the value is not usable
        return f"unreadable {found}: {type(err).__name__}"


def choose_keys(env, database: Database, per_category: int, seed: int) -> CategoryResult:
    """The first `per_category` usable keys of the seeded order (see the module docstring)."""
    result = CategoryResult(database.category)
    with env.begin() as txn:
        keys = sorted(txn.cursor().iternext(keys=True, values=False))
        random.Random(f"lsun:{seed}:{database.category}").shuffle(keys)
        for key in keys:
            if len(result.keys) == per_category:
                break
            facts = image_facts(txn.get(key))
            if isinstance(facts, str):
                result.skipped.append((file_name(key), facts))
            else:
                result.keys.append(key)
    if len(result.keys) < per_category:
        raise FakeidError(
            f"{database.path} holds {len(result.keys)} usable images, fewer than "
            f"per_category={per_category} ({len(result.skipped)} values skipped as not images)"
        )
    return result


def write_category(env, out: Path, result: CategoryResult) -> list[ManifestRow]:
    rows = []
    with env.begin() as txn:
        for key in result.keys:
            value = txn.get(key)
            facts = image_facts(value)
            if isinstance(facts, str):  # choose_keys kept images only: the database changed since
                raise FakeidError(f"{result.category}: the value of key {file_name(key)} is now {facts}")
            form, width, height = facts
            relative = Path(result.category) / REAL_DIR / f"{file_name(key)}{FORMAT_SUFFIX[form]}"
            target = out / relative
            if target.is_file() and target.stat().st_size == len(value):
                result.present += 1
            else:
                write_bytes_atomically(target, value)
                result.written += 1
            rows.append(
                ManifestRow(
                    result.category,
                    file_name(key),
                    relative.as_posix(),
                    hashlib.sha256(value).hexdigest(),
                    form,
                    width,
                    height,
                )
            )
    return rows


def entries(env) -> int:
    return int(env.stat()["entries"])


def prepare_lsun(src: Path, out: Path, per_category: int, seed: int, categories: Sequence[str] | None) -> str:
    """Validate everything, then write; returns the report to print."""
    if per_category < 1:
        raise FakeidError(f"per_category={per_category}: expected a positive number of images per category")
    refuse_out_inside(out, {"src": src})
    databases, ignored = find_databases(src)
    chosen = select_categories(databases, categories)
    arguments = {
        "src": str(src.resolve()),
        "per_category": per_category,
        "seed": seed,
        "categories": [db.category for db in chosen],
    }
    check_out(out, "lsun", arguments)
    results = []
    for database in chosen:
        with opened(database) as env:
            if entries(env) < per_category:
                raise FakeidError(
                    f"{database.path} holds {entries(env)} images, fewer than per_category={per_category}"
                )
            results.append(choose_keys(env, database, per_category, seed))
    mark_out(out, "lsun", arguments)
    removed = remove_partials(out)
    rows = []
    for database, result in zip(chosen, results, strict=True):
        with opened(database) as env:
            rows += write_category(env, out, result)
    manifest_changed = write_manifest(out, rows)
    return lsun_report(out, results, ignored, removed, manifest_changed)


def lsun_report(out: Path, results: list[CategoryResult], ignored: list[Path], removed: int, manifest: bool) -> str:
    lines = [
        f"{r.category}: {len(r.keys)} images ({r.written} written, {r.present} already there"
        + (f", {len(r.skipped)} values skipped as not images" if r.skipped else "")
        + ")"
        for r in results
    ]
    lines += [f"ignored {p} (a {category_of(p.name)}_train_lmdb database is used)" for p in ignored]
    if removed:
        lines.append(f"removed {removed} partial files an interrupted run left")
    written = sum(r.written for r in results)
    lines.append(f"{'wrote' if written or manifest else 'nothing new in'} {out} (manifest: {out / 'manifest.csv'})")
    return "\n".join(lines)
