"""Every figure and table by name: what `python -m fakeid.figures figure=NAME` and the report draw.

The one place that knows all the figure modules (study: Figs 1-3, the comparison and reliability diagram;
robustness: Fig R and the format-bias table; augment: Fig A); each of them builds only on `study`'s pieces.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from fakeid.analysis.collect import AUGMENT, read_results
from fakeid.analysis.compare import plan_table, replicates
from fakeid.analysis.figures import augment, robustness
from fakeid.analysis.figures.figure import (
    AUGMENTATION,
    CATEGORIES,
    CHOICES,
    DROP_RATE,
    FIGURES,
    OTHER_GENERATORS,
    ROBUSTNESS,
    Options,
)
from fakeid.analysis.figures.study import fig1, fig2, fig3, has_other_generators
from fakeid.analysis.figures.tables import calibration_figure, compare_table
from fakeid.analysis.rows import row_kinds, sweeps_varying, training_rows
from fakeid.core.errors import FakeidError


def _makers() -> dict[str, Callable[..., object]]:
    """name -> maker(df, out_dir, source, options) of every figure and table."""
    return {
        # Each of Figs 1-3 reads only the sweeps that vary its x variable: the categories sweep's 10-category
        # point is the same experiment as a dropout-sweep point, and counting both would double runs.
        "fig1": lambda df, out, source, options: fig1(
            sweeps_varying(training_rows(df), CATEGORIES), out, options.drop_rate, source, options
        ),
        "fig2": lambda df, out, source, options: fig2(
            sweeps_varying(training_rows(df), DROP_RATE), out, source, options
        ),
        "fig3": lambda df, out, source, options: fig3(
            sweeps_varying(training_rows(df), DROP_RATE), out, options.num_categories, source, options
        ),
        "fig3_deconvgan": lambda df, out, source, options: fig3(
            sweeps_varying(training_rows(df), DROP_RATE), out, options.num_categories, source, options, others=True
        ),
        "figR": lambda df, out, source, _: robustness.figR(df, out, source),
        "formatbias": lambda df, out, source, _: robustness.formatbias(df, out, source),
        "compare": compare_table,
        "plan": plan_table,
        "calibration": calibration_figure,
        "figA": lambda df, out, source, options: augment.figA(df, out, options.drop_rate, source),
    }


def write_all(
    df: pd.DataFrame,
    out_dir: str | Path,
    source: str = "the results table",
    drop_rate: float | None = None,
    num_categories: int | None = None,
    options: Options | None = None,
) -> dict[str, object]:
    """Every figure the table supports: name -> Figure (or table), or name -> the one-line reason it cannot be
    drawn. Figs 1-3 are tried when the table has training rows, Fig R and the format-bias table when it has
    evaluation rows (the comparison and the reliability diagram are asked for by name)."""
    options = options or Options(drop_rate=drop_rate, num_categories=num_categories)
    kinds = set(row_kinds(df))
    names = [*(FIGURES if "train" in kinds else ()), *(ROBUSTNESS if "eval" in kinds else ())]
    if "train" in kinds and AUGMENT in df.columns and training_rows(df)[AUGMENT].nunique() > 1:
        names += AUGMENTATION  # Fig A when the training augmentation varies
    if "train" in kinds and has_other_generators(training_rows(df)):
        names += OTHER_GENERATORS  # Fig 3 of the other unseen generators (the benchmark's DeconvGAN) apart
    makers = _makers()
    made: dict[str, object] = {}
    with replicates.sharing():  # the figures' comparisons resample each set's images once between them
        for name in names:
            try:
                made[name] = makers[name](df, out_dir, source, options)
            except FakeidError as err:
                made[name] = str(err)
    return made


def draw_from_csvs(
    figure: str,
    csvs: Sequence[str | Path],
    out_dir: str | Path,
    drop_rate: float | None = None,
    num_categories: int | None = None,
    options: Options | None = None,
) -> dict[str, object]:
    """What the CLI does: read the CSVs, draw `figure` (or `all` it supports), print what was written."""
    options = options or Options(drop_rate=drop_rate, num_categories=num_categories)
    if figure not in CHOICES:
        raise FakeidError(f"figure={figure}: expected one of {', '.join(CHOICES)}")
    if not csvs:
        raise FakeidError("csv=[]: expected at least one results CSV of python -m fakeid.collect")
    df = pd.concat([read_results(path) for path in csvs], ignore_index=True)
    source = ", ".join(str(path) for path in csvs)
    if figure == "all":
        made = write_all(df, out_dir, source, options=options)
    else:
        made = {figure: _makers()[figure](df, out_dir, source, options)}
    for name, result in made.items():
        if isinstance(result, str):
            print(f"fakeid: skipped {name}: {result}", file=sys.stderr)
        else:
            print(" ".join(str(path) for path in result.paths.values()))  # type: ignore[attr-defined]  # a Made
    if all(isinstance(result, str) for result in made.values()):
        raise FakeidError(f"no figure could be drawn from {source}")
    return made
