"""Reading a run's per-image scores (`scores.csv` of fakeid.evaluation.scored_sets; columns in docs/metrics.md).

`read_scores` is the one reader: collect, compare, calibration and the report's gallery all read through it, so
a file that cannot be trusted never reaches a statistic. A scores.csv is exchanged with its run folder and can
be truncated, edited or replaced; the checks, each a `CorruptScores` line naming the file:

- the bytes match the `scores_sha256` its run's metrics.json (beside it) records, when it records one (a
  version-2 ok run always does);
- the header holds `SCORES_COLUMNS`, there is at least one row, and the last row ends (the writer ends each);
- every label is `0` or `1` (an empty label is not a number pandas may cast), every score a finite number in
  [0, 1] (a truncated last row has none);
- no path twice within a set;
- per set, as many reals and fakes as the record's `n_real` and `n_fake`, and the same sets (a file cut at a set
  boundary loses whole sets).
"""

from __future__ import annotations

import csv
import io
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from fakeid.core.errors import FakeidError
from fakeid.core.names import inside
from fakeid.runs.files import SCORES_COLUMNS, SCORES_FILE
from fakeid.runs.record import RunRecord, given, read_record, scores_digest

LABELS = ("0", "1")  # as the writer writes them: 0 real, 1 fake


@dataclass(frozen=True)
class SetScores:
    """One test set's images sorted by path (the order two runs on the same images share)."""

    paths: tuple[str, ...]
    labels: np.ndarray  # 0 real, 1 fake
    scores: np.ndarray  # probability of fake


class CorruptScores(FakeidError):
    """A scores.csv that fails a check of the module docstring; `reason` is the line without the file's name."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path, self.reason = path, reason
        super().__init__(f"{path}: {reason}")


def scores_file(sweep: str, run_dir: str, recorded: object = None, source: str = "the results table") -> Path:
    """Where a run's scores.csv is: the collector's `scores_file` column when it has one, else
    `<sweep>/<run_dir>/scores.csv` (a relative sweep is relative to the working directory). A results table can
    be edited by anyone, so a row names no other file (one line naming `source` and the column otherwise):
    `run_dir` stays inside its sweep folder, and `scores_file` is that run folder's scores.csv as collect
    recorded it (absolute, so the table finds its scores from another working directory too): no `..` part, and
    it ends in `<sweep>/<run_dir>/scores.csv` as written (a relative sweep's leading `..` aside) or is that file."""
    folder = inside(str(sweep), run_dir, f"{source}: run_dir of sweep {sweep}")
    if not (isinstance(recorded, str) and recorded):
        return folder / SCORES_FILE
    path = Path(recorded)
    written = Path(os.path.normpath(folder / SCORES_FILE)).parts
    tail = written[next((i for i, part in enumerate(written) if part != ".."), len(written)) :]
    if (
        path.is_absolute()
        and ".." not in path.parts
        and (path.parts[len(path.parts) - len(tail) :] == tail or path.resolve() == (folder / SCORES_FILE).resolve())
    ):
        return path
    raise FakeidError(
        f"{source}: scores_file {recorded!r} is not the {SCORES_FILE} of run_dir {run_dir} of sweep {sweep} "
        f"(expected an absolute path ending in {Path(*tail)}, without '..')"
    )


def _first(mask: pd.Series, frame: pd.DataFrame, column: str) -> str:
    """`line N (value 'x')` of the first row `mask` marks (the header is line 1)."""
    index = mask.to_numpy().nonzero()[0][0]
    return f"line {index + 2} ({column} {frame[column].iloc[index]!r})"


def _parse(path: Path, data: bytes) -> pd.DataFrame:
    """The rows with `label` and `score` as numbers, every check that needs no record done."""
    try:  # the stdlib reader: every field as the text the file holds, nothing guessed or cast yet
        rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    except (UnicodeDecodeError, csv.Error) as err:
        raise CorruptScores(path, f"not a CSV table of text ({type(err).__name__})") from None
    if not rows:
        raise CorruptScores(path, "empty (expected the header " + ",".join(SCORES_COLUMNS) + " and a row per image)")
    header, rows = rows[0], rows[1:]
    absent = [name for name in SCORES_COLUMNS if name not in header]
    if absent:
        raise CorruptScores(path, f"expected columns {', '.join(SCORES_COLUMNS)}; lacks {', '.join(absent)}")
    if not rows:
        raise CorruptScores(path, "holds the header only (expected a row per image)")
    if not data.endswith(b"\n"):  # the writer ends every row: a file that stops mid-row was cut short
        raise CorruptScores(path, f"truncated: line {len(rows) + 1} has no line end (the file was cut short)")
    ragged = next((index for index, row in enumerate(rows) if len(row) != len(header)), None)
    if ragged is not None:
        raise CorruptScores(path, f"line {ragged + 2} has {len(rows[ragged])} fields; the header has {len(header)}")
    frame = pd.DataFrame(rows, columns=header)
    bad_label = ~frame["label"].isin(LABELS)
    if bad_label.any():
        raise CorruptScores(path, f"{_first(bad_label, frame, 'label')}: expected a label 0 (real) or 1 (fake)")
    score = pd.to_numeric(frame["score"], errors="coerce").astype(np.float64)
    bad_score = ~(np.isfinite(score) & (score >= 0.0) & (score <= 1.0))
    if bad_score.any():
        raise CorruptScores(path, f"{_first(bad_score, frame, 'score')}: expected a probability, a number in [0, 1]")
    twice = frame.duplicated(["set", "path"])
    if twice.any():
        row = frame[twice].iloc[0]
        raise CorruptScores(path, f"{_first(twice, frame, 'path')}: path listed twice in set {row['set']!r}")
    return frame.assign(label=frame["label"].astype(np.int64), score=score)


def _check_against(path: Path, digest: str, counts: pd.DataFrame, record: RunRecord) -> None:
    """The digest and the per-set counts (`_counts`) the run's record holds."""
    recorded = given(record.scores_sha256)
    if recorded is not None and recorded != digest:
        raise CorruptScores(path, "differs from the scores_sha256 its metrics.json records (changed since the run)")
    if recorded is None and record.schema_version >= 2 and given(record.status) == "ok":
        raise CorruptScores(path, "its metrics.json (schema_version 2 or later) records no scores_sha256")
    entries = given(record.test) if given(record.status) == "ok" else None
    if not isinstance(entries, list) or not entries:
        return
    expected = {str(entry.get("set")): entry for entry in entries if isinstance(entry, dict)}
    for name in sorted(set(counts.index) ^ set(expected)):
        where = "metrics.json lists" if name in expected else "metrics.json does not list"
        raise CorruptScores(path, f"set {name!r}: {where} it, scores.csv {'lacks' if name in expected else 'has'} it")
    for name, entry in expected.items():
        found = (int(counts.loc[name, "n_real"]), int(counts.loc[name, "n_fake"]))
        if found != (entry.get("n_real"), entry.get("n_fake")):
            raise CorruptScores(
                path,
                f"set {name!r} has {found[0]} real and {found[1]} fake rows; its metrics.json records "
                f"n_real {entry.get('n_real')} and n_fake {entry.get('n_fake')}",
            )


def _counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Per set, its reals and fakes (`n_real`, `n_fake`), as the record counts them."""
    return frame.groupby("set")["label"].agg(n_real=lambda x: int((x == 0).sum()), n_fake="sum")


@dataclass(frozen=True)
class _Parsed:
    """What a scores.csv's bytes give, whatever its record says: checked against the record on every read."""

    digest: str
    counts: pd.DataFrame
    sets: dict[str, SetScores]


MEMO_BYTES = 256 * 2**20  # a demo's 36 scores.csv hold 4 MB; a paper-shaped run's 15 sets of 4K images 4.3 MB


class ScoresMemo:
    """The scores.csv files this process has parsed, kept for its next reads of the same bytes: one figures or
    report process compares the same sweep several times (each figure's marks, compare.md, the report's sections)
    and parsed each run's scores again for each (168 parses of 36 files in one report, BENCHMARKS.md).

    Every read still reads the file (a demo's are ~110 KB each: well under a millisecond); the key is the path
    and the sha256 of the bytes read, so a changed file is never served stale, even one rewritten in place
    within the file system's timestamp granularity at the same size (which a key of path, inode, size and mtime
    would miss). The parse is what is skipped (the CSV, the checks of the rows, the per-set sort). The checks
    against the run's metrics.json run on every read, so an edited record is seen. Bounded by the files' bytes
    (`budget`), after which nothing is added (no eviction: what is kept stays valid). A file that fails a check
    keeps nothing; every hit is a copy of the arrays, so a caller that writes into one never changes the kept one
    (`fakeid.data.datasets.DecodedMemo` is its twin for decoded images)."""

    def __init__(self, budget: int = MEMO_BYTES) -> None:
        self.budget, self.held = budget, 0
        self.parsed: dict[tuple[str, str], _Parsed] = {}
        self.hits = 0  # reads served from the memo (tests and profiles)

    def parse(self, path: Path) -> _Parsed:
        try:
            data = path.read_bytes()
        except OSError as err:
            raise CorruptScores(path, f"unreadable scores.csv ({type(err).__name__}: {err.strerror})") from None
        key = (os.path.abspath(path), scores_digest(data))
        kept = self.parsed.get(key)
        if kept is not None:
            self.hits += 1
            return kept
        frame = _parse(path, data)
        sets = {}
        for name, rows in frame.groupby("set", sort=True):
            rows = rows.sort_values("path", kind="stable")
            # every run is scored on the same test images: one string per path for all the runs kept (each
            # run's own copies were 4.8 MiB a run of the paper's shape, 15 sets of 4K images; BENCHMARKS.md)
            paths = tuple(map(sys.intern, rows["path"]))
            sets[str(name)] = SetScores(paths, rows["label"].to_numpy(), rows["score"].to_numpy())
        parsed = _Parsed(key[1], _counts(frame), sets)
        if self.held + len(data) <= self.budget:
            self.parsed[key] = parsed
            self.held += len(data)
        return parsed

    def clear(self) -> None:
        self.parsed.clear()
        self.held = self.hits = 0


MEMO = ScoresMemo()


def read_scores(path: str | Path, record: RunRecord | None = None) -> dict[str, SetScores]:
    """set name -> its SetScores, every check of the module docstring passed (else CorruptScores). `record`
    defaults to the metrics.json beside the file (none there: the checks that need it are skipped). A file this
    process parsed before and that has not changed since is not parsed again (`ScoresMemo`)."""
    path = Path(path)
    parsed = MEMO.parse(path)
    record = record if record is not None else read_record(path.parent)
    if record is not None:
        _check_against(path, parsed.digest, parsed.counts, record)
    return {name: SetScores(data.paths, data.labels.copy(), data.scores.copy()) for name, data in parsed.sets.items()}
