"""Which rows of the collected table a figure or comparison reads, and the test-set groups it averages.

Groups of a run's test sets (`GROUPS`), from the `seen_generator` / `seen_category` flags of each row:
- *unseen content*: sets of the training generator whose category was not in the training mix;
- *unseen generator*: sets of any other generator;
- *seen*: sets of the training generator whose category was trained on.

Where a grid changes which sets fall in a group (Fig 1: a category is unseen content until it joins the mix),
an average over "the group" compares different test data at different levels. `constant_sets` gives the
sets that are in the group at every level: the series drawn first in Fig 1 and what `compare` compares.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd

from fakeid.core.errors import FakeidError

RUN_KEY = ["sweep", "run_dir"]
UNSEEN_CONTENT, UNSEEN_GENERATOR, SEEN = "unseen content", "unseen generator", "seen"
GROUPS: dict[str, Callable[[pd.DataFrame], pd.Series]] = {
    UNSEEN_CONTENT: lambda rows: rows["seen_generator"] & ~rows["seen_category"],
    UNSEEN_GENERATOR: lambda rows: ~rows["seen_generator"],
    SEEN: lambda rows: rows["seen_generator"] & rows["seen_category"],
}


def condition_label(seen_generator: bool, seen_category: bool) -> str:
    generator = "seen generator" if seen_generator else "unseen generator"
    content = "seen content" if seen_category else "unseen content"
    return f"{generator}, {content}"


def row_kinds(df: pd.DataFrame) -> pd.Series:
    """Each row's kind: "train" or "eval" (tables collected before evaluations existed are all training)."""
    if "kind" not in df.columns:
        return pd.Series("train", index=df.index)
    return df["kind"].fillna("train").astype(str)


def training_rows(df: pd.DataFrame) -> pd.DataFrame:
    """The rows of training runs (evaluation rows carry their source run's hparams and would be counted twice)."""
    return df[row_kinds(df) == "train"]


def sweeps_varying(df: pd.DataFrame, column: str) -> pd.DataFrame:
    """The rows of the sweeps in which `column` takes more than one value (all rows when none does)."""
    if "sweep" not in df.columns or column not in df.columns:
        return df
    varying = df.groupby("sweep")[column].nunique()
    chosen = varying[varying > 1].index
    return df[df["sweep"].isin(chosen)] if len(chosen) else df


def ok_test_rows(df: pd.DataFrame, figure: str, needed: Sequence[str], source: str) -> pd.DataFrame:
    """Rows of successful runs with a test set, after checking that `needed` columns exist."""
    required = [*RUN_KEY, "status", "set", "seen_generator", "seen_category", *needed]
    absent = [name for name in dict.fromkeys(required) if name not in df.columns]
    if absent:
        raise FakeidError(f"{figure} needs columns {', '.join(absent)}; {source} lacks them")
    rows = training_rows(df)
    rows = rows[(rows["status"] == "ok") & rows["set"].notna()].copy()
    if rows.empty:
        raise FakeidError(f"{figure} needs successful runs with test results; {source} has none")
    # a set without a generator or category level (a flat test/<generator>/{0_real,1_fake}) is neither seen nor
    # unseen content: left out of every seen/unseen aggregate and named in the caption
    unknown = rows["seen_generator"].isna() | rows["seen_category"].isna()
    unknown_sets = sorted(rows.loc[unknown, "set"].astype(str).unique())
    rows = rows[~unknown].copy()
    rows["seen_generator"] = rows["seen_generator"].astype(bool)
    rows["seen_category"] = rows["seen_category"].astype(bool)
    rows.attrs["unknown_sets"] = unknown_sets
    return rows


def constant_sets(rows: pd.DataFrame, in_group: pd.Series, by: str) -> list[str]:
    """The sets that every run of `rows` has and that are in the group (`in_group`, a mask of `rows`) at every
    value of `by`: the test data a comparison across `by` holds fixed."""
    runs = rows[RUN_KEY].drop_duplicates().shape[0]
    member = rows.assign(_in=in_group.to_numpy())
    per_set = member.groupby("set").agg(runs=("_in", "size"), inside=("_in", "all"))
    keep = per_set[(per_set["runs"] == runs) & per_set["inside"]].index
    return sorted(str(name) for name in keep)


def set_list_text(sets: Sequence[str], limit: int = 6) -> str:
    """`a; b; c` (with `... (N sets)` past `limit`): the `sets` column of a figure's CSV and its caption."""
    shown = list(sets)
    return "; ".join(shown) if len(shown) <= limit else "; ".join(shown[:limit]) + f"; ... ({len(shown)} sets)"
