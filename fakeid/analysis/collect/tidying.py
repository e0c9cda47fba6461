"""Runs -> the tidy table (a row per run and test set), its hyper-parameter columns, and one dataset per kind."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from fakeid.analysis.collect.columns import (
    AUGMENT,
    AUGMENT_PREFIX,
    DATA_COLUMNS,
    INTERVAL_COLUMNS,
    KIND_COLUMNS,
    OPTIONAL_TEST_FIELDS,
    PERTURBATION_PREFIX,
    RUN_FIELDS,
    RUN_HPARAMS,
    SCORES_COLUMN,
    SOURCE_COLUMNS,
    TEST_FIELDS,
)
from fakeid.core.errors import FakeidError
from fakeid.data.augment import augment_label


def _perturbation_params(runs: Sequence[dict[str, Any]]) -> list[str]:
    params = (key for run in runs for key in (run.get("perturbation") or {}) if key != "name")
    return [f"{PERTURBATION_PREFIX}{key}" for key in dict.fromkeys(params)]


def _augment_params(runs: Sequence[dict[str, Any]]) -> list[str]:
    """The `augment.*` hparams any run records (none for runs without training augmentation)."""
    keys = (key for run in runs for key in (run.get("hparams") or {}) if key.startswith(AUGMENT_PREFIX))
    return list(dict.fromkeys(keys))


def tidy(runs: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """One row per run and test set (a failed run gets one row with empty test fields)."""
    swept = list(dict.fromkeys(key for run in runs for key in run["swept"]))
    hparam_columns = [*swept, *(key for key in RUN_HPARAMS if key not in swept)]
    hparam_columns += [key for key in (AUGMENT, *_augment_params(runs)) if key not in hparam_columns]
    params = _perturbation_params(runs)
    columns = [
        "sweep",
        "run_dir",
        "status",
        "error",
        *KIND_COLUMNS,
        *params,
        *hparam_columns,
        *SOURCE_COLUMNS,
        *DATA_COLUMNS,
        *RUN_FIELDS,
        SCORES_COLUMN,
        *TEST_FIELDS,
        *OPTIONAL_TEST_FIELDS,
    ]
    rows = []
    for run in runs:
        hparams = run.get("hparams") or {}
        perturbation = run.get("perturbation") or {}
        base = {
            "sweep": run["sweep"],
            "run_dir": run["run_dir"],
            "status": run["status"],
            "error": run.get("error"),
            "kind": run.get("kind", "train"),
            "level": run.get("level"),
            "perturbation": perturbation.get("name"),
        }
        base.update({column: perturbation.get(column[len(PERTURBATION_PREFIX) :]) for column in params})
        base.update({key: run["swept"].get(key, hparams.get(key)) for key in hparam_columns})
        base[AUGMENT] = augment_label(hparams)  # a label of the recorded values, whatever the choice was named
        base.update({key: run.get(key) for key in (*SOURCE_COLUMNS, *RUN_FIELDS, SCORES_COLUMN)})
        identity = run.get("data_identity") or {}
        base.update(data_root=identity.get("root"), data_fingerprint=identity.get("fingerprint"))
        entries = run.get("test") or [{}]
        for entry in entries:
            rows.append({**base, **{name: entry.get(name) for name in (*TEST_FIELDS, *OPTIONAL_TEST_FIELDS)}})
    return pd.DataFrame(rows, columns=columns)


def hparam_columns(columns: Iterable[str]) -> list[str]:
    """The columns of a tidy table that hold a run's hyper-parameters (grid keys and `RUN_HPARAMS`): all but
    the run's identity, status, kind, source, data identity, run fields, scores and test fields."""
    others = {
        "sweep",
        "run_dir",
        "status",
        "error",
        *KIND_COLUMNS,
        *SOURCE_COLUMNS,
        *DATA_COLUMNS,
        *RUN_FIELDS,
        SCORES_COLUMN,
        *TEST_FIELDS,
        *OPTIONAL_TEST_FIELDS,
        *INTERVAL_COLUMNS,
    }
    return [name for name in columns if name not in others and not str(name).startswith(PERTURBATION_PREFIX)]


def datasets(df: pd.DataFrame) -> pd.DataFrame:
    """The distinct data identities of the table's ok runs, per kind, with how many runs each has."""
    ok = df[df["status"] == "ok"].drop_duplicates(["sweep", "run_dir"])
    keys = ["kind", *DATA_COLUMNS]
    return ok.fillna({name: "(not recorded)" for name in DATA_COLUMNS}).groupby(keys).size().reset_index(name="runs")


def keep_dataset(df: pd.DataFrame, data_root: str | None = None) -> pd.DataFrame:
    """The table, refusing (one line) to pool runs of different datasets of one kind unless `data_root` (a
    root, or a root:fingerprint) says which to keep; runs of other datasets are then dropped and counted."""
    found = datasets(df)
    if data_root is not None:
        root, _, fingerprint = str(data_root).partition(":")
        keep = (df["data_root"] == root) & ((df["data_fingerprint"] == fingerprint) if fingerprint else True)
        kept = df[keep | (df["status"] != "ok")]
        dropped = df.loc[~df.index.isin(kept.index), ["sweep", "run_dir"]].drop_duplicates().shape[0]
        print(f"kept the runs of data.root={data_root}; left out {dropped} runs of other datasets", file=sys.stderr)
        return kept
    for kind, group in found.groupby("kind"):
        if len(group) > 1:
            listed = "; ".join(
                f"{row.data_root} (fingerprint {row.data_fingerprint}): {row.runs} runs" for row in group.itertuples()
            )
            raise FakeidError(
                f"the {kind} runs come from {len(group)} datasets ({listed}): one figure never pools "
                "them; pass data_root=ROOT (or ROOT:FINGERPRINT) to keep one"
            )
    return df
