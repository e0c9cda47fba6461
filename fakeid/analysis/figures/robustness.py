"""Fig R (robustness to JPEG and blur) and the format-bias table, from the evaluation rows of the tidy table.

The rows are those `fakeid.analysis.collect` makes of an evaluation folder (`kind` "eval", one per source run, level
and test set). Definitions, stated again in the caption and the markdown:

- A *run* is one source training run: its `source_run` (absolute path), else its evaluation folder and
  `source_run_dir`, else its own evaluation folder. A run evaluated twice at the same level (two evaluation
  folders of the same sweep) is an error, not a double count.
- *Unseen content* and *unseen generator* as in `figures.study`: test sets of the training generator whose
  category was not trained on; test sets with `not seen_generator`. A run's value is the mean of the metric
  over its sets of the group. Sets whose `seen_generator` or `seen_category` is unknown (null) are left out,
  and the caption names them.
- Fig R: accuracy at 0.5 and AP vs JPEG quality (`perturbation.quality` of the `jpeg` levels) and vs blur
  sigma (`perturbation.sigma` of the `blur` levels). The original images (level `none`) are drawn at
  quality 100 and sigma 0, with a hollow marker: no recompression, not a JPEG at quality 100. The JPEG axis
  is reversed so that both perturbations grow to the right. One line per value of the source sweep's varied
  variable (`model.drop_rate`, `data.num_categories` or the training augmentation `augment`, whichever take
  several values; their combinations when several do),
  mean over runs (seeds) with a Student-t 95% CI (`fakeid.analysis.stats.summarize`).
- Format bias: per test set and metric (acc, ap, auroc), the original images (level `none`) vs each
  format-matched level (`perturbation` "format"), paired by run: the difference is format-matched minus
  original, with its 95% CI over runs (pooled over every run of the table, whatever its hparams). A run with
  only one side of a pair is left out and counted in the markdown.

Outputs: `figR.png`, `figR.pdf`, `figR.csv` (exactly the plotted numbers, columns `FIGR_COLUMNS`) and
`formatbias.csv` (columns `BIAS_COLUMNS`) with a readable `formatbias.md`.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from fakeid.analysis.figures.figure import (
    AUGMENT,
    CATEGORIES,
    DATASET_KIND,
    DATASET_KIND_TEXT,
    DROP_RATE,
    METRIC_TEXT,
    Figure,
)
from fakeid.analysis.pictures import open_markers, write_figure_files
from fakeid.analysis.rows import condition_label, row_kinds
from fakeid.analysis.stats import mean_ci, summarize
from fakeid.core.errors import FakeidError
from fakeid.core.metric_names import HEADLINE_METRICS, INTERVAL_METRICS

NONE, JPEG, BLUR, FORMAT = "none", "jpeg", "blur", "format"
# perturbation -> (its x column, where the original images sit on that axis, axis label)
AXES = {
    JPEG: ("perturbation.quality", 100.0, "JPEG quality (100 = original images, no recompression)"),
    BLUR: ("perturbation.sigma", 0.0, "Gaussian blur sigma (0 = original images)"),
}
SET_GROUPS = ("unseen content", "unseen generator")
FIGR_METRICS = HEADLINE_METRICS
BIAS_METRICS = INTERVAL_METRICS
FIGR_COLUMNS = [
    "figure",
    "sets",
    "perturbation",
    "metric",
    "panel",
    "series",
    "group",
    "level",
    "x",
    "mean",
    "ci_low",
    "ci_high",
    "n",
]
BIAS_COLUMNS = [
    "level",
    "format",
    "quality",
    "set",
    "condition",
    "metric",
    "n_pairs",
    "original_mean",
    "original_ci_low",
    "original_ci_high",
    "matched_mean",
    "matched_ci_low",
    "matched_ci_high",
    "diff_mean",
    "diff_ci_low",
    "diff_ci_high",
]
RUN = "run"  # the column naming a source run (added here)


@dataclass
class Table:
    """The format-bias table: its numbers (`data`, the CSV), its markdown and where they were written."""

    name: str
    data: pd.DataFrame
    markdown: str
    paths: dict[str, Path] = field(default_factory=dict)


# ----------------------------------------------------------------------------- selecting rows
def eval_rows(df: pd.DataFrame, what: str, needed: Sequence[str], source: str) -> pd.DataFrame:
    """Test-set rows of successful evaluations, with a `run` column naming the source run."""
    required = [
        "sweep",
        "run_dir",
        "status",
        "level",
        "perturbation",
        "set",
        "seen_generator",
        "seen_category",
        *needed,
    ]
    absent = [name for name in dict.fromkeys(required) if name not in df.columns]
    if absent:
        raise FakeidError(
            f"{what} needs columns {', '.join(absent)}; {source} lacks them "
            "(collect an evaluation folder of python -m fakeid.eval)"
        )
    rows = df[(row_kinds(df) == "eval") & (df["status"] == "ok") & df["set"].notna()].copy()
    if rows.empty:
        raise FakeidError(f"{what} needs successful evaluations (kind eval) with test results; {source} has none")
    rows[RUN] = [_run_id(row) for _, row in rows.iterrows()]
    twice = rows[rows.duplicated([RUN, "level", "set"], keep=False)]
    if not twice.empty:
        first = twice.iloc[0]
        folders = ", ".join(
            sorted(set(twice.loc[(twice[RUN] == first[RUN]) & (twice["level"] == first["level"]), "sweep"]))
        )
        raise FakeidError(
            f"{what}: source run {first[RUN]} has more than one evaluation at level {first['level']} "
            f"(in {folders}); collect each evaluation once"
        )
    return rows


def _run_id(row: pd.Series) -> str:
    if isinstance(row.get("source_run"), str) and row["source_run"]:
        return row["source_run"]
    if isinstance(row.get("source_run_dir"), str) and row["source_run_dir"]:
        return f"{row['sweep']}/{row['source_run_dir']}"
    return str(Path(str(row["sweep"])) / Path(str(row["run_dir"])).parent)


def _known(rows: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Rows whose seen_generator and seen_category are known, and the sets left out for being unknown."""
    known = rows["seen_generator"].notna() & rows["seen_category"].notna()
    left_out = sorted(rows.loc[~known, "set"].astype(str).unique())
    kept = rows[known].copy()
    kept["seen_generator"] = kept["seen_generator"].astype(bool)
    kept["seen_category"] = kept["seen_category"].astype(bool)
    return kept, left_out


def _in_group(rows: pd.DataFrame, group: str) -> pd.DataFrame:
    if group == "unseen content":
        return rows[rows["seen_generator"] & ~rows["seen_category"]]
    return rows[~rows["seen_generator"]]


def _varied(rows: pd.DataFrame) -> list[str]:
    """The source sweep's varied variable(s) among dropout, number of categories and training augmentation."""
    return [key for key in (DROP_RATE, CATEGORIES, AUGMENT) if key in rows.columns and rows[key].nunique() > 1]


def _series_text(varied: Sequence[str], values: Sequence[object]) -> str:
    parts = []
    for key, value in zip(varied, values, strict=True):
        if key == DROP_RATE:
            parts.append(f"dropout {float(value):g}")  # type: ignore[arg-type]  # a table's number
        elif key == AUGMENT:
            parts.append(f"augment {value}")
        else:
            count = int(float(value))  # type: ignore[arg-type]  # a table's number
            parts.append(f"{count} training categor{'y' if count == 1 else 'ies'}")
    return ", ".join(parts) or "all runs"


# ----------------------------------------------------------------------------- Fig R
def _on_axis(rows: pd.DataFrame, perturbation: str) -> pd.DataFrame:
    """The rows of one perturbation's levels plus the original images, with their x on its axis."""
    column, original_x, _ = AXES[perturbation]
    mine = rows[rows["perturbation"] == perturbation].copy()
    mine["x"] = pd.to_numeric(mine[column], errors="coerce") if column in mine.columns else np.nan
    if mine["x"].isna().any():
        levels = ", ".join(sorted(mine.loc[mine["x"].isna(), "level"].astype(str).unique()))
        raise FakeidError(f"figR: {perturbation} levels {levels} have no {column}")
    original = rows[rows["perturbation"] == NONE].copy()
    original["x"] = original_x
    return pd.concat([original, mine], ignore_index=True)


def _points(per_run: pd.DataFrame, varied: list[str], metric: str, labels: Mapping[str, object]) -> list[dict]:
    out = []
    for values in summarize(per_run, [*varied, "level", "x"], metric).to_dict("records"):
        if values["n"] == 0:
            continue
        series_values = [values[name] for name in varied]
        out.append(
            {
                **labels,
                "metric": metric,
                "series": _series_text(varied, series_values),
                "group": _group_value(series_values),
                **{key: values[key] for key in ("level", "x", "mean", "ci_low", "ci_high", "n")},
            }
        )
    return out


def _group_value(values: Sequence[object]) -> object:
    """The varied variable's value (a number) when one varies, else the values as text."""
    numbers = [value if isinstance(value, str) else f"{float(value):g}" for value in values]  # type: ignore[arg-type]  # a table's number
    if len(values) == 1:
        return numbers[0] if isinstance(values[0], str) else float(values[0])  # type: ignore[arg-type]  # a table's number
    return ", ".join(numbers) or "all"


def figR_data(df: pd.DataFrame, source: str = "the results table") -> Figure:
    """Fig R: accuracy at 0.5 and AP vs JPEG quality and blur sigma, per set group and varied value."""
    rows = eval_rows(df, "figR", [*FIGR_METRICS], source)
    rows, left_out = _known(rows)
    perturbations = [name for name in AXES if (rows["perturbation"] == name).any()]
    if not perturbations:
        raise FakeidError(
            f"figR needs jpeg or blur levels; {source} has levels "
            f"{', '.join(sorted(rows['level'].astype(str).unique()))}"
        )
    if not (rows["perturbation"] == NONE).any():
        raise FakeidError(f"figR needs the level none (the original images); {source} has none")
    varied = _varied(rows)
    out: list[dict] = []
    groups = [group for group in SET_GROUPS if not _in_group(rows, group).empty]
    if not groups:
        raise FakeidError(f"figR needs unseen-content or unseen-generator test sets; {source} has none")
    for group in groups:
        per_level = _in_group(rows, group)
        for perturbation in perturbations:
            on_axis = _on_axis(per_level, perturbation)
            per_run = on_axis.groupby([RUN, "level", "x", *varied], dropna=False)[list(FIGR_METRICS)].mean()
            for metric in FIGR_METRICS:
                labels = {
                    "figure": "figR",
                    "sets": group,
                    "perturbation": perturbation,
                    "panel": f"{group} | {perturbation} | {metric}",
                }
                out += _points(per_run.reset_index(), varied, metric, labels)
    data = pd.DataFrame(out).reindex(columns=FIGR_COLUMNS)
    panels = [
        (f"{group} | {perturbation} | {metric}", f"{METRIC_TEXT[metric]}, {group}")
        for group in groups
        for perturbation in perturbations
        for metric in FIGR_METRICS
    ]
    return Figure(
        name="figR",
        data=data,
        title="Fig R. Robustness of detection to JPEG compression and blur",
        xlabel="",
        panels=panels,
        caption=_figR_caption(rows, data, varied, left_out),
    )


def _figR_caption(rows: pd.DataFrame, data: pd.DataFrame, varied: list[str], left_out: list[str]) -> str:
    kinds = rows[DATASET_KIND].dropna().unique() if DATASET_KIND in rows.columns else []
    kind_text = " + ".join(DATASET_KIND_TEXT.get(kind, str(kind)) for kind in sorted(kinds)) or "data kind not recorded"
    counts = data["n"].astype(int)
    per_point = f"n = {counts.min()}" if counts.min() == counts.max() else f"n = {counts.min()}-{counts.max()}"
    lines = ", ".join(varied) if varied else "one line (no dropout or category count varies)"
    caption = (
        f"{kind_text}; mean \u00b1 95% CI over runs (seeds), {per_point} runs per point; one line per "
        f"{lines}. A run's value is its mean over the sets of the group: unseen content = test sets of the "
        "training generator whose category was not trained on; unseen generator = sets of other "
        "generators. Hollow marker: the original images (level none), drawn at JPEG quality 100 (no "
        "recompression) and blur sigma 0. JPEG axis reversed: stronger compression to the right."
    )
    if left_out:
        caption += f" Left out (seen generator or category unknown): {', '.join(left_out)}."
    return caption


def draw_figR(figure: Figure) -> plt.Figure:
    """Draw Fig R from its `data` table only: a row per set group, a column per perturbation and metric."""
    data = figure.data
    groups = list(dict.fromkeys(data["sets"]))
    columns = list(dict.fromkeys(zip(data["perturbation"], data["metric"], strict=True)))
    fig, axes = plt.subplots(
        len(groups),
        len(columns),
        figsize=(4.0 * len(columns), 3.4 * len(groups) + 1.2),
        squeeze=False,
        layout="constrained",
    )
    series = list(dict.fromkeys(data["series"]))
    colors = {name: plt.get_cmap("tab10")(index % 10) for index, name in enumerate(series)}
    for row_index, group in enumerate(groups):
        for column_index, (perturbation, metric) in enumerate(columns):
            ax = axes[row_index][column_index]
            rows = data[(data["sets"] == group) & (data["perturbation"] == perturbation) & (data["metric"] == metric)]
            for name, points in rows.groupby("series", sort=False):
                _draw_series(ax, points.sort_values("x"), colors[name], name)
            ax.set_xlabel(AXES[perturbation][2], fontsize=8)
            ax.set_ylabel(f"{METRIC_TEXT[metric]}\n{group}", fontsize=8)
            ax.set_ylim(-0.02, 1.02)  # metrics live in [0, 1]; the CSV keeps the full intervals
            if perturbation == JPEG:
                ax.invert_xaxis()
            ax.grid(alpha=0.3)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 5), fontsize=8, frameon=False)
    fig.suptitle(f"{figure.title}\n{textwrap.fill(figure.caption, 150)}", fontsize=8)
    return fig


def _draw_series(ax: plt.Axes, points: pd.DataFrame, color: object, label: str) -> None:
    lower = (points["mean"] - points["ci_low"]).fillna(0.0)
    upper = (points["ci_high"] - points["mean"]).fillna(0.0)
    ax.errorbar(
        points["x"], points["mean"], yerr=[lower, upper], color=color, marker="o", markersize=4, capsize=3, label=label
    )
    original = points[points["level"] == NONE]
    open_markers(ax, original["x"], original["mean"], color, size=8, marker="s")


def figR(df: pd.DataFrame, out_dir: str | Path, source: str = "the results table") -> Figure:
    """Compute, draw and write Fig R as figR.png, figR.pdf and figR.csv in `out_dir`."""
    figure = figR_data(df, source)
    figure.paths = write_figure_files(draw_figR(figure), figure.data, out_dir, "figR", tight=False)
    return figure


# ----------------------------------------------------------------------------- format bias
def formatbias_data(df: pd.DataFrame, source: str = "the results table") -> tuple[pd.DataFrame, list[str]]:
    """The format-bias numbers (columns `BIAS_COLUMNS`) and notes on what was left out."""
    rows = eval_rows(df, "formatbias", [*BIAS_METRICS], source)
    original = rows[rows["perturbation"] == NONE]
    matched = rows[rows["perturbation"] == FORMAT]
    if original.empty or matched.empty:
        raise FakeidError(
            f"formatbias needs the level none and format levels; {source} has levels "
            f"{', '.join(sorted(rows['level'].astype(str).unique()))}"
        )
    out: list[dict] = []
    notes: list[str] = []
    for level, level_rows in matched.groupby("level", sort=True):
        pairs = original.merge(level_rows, on=[RUN, "set"], suffixes=("_original", "_matched"))
        unpaired = set(original[RUN]) ^ set(level_rows[RUN])
        if unpaired:
            notes.append(
                f"{level}: {len(unpaired)} run(s) evaluated on one side only, left out: {', '.join(sorted(unpaired))}"
            )
        first = level_rows.iloc[0]
        for test_set, set_pairs in pairs.groupby("set", sort=True):
            for metric in BIAS_METRICS:
                out.append(_bias_row(level, first, test_set, set_pairs, metric))
    return pd.DataFrame(out).reindex(columns=BIAS_COLUMNS), notes


def _bias_row(level: str, level_row: pd.Series, test_set: str, pairs: pd.DataFrame, metric: str) -> dict:
    both = pairs[[f"{metric}_original", f"{metric}_matched"]].astype(float).dropna()
    before, after = mean_ci(both.iloc[:, 0]), mean_ci(both.iloc[:, 1])
    diff = mean_ci(both.iloc[:, 1] - both.iloc[:, 0])
    generator, category = pairs["seen_generator_original"].iloc[0], pairs["seen_category_original"].iloc[0]
    known = not (pd.isna(generator) or pd.isna(category))
    return {
        "level": level,
        "format": level_row.get("perturbation.format"),
        "quality": level_row.get("perturbation.quality"),
        "set": test_set,
        "condition": condition_label(bool(generator), bool(category)) if known else "unknown",
        "metric": metric,
        "n_pairs": diff.n,
        "original_mean": before.mean,
        "original_ci_low": before.ci_low,
        "original_ci_high": before.ci_high,
        "matched_mean": after.mean,
        "matched_ci_low": after.ci_low,
        "matched_ci_high": after.ci_high,
        "diff_mean": diff.mean,
        "diff_ci_low": diff.ci_low,
        "diff_ci_high": diff.ci_high,
    }


def _number(value: float) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.3f}"


def _interval(low: float, high: float) -> str:
    return "n/a" if math.isnan(low) else f"[{low:+.3f}, {high:+.3f}]"


def formatbias_markdown(data: pd.DataFrame, notes: Sequence[str], source: str) -> str:
    """A readable version of the table: one section per format level."""
    lines = [
        "# Format bias: original images vs format-matched re-encoding",
        "",
        f"From {source}. Per test set and metric: the mean over runs on the original images (level `none`) and "
        "after re-encoding real and fake images alike (a `format` level), and their paired difference "
        "(format-matched minus original) with its 95% CI over runs (Student t; pooled over every run of the "
        "table). A negative difference means the detector loses what the file format told it.",
        "",
    ]
    for level, rows in data.groupby("level", sort=True):
        lines += [
            f"## `{level}`",
            "",
            "| test set | condition | metric | original | format-matched | difference [95% CI] | runs |",
            "|---|---|---|---:|---:|---|---:|",
        ]
        for _, row in rows.iterrows():
            lines.append(
                f"| {row['set']} | {row['condition']} | {row['metric']} | {_number(row['original_mean'])} | "
                f"{_number(row['matched_mean'])} | {row['diff_mean']:+.3f} "
                f"{_interval(row['diff_ci_low'], row['diff_ci_high'])} | {row['n_pairs']} |"
            )
        lines.append("")
    lines += [f"Note: {note}" for note in notes]
    return "\n".join(lines).rstrip() + "\n"


def formatbias(df: pd.DataFrame, out_dir: str | Path, source: str = "the results table") -> Table:
    """Compute the format-bias table and write formatbias.csv and formatbias.md in `out_dir`."""
    data, notes = formatbias_data(df, source)
    table = Table("formatbias", data, formatbias_markdown(data, notes, source))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    table.paths = {"csv": out_dir / "formatbias.csv", "md": out_dir / "formatbias.md"}
    data.to_csv(table.paths["csv"], index=False)
    table.paths["md"].write_text(table.markdown)
    return table
