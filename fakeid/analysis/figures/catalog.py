"""Every figure and table by name: what `python -m fakeid.figures figure=NAME` and the report draw.

The one place that knows all the figure modules (study: Figs 1-3, the comparison and reliability diagram;
robustness: Fig R and the format-bias table; augment: Fig A); each of them builds only on `study`'s pieces.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from fakeid.analysis.collect import AUGMENT, read_results
from fakeid.analysis.compare import Comparison, compare_runs, plan_table, replicates
from fakeid.analysis.figures import augment, provenance, robustness
from fakeid.analysis.figures.figure import (
    ANALYSES,
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
from fakeid.analysis.figures.tables import Written, calibration_figure, compare_table
from fakeid.analysis.rows import row_kinds, sweeps_varying, training_rows
from fakeid.core.configs import FiguresConfig
from fakeid.core.errors import FakeidError
from fakeid.core.schema import mapping_problem


def _rows(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """The rows figure `name` is drawn from: what its maker reads and its drawn record digests
    (`provenance.rows_digest`). Each of Figs 1-3 reads only the sweeps that vary its x variable: the categories
    sweep's 10-category point is the same experiment as a dropout-sweep point, and counting both would double
    runs. The others read the whole table (each picks its own rows)."""
    if name == "fig1":
        return sweeps_varying(training_rows(df), CATEGORIES)
    if name in ("fig2", "fig3", "fig3_deconvgan"):
        return sweeps_varying(training_rows(df), DROP_RATE)
    if name in ANALYSES:
        return training_rows(df)  # what compare, plan and calibration read of a table
    return df


def _makers() -> dict[str, Callable[..., object]]:
    """name -> maker(rows, out_dir, source, options) of every figure and table; `rows` is `_rows(name, table)`."""
    return {
        "fig1": lambda rows, out, source, options: fig1(rows, out, options.drop_rate, source, options),
        "fig2": lambda rows, out, source, options: fig2(rows, out, source, options),
        "fig3": lambda rows, out, source, options: fig3(rows, out, options.num_categories, source, options),
        "fig3_deconvgan": lambda rows, out, source, options: fig3(
            rows, out, options.num_categories, source, options, others=True
        ),
        "figR": lambda df, out, source, _: robustness.figR(df, out, source),
        "formatbias": lambda df, out, source, _: robustness.formatbias(df, out, source),
        "compare": compare_table,
        "plan": plan_table,
        "calibration": calibration_figure,
        "figA": lambda df, out, source, options: augment.figA(df, out, options.drop_rate, source),
    }


@dataclass
class Copied:
    """A figure taken from where the figures command drew it (`provenance.copy_drawn`), not drawn again."""

    paths: dict[str, Path]


def make(
    name: str,
    df: pd.DataFrame,
    out_dir: str | Path,
    source: str,
    options: Options,
    drawn: Sequence[str | Path] = (),
    record: bool = False,
) -> object:
    """Figure `name` of the table `df` into `out_dir`: copied from one of the `drawn` folders when one holds it
    drawn from exactly these rows and options, else drawn; `record`: write its drawn record beside it (what
    the figures command does, so that a report can take it)."""
    rows = _rows(name, df)
    copied = provenance.copy_drawn(name, rows, options, drawn, out_dir)
    if copied is not None:
        return Copied(copied)
    if record:
        provenance.forget_drawn(out_dir, name)
    made = _makers()[name](rows, out_dir, source, options)
    if record:
        result = made.result.to_record() if isinstance(made, Written) and isinstance(made.result, Comparison) else None
        provenance.write_drawn(name, rows, options, made.paths, result)  # type: ignore[attr-defined]  # a Made
    return made


def sweep_comparison(df: pd.DataFrame, drawn: Sequence[str | Path], source: str) -> Comparison:
    """A sweep's comparison as the report shows it: `figure=compare` with the defaults (every level against the
    smallest), taken from its drawn record in one of the `drawn` folders or their `compare/*` folders
    (`figure_folder`) when it was made from exactly the training rows of `df`, else computed, with the same
    options through the same function (`compare_runs`), so the two are one computation."""
    options = Options()
    folders = [folder for base in map(Path, drawn) for folder in (base, *sorted((base / "compare").glob("*")))]
    found = provenance.find_drawn("compare", _rows("compare", df), options, folders)
    if found is not None and isinstance(found.get("result"), dict):
        return Comparison.from_record(found["result"], source)
    return compare_runs(df, options, source)


def write_all(
    df: pd.DataFrame,
    out_dir: str | Path,
    source: str = "the results table",
    drop_rate: float | None = None,
    num_categories: int | None = None,
    options: Options | None = None,
    drawn: Sequence[str | Path] = (),
    record: bool = False,
) -> dict[str, object]:
    """Every figure the table supports: name -> Figure (or table, or `Copied`), or name -> the one-line reason
    it cannot be drawn. Figs 1-3 are tried when the table has training rows, Fig R and the format-bias table when
    it has evaluation rows (the comparison and the reliability diagram are asked for by name). `drawn` and
    `record`: as `make`."""
    options = options or Options(drop_rate=drop_rate, num_categories=num_categories)
    kinds = set(row_kinds(df))
    names = [*(FIGURES if "train" in kinds else ()), *(ROBUSTNESS if "eval" in kinds else ())]
    if "train" in kinds and AUGMENT in df.columns and training_rows(df)[AUGMENT].nunique() > 1:
        names += AUGMENTATION  # Fig A when the training augmentation varies
    if "train" in kinds and has_other_generators(training_rows(df)):
        names += OTHER_GENERATORS  # Fig 3 of the other unseen generators (the benchmark's DeconvGAN) apart
    made: dict[str, object] = {}
    with replicates.sharing():  # the figures' comparisons resample each set's images once between them
        for name in names:
            try:
                made[name] = make(name, df, out_dir, source, options, drawn, record)
            except FakeidError as err:
                made[name] = str(err)
    return made


def figure_folder(out_dir: str | Path, name: str, csvs: Sequence[str | Path]) -> Path:
    """Where figure `name` of `figure=[...]` goes: a figure (Figs 1-3, R, A, the format-bias table) into
    `out_dir`, as `figure=NAME` puts it; an analysis of one sweep (compare, plan, calibration) into
    `out_dir/NAME/SWEEP`, SWEEP the folder holding the results CSV (`make compare`'s rule, so one process
    writes what `make demo`'s several did, where they did); several CSVs: their folders' names joined by `+`."""
    if name not in ANALYSES:
        return Path(out_dir)
    return Path(out_dir) / name / "+".join(Path(os.path.abspath(csv)).parent.name for csv in csvs)


def _per_figure(options: Options, names: Sequence[str], per_figure: Mapping[str, Any] | None) -> dict[str, Options]:
    """Each figure's options: the shared ones, with `per_figure[name]`'s keys over them (checked as the
    command line's own keys are: conf/figures.yaml's rules)."""
    per_figure = dict(per_figure or {})
    for name, keys in per_figure.items():
        if name not in names:
            raise FakeidError(f"per_figure.{name}: not a figure of figure=[{','.join(names)}]")
        if not isinstance(keys, Mapping):
            raise FakeidError(f"per_figure.{name}={keys!r}: expected the figure's keys, e.g. {{effect: 0.2}}")
        known = {field.name for field in dataclasses.fields(Options)}
        unknown = sorted(set(map(str, keys)) - known)
        if unknown:
            raise FakeidError(
                f"per_figure.{name}.{unknown[0]}: not a figure key; expected one of {', '.join(sorted(known))}"
            )
        problem = mapping_problem(dict(keys), FiguresConfig, f"per_figure.{name}.", "figures")
        if problem:
            raise FakeidError(problem)
    return {name: dataclasses.replace(options, **dict(per_figure.get(name, {}))) for name in names}


def draw_from_csvs(
    figure: str | Sequence[str],
    csvs: Sequence[str | Path],
    out_dir: str | Path,
    drop_rate: float | None = None,
    num_categories: int | None = None,
    options: Options | None = None,
    per_figure: Mapping[str, Any] | None = None,
) -> dict[str, object]:
    """What the CLI does: read the CSVs once, draw `figure` (or `all` it supports, or each of a list, into
    `figure_folder`), print what was written, and beside each figure its drawn record (`provenance`). A list
    shares the parsed scores and the bootstrap replicates between its figures; a figure of it that cannot be
    drawn is named on stderr, the others are drawn, and the command then fails naming it."""
    options = options or Options(drop_rate=drop_rate, num_categories=num_categories)
    names = [figure] if isinstance(figure, str) else list(figure)
    for name in names:
        if name not in CHOICES or (name == "all" and len(names) > 1):
            raise FakeidError(f"figure={name}: expected one of {', '.join(CHOICES)}")
    if per_figure and isinstance(figure, str):
        raise FakeidError("per_figure: only with a list of figures (figure=[fig2,compare] per_figure={...})")
    if not csvs:
        raise FakeidError("csv=[]: expected at least one results CSV of python -m fakeid.collect")
    df = pd.concat([read_results(path) for path in csvs], ignore_index=True)
    source = ", ".join(str(path) for path in csvs)
    if figure == "all":
        made = write_all(df, out_dir, source, options=options, record=True)
    elif isinstance(figure, str):
        made = {figure: make(figure, df, out_dir, source, options, record=True)}
    else:
        made = {}
        with replicates.sharing():  # the figures' comparisons resample each set's images once between them
            for name, own in _per_figure(options, names, per_figure).items():
                try:
                    made[name] = make(name, df, figure_folder(out_dir, name, csvs), source, own, record=True)
                except FakeidError as err:
                    made[name] = str(err)
    for name, result in made.items():
        if isinstance(result, str):
            print(f"fakeid: skipped {name}: {result}", file=sys.stderr)
        else:
            print(" ".join(str(path) for path in result.paths.values()))  # type: ignore[attr-defined]  # a Made
    failed = [name for name, result in made.items() if isinstance(result, str)]
    if len(failed) == len(made):
        raise FakeidError(f"no figure could be drawn from {source}")
    if failed and not isinstance(figure, str):
        raise FakeidError(f"{len(failed)} of {len(made)} figures not drawn ({', '.join(failed)}); see above")
    return made
