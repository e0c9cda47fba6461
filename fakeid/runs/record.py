"""A run's structured result, `metrics.json` (schema in docs/metrics.md), and what identifies it.

The record is one dataclass, `RunRecord`, with one reader (`read_record`) and one writer (`write_record`), so
every command writes, and every command reads, the same keys. Written atomically (a temporary file, then a
rename) so a crash never leaves half a file, and written by global rank 0 only. A field the file does not hold
is `UNSET` and is not written back; keys this fakeid does not know are kept (`RunRecord.unknown`) and written
back after the known ones, so reading and writing a file of an older or newer fakeid loses nothing.
`schema_version` is 1, the first versioned record; a file without it is version 0 and reads the same.

Identity has two parts:
- the *configuration*: the keys that decide the result (not where or how fast a run goes, not library
  versions). Two configurations are the same experiment when every deciding key both hold has the same value,
  and every key only the new one holds is at its default (not set by an override): a key added to fakeid with
  a default that keeps the old behaviour does not make finished runs train again. `PROTOCOL_VERSION` is bumped
  when the code changes what a configuration means (e.g. how files are chosen), and is always compared.
  `config_hash` is a short digest of the deciding keys, for display and for evaluations. Keys recorded only
  when set (`RECORDED_WHEN_SET`, the training augmentation) differ whenever one side lacks them.
- the *data*: `data.root` and a fingerprint of the files the run reads (relative paths, sizes, mtimes of every
  class folder it uses); a job folder never holds results of two of them (see fakeid.runs.lifecycle).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from fakeid.core.atomic import write_json_atomically
from fakeid.core.cli import overridden_keys
from fakeid.core.errors import FakeidError
from fakeid.runs.files import METRICS_FILE

MAX_DEPTH = 3  # job folders sit 1 level down with the basic launcher, deeper with custom subdirs
SCHEMA_VERSION = 1  # 1: the first versioned record (the keys of version 0, plus schema_version)
STATUSES = ("ok", "failed", "interrupted")
# Keys that change where or how fast a run goes, not what it measures; and the library versions, which
# are recorded but not hashed, so that an upgrade does not make a finished sweep train again.
# data.root is the data identity's, checked with the fingerprint, not the configuration's.
NOT_PART_OF_THE_EXPERIMENT = (
    "paths",
    "logger",
    "callbacks",
    "launcher",
    "data.num_workers",
    "data.cache",
    "data.cache_dir",
    "data.eval_batch_size",
    "trainer.enable_progress_bar",
    "trainer.log_every_n_steps",
    "trainer.plugins",
    "version",
    "data.root",
    "experiment_name",
    "experiment",
    "keep_checkpoints",
    "model.channels_last",
    "data.max_pixels",  # a memory guard; what it skipped is counted in the run's data summary
)
PROTOCOL_VERSION = 2  # 2: validation reserved per category independently of n (the same size for every n)
PROTOCOL_KEY = "protocol.version"
# Keys recorded only when they change the experiment (the training augmentation, fakeid.data.augment): one
# present on one side only is a difference, since its absence means "none", not "a default nobody set".
RECORDED_WHEN_SET = ("augment.",)


def flat_hparams(cfg: DictConfig) -> dict[str, Any]:
    """The resolved config as flat dotted keys (`data.num_categories`), lists kept as lists."""
    flat: dict[str, Any] = {}

    def walk(node: Any, prefix: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if not str(key).startswith("_"):
                    walk(value, f"{prefix}{key}.")
        else:
            flat[prefix[:-1]] = node

    walk(OmegaConf.to_container(cfg, resolve=True), "")
    return flat


def deciding(hparams: dict[str, Any]) -> dict[str, Any]:
    """The keys of flat hparams that decide a result."""
    return {
        k: v
        for k, v in hparams.items()
        if not any(k == skip or k.startswith(skip + ".") for skip in NOT_PART_OF_THE_EXPERIMENT)
    }


def config_hash(hparams: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(deciding(hparams), sort_keys=True, default=str).encode()).hexdigest()[:16]


def config_differences(previous: dict[str, Any], current: dict[str, Any], overrides: list[str]) -> list[str]:
    """Why two runs are not the same experiment (empty when they are); see the module docstring."""
    before, now = deciding(previous), deciding(current)
    set_by_user = overridden_keys(overrides)
    differences = [
        f"{key}: {before[key]!r} -> {now[key]!r}"
        for key in sorted(before.keys() & now.keys())
        if before[key] != now[key]
    ]
    for key in sorted(now.keys() - before.keys()):
        # set by the user: an override of that key or of a dotted parent (`data=tiny` picks a config group's
        # file, whose new keys are at their defaults)
        explicit = key in set_by_user or any(key.startswith(k + ".") for k in set_by_user if "." in k)
        if key == PROTOCOL_KEY or explicit or key.startswith(RECORDED_WHEN_SET):
            differences.append(f"{key}: (absent) -> {now[key]!r}")
    for key in sorted(before.keys() - now.keys()):
        if key.startswith(RECORDED_WHEN_SET):
            differences.append(f"{key}: {before[key]!r} -> (absent)")
    return differences


def versions() -> dict[str, str]:
    import pytorch_lightning
    import timm
    import torch

    return {
        "version.python": platform.python_version(),
        "version.torch": torch.__version__,
        "version.timm": timm.__version__,
        "version.lightning": pytorch_lightning.__version__,
    }


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

    def __bool__(self) -> bool:
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
    data_identity: dict[str, str] | None | Unset = UNSET  # root and fingerprint
    data: dict[str, Any] | Unset = UNSET  # per split: counts, formats, skips; warnings
    resumed_from_step: int | Unset = UNSET  # the global step of the last.ckpt the run resumed from
    timing: dict[str, Any] | Unset = UNSET  # this attempt's training-step, fit and test seconds
    world_size: int | Unset = UNSET
    epochs_trained: int | Unset = UNSET
    tested_checkpoint: str | None | Unset = UNSET  # null: keep_checkpoints=none
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


def record_path(run_dir: str | Path) -> Path:
    """Where a run folder's record is."""
    return Path(run_dir) / METRICS_FILE


def read_record(where: str | Path, *, strict: bool = False) -> RunRecord | None:
    """The record of a run folder, or of a metrics.json given by its path. A missing, unreadable or corrupt file
    (a run killed before it wrote one, a disk error), or one that is not a JSON object, is None: the callers say
    what that means for them; `strict=True` raises the UnreadableRecord line instead."""
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
    return RunRecord.from_dict(payload)


def write_record(run_dir: str | Path, record: RunRecord) -> None:
    """`run_dir`'s metrics.json, atomically (fakeid.core.atomic: a full disk is DiskFull, the old file intact)."""
    write_json_atomically(record_path(run_dir), record.to_dict())
