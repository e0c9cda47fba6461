"""The report's "Published detectors" section (docs/published.md): each evaluated run that `fakeid.published`
made, what it is (source, weights sha256, the peer's preprocessing, its 0.5 threshold), and every detector of
the report, published or trained, side by side: mean accuracy and AP over the test sets at each level.

A published run is known by its own record (`published.source` in the source run's metrics.json), read here
rather than carried through results.csv, so the table of results keeps its columns.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from fakeid.reporting.html import definition_list, esc, table
from fakeid.runs.record import read_record

FACTS = ("published.source", "published.weights_sha256", "published.resize", "published.crop", "published.input_size")


def published_runs(df: pd.DataFrame) -> dict[str, dict]:
    """source run folder -> its `published.*` hparams, for the rows' source runs that fakeid.published made."""
    found: dict[str, dict] = {}
    for run in df.get("source_run", pd.Series(dtype=object)).dropna().unique():
        record = read_record(Path(str(run)))
        hparams = (record.hparams if record is not None else None) or {}
        if isinstance(hparams, dict) and hparams.get("published.source"):
            found[str(run)] = {key: value for key, value in hparams.items() if key.startswith("published.")}
    return found


def shown(value: object) -> object:
    return "none" if value is None else value


def published_section(df: pd.DataFrame) -> str:
    """The section's markup; a sentence when no published detector was evaluated."""
    runs = published_runs(df)
    if not runs:
        return "<p>No published detector among these evaluations (python -m fakeid.published; make baselines).</p>"
    facts = "".join(
        f"<h3>{esc(Path(run).name)}</h3>"
        + definition_list([(key, f"<code>{esc(shown(hparams.get(key)))}</code>") for key in FACTS])
        for run, hparams in runs.items()
    )
    rows = df[df["status"] == "ok"] if "status" in df else df
    means = rows.groupby(["source_run", "level"])[["acc", "ap"]].mean().reset_index()
    body = [
        [
            f"{runs[run]['published.source']} ({Path(run).name})" if run in runs else f"fakeid ({Path(run).name})",
            level,
            acc,
            ap,
        ]
        for run, level, acc, ap in means.itertuples(index=False)
    ]
    caption = (
        "mean over the test sets of each run (threshold: a published detector's 0.5 on the sigmoid, a trained "
        "run's validation-calibrated one); per-set values are in results.csv"
    )
    return facts + table(["detector", "level", "accuracy", "AP"], body, "published", caption)
