"""A figure drawn from its `data` table only (so the CSV is exactly what is plotted), written as PNG, PDF,
CSV and the JSON of its words, and drawn again from those files."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never a display
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.ticker import MaxNLocator

from fakeid.analysis.figures.figure import LINESTYLE, SECONDARY, Figure
from fakeid.analysis.pictures import open_markers, write_figure_files
from fakeid.analysis.trends import p_text


def draw(figure: Figure) -> plt.Figure:
    """Draw a figure from its `data` table only, so the CSV is exactly what is plotted."""
    # Constrained layout makes room for the title, the caption and the legends below the axes.
    columns = 2 if len(figure.panels) > 3 else len(figure.panels)  # four panels: two rows of two
    lines = math.ceil(len(figure.panels) / columns)
    fig, axes = plt.subplots(
        lines,
        columns,
        figsize=(6.2 * columns, (4.8 if lines == 1 else 6.4) * lines),
        squeeze=False,
        layout="constrained",
    )
    roles = figure.data["role"] if "role" in figure.data.columns else pd.Series("", index=figure.data.index)
    groups = list(dict.fromkeys(figure.data.loc[roles != SECONDARY, "group"].astype(str)))
    palette = plt.get_cmap("tab10" if len(groups) <= 10 else "tab20")
    colors = {group: palette(index % palette.N) for index, group in enumerate(groups)}
    for ax in axes.ravel()[len(figure.panels) :]:
        ax.set_visible(False)
    for ax, (panel, ylabel) in zip(axes.ravel(), figure.panels, strict=False):  # spare axes: hidden above
        panel_rows = figure.data[figure.data["panel"] == panel]
        handles = []  # legend in drawing order: each series, then its trend
        for (series, metric), rows in panel_rows.groupby(["series", "metric"], sort=False):
            secondary = rows.get("role", pd.Series([""])).iloc[0] == SECONDARY
            color = "0.55" if secondary else colors[str(rows["group"].iloc[0])]
            points = rows[rows["kind"] == "point"].sort_values("x")
            lower = (points["mean"] - points["ci_low"]).fillna(0.0)
            upper = (points["ci_high"] - points["mean"]).fillna(0.0)
            handles.append(
                ax.errorbar(
                    points["x"],
                    points["mean"],
                    yerr=[lower, upper],
                    color=color,
                    marker="o",
                    markersize=4,
                    capsize=3,
                    linestyle="-." if secondary else LINESTYLE.get(metric, "-"),
                    alpha=0.8 if secondary else 1.0,
                    label=series,
                )
            )
            if "marked" in points.columns:
                marked = points[points["marked"].fillna(False).astype(bool)]
                if not marked.empty:
                    ax.plot(marked["x"], marked["mean"], linestyle="none", marker="*", markersize=11, color=color)
            if "clipped" in points.columns:  # an interval that reached outside [0, 1]: shown as clipped
                clipped = points[points["clipped"].fillna(False).astype(bool)]
                if not clipped.empty:
                    open_markers(ax, clipped["x"], clipped["mean"], color, size=9)
            trend = rows[rows["kind"] == "trend"].sort_values("x")
            if not trend.empty:
                first = trend.iloc[0]
                drawn = _flag(first.get("line", True), default=True)
                handles += ax.plot(
                    trend["x"] if drawn else [],
                    trend["mean"] if drawn else [],
                    color=color,
                    linestyle=":",
                    linewidth=1.5,
                    label=_trend_label(first, drawn),
                )
        ax.set_xlabel(figure.xlabel)
        ax.set_ylabel(ylabel)
        # every metric lives in [0, 1]; a t-interval over 2-3 seeds can reach far outside it, so the view is
        # fixed there (the CSV keeps the full intervals)
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
        # Below the axes: with several test sets a legend inside would hide points.
        ax.legend(handles=handles, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), frameon=False)
        if figure.integer_x:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.suptitle(f"{figure.title}\n{textwrap.fill(figure.caption, 150)}", fontsize=9)
    return fig


def _r2_text(r2: float) -> str:
    return "n/a" if pd.isna(r2) else f"{r2:.2f}"


def _flag(value: object, default: bool) -> bool:
    """A CSV's boolean cell (True, "True", NaN for a CSV written before the column existed)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return default
    return str(value).lower() in ("true", "1", "1.0")


def _trend_label(row: pd.Series, drawn: bool) -> str:
    """A trend's legend entry: Page's L, and either the line's slope or why no line is drawn."""
    page = "" if pd.isna(row.get("trend_p")) else f"Page's L p = {p_text(float(row['trend_p']))}, "
    lof = row.get("lack_of_fit_p")
    if not drawn:
        return f"  trend: {page}no line: lack of fit p = {p_text(float(lof))} (means joined)"
    ci = "" if pd.isna(row["slope_ci_low"]) else f" [{row['slope_ci_low']:+.3f}, {row['slope_ci_high']:+.3f}]"
    return f"  trend: {page}line of the means, slope {row['slope']:+.3f}{ci}, R\u00b2 {_r2_text(row['r2'])}"


def save(figure: Figure, out_dir: str | Path) -> Figure:
    """Write `<name>.png`, `.pdf` and `.csv` into `out_dir`; returns the figure with `paths` filled in."""
    figure.paths = write_figure_files(draw(figure), figure.data, out_dir, figure.name, meta=figure_meta(figure))
    return figure


def figure_meta(figure: Figure) -> dict:
    """The words of a figure that its CSV does not hold: with them `redraw` draws it from the CSV alone."""
    return {
        "name": figure.name,
        "title": figure.title,
        "xlabel": figure.xlabel,
        "panels": [list(panel) for panel in figure.panels],
        "caption": figure.caption,
        "integer_x": figure.integer_x,
    }


def redraw(csv: str | Path, meta: dict) -> plt.Figure:
    """A figure drawn again from its CSV and its `<name>.json` (`figure_meta`): the docs' demo pictures."""
    data = pd.read_csv(csv)
    panels = [(str(panel), str(label)) for panel, label in meta["panels"]]
    figure = Figure(meta["name"], data, meta["title"], meta["xlabel"], panels, meta["caption"], meta["integer_x"])
    return draw(figure)
