"""The report's "Published detectors" section (docs/published.md): each evaluated run that `fakeid.published`
made, what it is (source, weights sha256, the peer's preprocessing, its 0.5 threshold), every detector of
the report, published or trained, side by side (mean accuracy and AP over the test sets at each level), and
their paired comparisons at each perturbation level.

A published run is known by its own record (`published.source` in the source run's metrics.json), read here
rather than carried through results.csv, so the table of results keeps its columns.

The comparisons are the house's (`fakeid.analysis.compare`: seeds x images crossed, Holm over each table) with
the *detector* as the variable: a sweep is compared along the key it sweeps, but here the runs differ by where
the detector comes from, and they come from different folders (the published runs' evaluations and the sweep's),
so no swept key or folder names the level. Each detector is one level: a published run by its source and folder,
the sweep's runs by `fakeid <model.name>` plus the values of any key the sweep varies (other than the seed), so
that one level holds one run per seed. A published checkpoint has no training seed: its one run is paired with
every seed of the other side (`FIXED_SEED`), so a difference's interval holds the sweep's seed noise and the
shared test images; two published checkpoints differ by their test images alone. Per level of the grid, each
detector is the baseline of the detectors after it (the sweep's first, then the published ones), a table each,
written beside the report as published/<level>/vs-<detector>/compare.csv and compare.md.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from fakeid.analysis.collect import hparam_columns
from fakeid.analysis.compare import FIXED_SEED, Comparison, compare
from fakeid.analysis.rows import row_kinds
from fakeid.core.errors import FakeidError
from fakeid.reporting.comparisons import comparison_markup
from fakeid.reporting.html import definition_list, esc, table
from fakeid.runs.record import read_record

FACTS = (
    "published.source",
    "published.weights_sha256",
    "published.preprocess",
    "published.fit",
    "published.resize",
    "published.crop",
    "published.input_size",
)
FOLDER = "published"  # the comparisons' files, in the report folder
SEED = "seed"
CLEAN = "none"  # the level of the unperturbed images (fakeid.data.perturb)


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


def detector_rows(df: pd.DataFrame, runs: dict[str, dict]) -> pd.DataFrame:
    """The evaluations' ok rows as `compare` takes runs: `detector` their one hyper-parameter (module docstring),
    a published run's seed FIXED_SEED; marked as training rows, as each evaluation stands for its detector."""
    rows = df[(row_kinds(df) == "eval") & (df["status"] == "ok")].copy()
    published = rows["source_run"].astype(str).isin(runs)
    hparams = [name for name in hparam_columns(rows.columns) if name != SEED]
    swept = [
        name
        for name in hparams
        if not name.startswith(("eval.", "published."))
        and rows.loc[~published, name].dropna().astype(str).nunique() > 1
    ]

    def detector(row: pd.Series) -> str:
        run = str(row["source_run"])
        if run in runs:
            return f"{runs[run]['published.source']} ({Path(run).name})"
        keys = ", ".join(f"{name}={row[name]}" for name in swept if name != "model.name")
        return f"fakeid {row.get('model.name')}" + (f" ({keys})" if keys else "")

    rows["detector"] = [detector(row) for _, row in rows.iterrows()]
    rows[SEED] = rows[SEED].astype(object) if SEED in rows else None
    rows.loc[published, SEED] = FIXED_SEED
    rows["kind"] = "train"
    return rows.drop(columns=hparams)


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.=-]+", "_", text).strip("_")


def detector_comparisons(
    df: pd.DataFrame, runs: dict[str, dict], out: Path | None
) -> list[tuple[str, str, Comparison | str]]:
    """(perturbation level, baseline detector, its Comparison or why there is none), per level and baseline
    (module docstring); each Comparison written to `out`/<level>/vs-<baseline>/ when `out` is given."""
    rows = detector_rows(df, runs)
    found: list[tuple[str, str, Comparison | str]] = []
    for level in sorted(pd.unique(rows["level"]), key=lambda level: str(level) != CLEAN):  # clean first
        part = rows[rows["level"] == level]
        names = sorted(pd.unique(part["detector"]), key=lambda name: (not name.startswith("fakeid "), name))
        for index, baseline in enumerate(names[:-1]):
            chosen = part[part["detector"].isin(names[index:])]
            try:
                comparison = compare(chosen, baseline=baseline, source=f"the evaluations at {level}")
            except FakeidError as err:
                found.append((str(level), str(baseline), str(err)))
                continue
            if out is not None:
                comparison.write(out / slug(str(level)) / f"vs-{slug(baseline)}")
            found.append((str(level), str(baseline), comparison))
    return found


def comparisons_markup(df: pd.DataFrame, runs: dict[str, dict], site: Path | None) -> str:
    found = detector_comparisons(df, runs, site / FOLDER if site is not None else None)
    if not found:
        return "<p>One detector only: nothing to compare.</p>"
    parts = []
    for level, baseline, comparison in found:
        where = f"{FOLDER}/{slug(level)}/vs-{slug(baseline)}/compare.csv"
        heading = f"<h4>{esc(level)}: against {esc(baseline)}</h4>"
        if isinstance(comparison, Comparison):
            link = f'<p class="note"><a href="{esc(where)}">{esc(where)}</a> (and compare.md)</p>'
            parts.append(heading + comparison_markup(comparison, f"published-{slug(level)}-{slug(baseline)}") + link)
        else:
            parts.append(heading + f'<p class="note">not compared: {esc(comparison)}</p>')
    return "<h3>Paired comparisons</h3>" + "".join(parts)


def published_section(df: pd.DataFrame, site: Path | None = None) -> str:
    """The section's markup; a sentence when no published detector was evaluated. With `site`, the
    comparisons' tables are written there too (published/...)."""
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
    summary = table(["detector", "level", "accuracy", "AP"], body, "published", caption)
    return facts + summary + comparisons_markup(df, runs, site)
