"""A run's structured result, `metrics.json` (schema in docs/metrics.md); its one reader and one writer.

The record is one dataclass, `RunRecord`, with one reader (`read_record`) and one writer (`write_record`), so
every command writes, and every command reads, the same keys. Written atomically (a temporary file, then a
rename) so a crash never leaves half a file, and written by global rank 0 only. A field the file does not hold
is `UNSET` and is not written back; keys this fakeid does not know are kept (`RunRecord.unknown`) and written
back after the known ones, so reading and writing a file of an older fakeid loses nothing. A file of a newer
fakeid (a `schema_version` above `SCHEMA_VERSION`) is refused in one line by the reader: its keys may mean what
this fakeid cannot know, so no command acts on it as if they did. A file without `schema_version` is version 0
and reads as version 1 does; version 2 adds `scores_sha256`.

What identifies a run (its configuration and data) is fakeid.runs.identity.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, overload

from fakeid.core.atomic import write_json_atomically
from fakeid.core.errors import FakeidError
from fakeid.runs.files import METRICS_FILE

MAX_DEPTH = 3  # job folders sit 1 level down with the basic launcher, deeper with custom subdirs
# 1: the first versioned record (the keys of version 0, plus schema_version); 2: scores_sha256, the digest of the
# run's scores.csv, which every ok run of version 2 that wrote scores.csv holds (fakeid.analysis.scores checks it)
SCHEMA_VERSION = 2
STATUSES = ("ok", "failed", "interrupted")


def find_metrics_files(sweep_dir: str | Path, max_depth: int = MAX_DEPTH) -> list[Path]:
    """`metrics.json` files at most `max_depth` folders below `sweep_dir`, sorted."""
    sweep_dir = Path(sweep_dir)
    found: list[Path] = []
    for folder, subfolders, files in os.walk(sweep_dir):
        depth = len(Path(folder).relative_to(sweep_dir).parts)
        if depth >= max_depth:
            subfolders[:] = []  # do not descend further
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]  # .hydra, .submitit
        if METRICS_FILE in files:
            found.append(Path(folder) / METRICS_FILE)
    return sorted(found)


# ----------------------------------------------------------------------------- the record
class Unset:
    """The value of a key a record does not hold: absent from the file it was read from, or not set yet. It is
    never written, and it is falsy, so `record.data or {}` reads an absent key as an empty one."""

    _the: Unset | None = None

    def __new__(cls) -> Unset:
        if cls._the is None:
            cls._the = super().__new__(cls)
        return cls._the

    def __bool__(self) -> Literal[False]:  # Literal: the type checker reads `value or default` as never UNSET
        return False

    def __repr__(self) -> str:
        return "UNSET"

    def __reduce__(self) -> str:
        return "UNSET"  # pickled by name (joblib's worker processes): still the one UNSET


UNSET = Unset()


def given(value: Any, default: Any = None) -> Any:
    """`value`, or `default` where the record does not hold that key (what `dict.get(key, default)` gave)."""
    return default if value is UNSET else value


@dataclass
class RunRecord:
    """`metrics.json`: one field per key of docs/metrics.md, in the order they are written.

    The defaults are a new run's record before its body runs: failed until the body says otherwise. A record
    read from a file holds exactly that file's keys: the others are `UNSET`, and stay out of it when written."""

    schema_version: int = SCHEMA_VERSION  # 0: a file written before the record was versioned
    status: str | Unset = "failed"  # one of STATUSES
    error: str | None | Unset = None  # the failure in one line; the traceback is in error.log
    kind: str | Unset = UNSET  # "eval" for an evaluation; a training run has none (read as "train")
    source: dict[str, Any] | Unset = UNSET  # an evaluation's detector: run, ckpt, config_hash
    perturbation: dict[str, Any] | None | Unset = UNSET  # an evaluation's perturbation: name and parameters
    hparams: dict[str, Any] | Unset = field(default_factory=dict)  # flat dotted keys
    overrides: list[str] | Unset = field(default_factory=list)  # the command line's
    config_hash: str | None | Unset = None
    threshold: float | None | Unset = None  # validation-calibrated (an evaluation: the source run's or given)
    wall_time_s: float | None | Unset = None
    test: list[dict[str, Any]] | Unset = field(default_factory=list)  # one entry per test set
    scores_sha256: str | Unset = UNSET  # sha256 of the run's scores.csv as written (version 2)
    data_identity: dict[str, str] | None | Unset = UNSET  # root and fingerprint
    data: dict[str, Any] | Unset = UNSET  # per split: counts, formats, skips; warnings
    resumed_from_step: int | Unset = UNSET  # the global step of the last.ckpt the run resumed from
    timing: dict[str, Any] | Unset = UNSET  # this attempt's training-step, fit and test seconds
    world_size: int | Unset = UNSET
    epochs_trained: int | Unset = UNSET
    tested_checkpoint: str | None | Unset = UNSET  # null: keep_checkpoints=none
    trackers: dict[str, Any] | Unset = UNSET  # logger=mlflow|wandb: tracker -> where, experiment, run id
    error_log: str | Unset = UNSET  # present when error.log could not be written: why
    unknown: dict[str, Any] = field(default_factory=dict, repr=False)  # a file's keys this fakeid does not know

    @classmethod
    def from_dict(cls, payload: dict[str, Any]) -> RunRecord:
        """The record of a parsed metrics.json (or of the part of one that run_state.json holds)."""
        return cls(
            schema_version=payload.get("schema_version", 0),
            **{name: payload.get(name, UNSET) for name in RECORD_KEYS},
            unknown={key: value for key, value in payload.items() if key not in (*RECORD_KEYS, "schema_version")},
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON object written: `schema_version` (none for version 0), the keys held in field order, then
        the unknown ones in the order the file had them."""
        payload: dict[str, Any] = {} if self.schema_version == 0 else {"schema_version": self.schema_version}
        payload.update({name: getattr(self, name) for name in RECORD_KEYS if getattr(self, name) is not UNSET})
        payload.update(self.unknown)
        return payload

    def replace_with(self, other: RunRecord) -> None:
        """Hold `other`'s keys in place of its own: for a record already handed to fakeid.runs.lifecycle.recorded."""
        for each in dataclasses.fields(self):
            setattr(self, each.name, getattr(other, each.name))


# the keys of metrics.json a record holds as fields, in the order they are written (after schema_version)
RECORD_KEYS = tuple(
    each.name for each in dataclasses.fields(RunRecord) if each.name not in ("schema_version", "unknown")
)


class UnreadableRecord(FakeidError):
    """A metrics.json that cannot be read, is not JSON, or is not a JSON object (`read_record(strict=True)`)."""

    def __init__(self, path: Path, cause: Exception | None) -> None:
        self.path, self.cause = path, cause
        super().__init__(
            f"{path}: unreadable {METRICS_FILE} ({cause})"
            if cause is not None
            else f"{path}: expected a JSON object with status {', '.join(map(repr, STATUSES))}"
        )


def scores_digest(data: bytes) -> str:
    """`scores_sha256`: the sha256 of a scores.csv's bytes (its writer and its reader both call this)."""
    return hashlib.sha256(data).hexdigest()


class NewerRecord(FakeidError):
    """A metrics.json written by a newer fakeid (`schema_version` above `SCHEMA_VERSION`): refused by every reader."""

    def __init__(self, path: Path, version: object) -> None:
        self.path, self.version = path, version
        super().__init__(
            f"{path}: written by a newer fakeid (schema_version {version}; this fakeid reads up to {SCHEMA_VERSION})"
        )


def check_version(path: Path, payload: dict[str, Any]) -> None:
    """A record's `schema_version` is a whole number this fakeid reads (NewerRecord, or a one-line error)."""
    version = payload.get("schema_version", 0)
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        raise FakeidError(f"{path}: schema_version {version!r}: expected a whole number from 0 to {SCHEMA_VERSION}")
    if version > SCHEMA_VERSION:
        raise NewerRecord(path, version)


def record_path(run_dir: str | Path) -> Path:
    """Where a run folder's record is."""
    return Path(run_dir) / METRICS_FILE


@overload
def read_record(where: str | Path, *, strict: Literal[True]) -> RunRecord: ...
@overload
def read_record(where: str | Path, *, strict: bool = False) -> RunRecord | None: ...
def read_record(where: str | Path, *, strict: bool = False) -> RunRecord | None:
    """The record of a run folder, or of a metrics.json given by its path. A missing, unreadable or corrupt file
    (a run killed before it wrote one, a disk error), or one that is not a JSON object, is None: the callers say
    what that means for them; `strict=True` raises the UnreadableRecord line instead. A record of a newer fakeid
    is refused either way (NewerRecord): read as missing, a command would write over it."""
    path = record_path(where) if Path(where).is_dir() else Path(where)
    try:
        payload = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        if strict:
            raise UnreadableRecord(path, err) from None
        return None
    if not isinstance(payload, dict):
        if strict:
            raise UnreadableRecord(path, None)
        return None
    check_version(path, payload)
    return RunRecord.from_dict(payload)


def write_record(run_dir: str | Path, record: RunRecord) -> None:
    """`run_dir`'s metrics.json, atomically (fakeid.core.atomic: a full disk is DiskFull, the old file intact)."""
    write_json_atomically(record_path(run_dir), record.to_dict())
