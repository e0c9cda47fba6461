"""Which variable a table compares, its levels and baseline, and the runs paired by seed at each level."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from fakeid.analysis.collect import hparam_columns
from fakeid.analysis.compare.comparison import SEED, _key, level_text
from fakeid.analysis.rows import RUN_KEY, sweeps_varying
from fakeid.core.errors import FakeidError


def determined_by(rows: pd.DataFrame, variable: str, other: str) -> bool:
    """Whether each level of `variable` has one value of `other` (a parameter of the level, such as the
    `augment.blur_prob` of `augment=blur_jpeg 0.1`): such a column varies with the variable, not across pairs."""
    values = rows[[variable, other]].astype(str)
    return bool((values.groupby(variable)[other].nunique() <= 1).all())


def detect_variable(rows: pd.DataFrame, variable: str | None, source: str) -> tuple[str, pd.DataFrame]:
    """The variable to compare and the rows that vary it: `variable` (rows restricted to the sweeps that vary
    it), else the one hyper-parameter column that takes more than one value. Columns that only restate the
    variable's level (each level has one value of them) do not count as a second variable; of several columns
    that restate each other, the one without a dot is taken (`augment`, not `augment.blur_prob`)."""
    if variable is not None:
        if variable not in rows.columns:
            raise FakeidError(f"variable={variable}: {source} has no such column")
        rows = sweeps_varying(rows, variable)
    candidates = [name for name in hparam_columns(rows.columns) if name != SEED]
    varying = [name for name in candidates if rows[name].dropna().astype(str).nunique() > 1]
    if variable is None:
        if not varying:
            raise FakeidError(f"compare needs a table that varies a hyper-parameter; {source} has one level of each")
        explaining = [
            name for name in varying if all(determined_by(rows, name, other) for other in varying if other != name)
        ]
        if not explaining:
            raise FakeidError(
                f"{source} varies {', '.join(varying)}: pass variable=NAME to say which to compare "
                "(the others must be fixed: collect one sweep)"
            )
        return sorted(explaining, key=lambda name: ("." in name, name))[0], rows
    others = [name for name in varying if name != variable and not determined_by(rows, variable, name)]
    if others:
        raise FakeidError(
            f"variable={variable}: {source} also varies {', '.join(others)}, so runs would be paired across "
            "them; compare one sweep (collect it alone)"
        )
    return variable, rows


def match_level(levels: Sequence[Any], wanted: Any, variable: str, source: str) -> Any:
    """The level equal to `wanted` (numbers compare as numbers: 1 == 1.0), else one line listing the levels."""
    for level in levels:
        try:
            if math.isclose(float(level), float(wanted), rel_tol=0, abs_tol=1e-9):
                return level
        except (TypeError, ValueError):
            if str(level) == str(wanted):
                return level
    listed = ", ".join(level_text(level) for level in levels)
    raise FakeidError(f"baseline={wanted}: {source} has no runs with {variable}={wanted} (levels: {listed})")


def sorted_levels(values: pd.Series) -> list[Any]:
    unique = list(pd.unique(values.dropna()))
    try:
        return sorted(unique, key=float)
    except (TypeError, ValueError):
        return sorted(unique, key=str)


def _run_table(rows: pd.DataFrame, variable: str, source: str) -> pd.DataFrame:
    """One row per run: its level, seed, threshold and scores file; refuses two runs at one (level, seed)."""
    if SEED not in rows.columns or rows[SEED].isna().any():
        raise FakeidError(f"mismatched pairing: {source} has runs without a `seed`; runs are paired by seed")
    extra = [name for name in ("threshold", "scores_file") if name in rows.columns]
    runs = rows.groupby(RUN_KEY, sort=True)[[variable, SEED, *extra]].first().reset_index()
    runs["level_key"] = runs[variable].map(_key)
    duplicated = runs[runs.duplicated(["level_key", SEED], keep=False)]
    if not duplicated.empty:
        first = duplicated.iloc[0]
        same = duplicated[(duplicated["level_key"] == first["level_key"]) & (duplicated[SEED] == first[SEED])]
        dirs = ", ".join(f"{row.sweep}/{row.run_dir}" for row in same.itertuples())
        raise FakeidError(
            f"mismatched pairing: {variable}={level_text(first[variable])} seed={first[SEED]} has {len(same)} runs "
            f"({dirs}); each level needs one run per seed (collect one sweep)"
        )
    return runs
