"""Reading a run's per-image scores (`scores.csv` of fakeid.evaluation.scored_sets; columns in docs/metrics.md)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from fakeid.core.errors import FakeidError
from fakeid.runs.files import SCORES_COLUMNS, SCORES_FILE


@dataclass(frozen=True)
class SetScores:
    """One test set's images sorted by path (the order two runs on the same images share)."""

    paths: tuple[str, ...]
    labels: np.ndarray  # 0 real, 1 fake
    scores: np.ndarray  # probability of fake


def scores_file(sweep: str, run_dir: str, recorded: object = None) -> Path:
    """Where a run's scores.csv is: the collector's `scores_file` column when it has one, else
    `<sweep>/<run_dir>/scores.csv` (a relative sweep is relative to the working directory)."""
    if isinstance(recorded, str) and recorded:
        return Path(recorded)
    return Path(str(sweep)) / str(run_dir) / SCORES_FILE


def read_scores(path: str | Path) -> dict[str, SetScores]:
    """set name -> its SetScores; a file without the expected columns is one line naming it."""
    path = Path(path)
    try:
        frame = pd.read_csv(path, dtype={"set": str, "path": str})
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise FakeidError(f"{path}: unreadable scores.csv ({type(err).__name__})") from None
    absent = [name for name in SCORES_COLUMNS if name not in frame.columns]
    if absent:
        raise FakeidError(f"{path}: expected columns {', '.join(SCORES_COLUMNS)}; lacks {', '.join(absent)}")
    result = {}
    for name, rows in frame.groupby("set", sort=True):
        rows = rows.sort_values("path", kind="stable")
        result[str(name)] = SetScores(
            tuple(rows["path"]), rows["label"].to_numpy(dtype=np.int64), rows["score"].to_numpy(dtype=np.float64)
        )
    return result
