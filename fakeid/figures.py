"""The paper's figures and the per-test-set tables, from the tidy results table of `fakeid.collect`.

Definitions (stated again in every figure's caption):
- *unseen content*: test sets of the training generator (`seen_generator`) whose category was not in the
  training mix (`not seen_category`); the holdout `sheep` is always among them. A run's value is the mean
  of a metric over its unseen-content sets (as the paper's "average accuracy on unseen data"; with fewer
  training categories there are more such sets).
- *unseen generator*: test sets with `not seen_generator` (StyleGAN2 horse, FFHQ); each set plotted on its own.
- Points are the mean over runs (seeds) with a Student-t 95% CI (`fakeid.stats.mean_ci`; no bar when n == 1).
- Trend lines are least-squares fits on the per-run values, not on the per-point means, so the slope's CI
  reflects seed-to-seed spread (`fakeid.stats.linear_trend`).
- Fig 1 varies the number of categories at one dropout ratio: the ratio with the most distinct category
  counts unless `drop_rate` is given. Fig 3 shows one number of categories: the one with the most distinct
  dropout ratios unless `num_categories` is given. Ties go to the value with more runs, then the larger
  value. The choice is printed in the title.

Each figure is written as `<name>.png`, `<name>.pdf` and `<name>.csv`. The CSV holds exactly the numbers
drawn (the drawing reads only that table): columns `CSV_COLUMNS`; `kind` is "point" (mean and CI) or
"trend" (the fitted line at its two ends, with slope, slope CI, R^2 and n of the fit).

Fig R and the format-bias table, drawn from evaluation rows (`kind` "eval"), live in
`fakeid.robustness_figures`; Figs 1-3 read training rows only (`kind` "train", or a table without `kind`).

CLI (a Hydra app, conf/figures.yaml):
`python -m fakeid.figures figure=fig1|fig2|fig3|figR|formatbias|figA|all csv=[A.csv,B.csv] out=DIR`
(`drop_rate=` for Figs 1 and A, `num_categories=` for Fig 3). Fig A (unseen content and generators vs
categories, one line per training augmentation) lives in `fakeid.augment_figures`; when the runs of a table
differ in training augmentation (column `augment`), Figs 1-3 draw each augmentation's lines apart
(`by_augmentation`).
"""

from __future__ import annotations

import math
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import matplotlib

matplotlib.use("Agg")  # files only; never a display
import hydra  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402
from omegaconf import DictConfig  # noqa: E402

from fakeid import CONF_DIR  # noqa: E402
from fakeid.cli import as_list, require, run_app  # noqa: E402
from fakeid.collect import read_results  # noqa: E402
from fakeid.errors import FakeidError, one_line_errors  # noqa: E402
from fakeid.metric_names import TEST_METRICS  # noqa: E402
from fakeid.stats import linear_trend, summarize  # noqa: E402

RUN_KEY = ["sweep", "run_dir"]
CATEGORIES = "data.num_categories"
DROP_RATE = "model.drop_rate"
DATASET_KIND = "data.dataset_kind"
AUGMENT = "augment"  # the training augmentation's label (fakeid.collect); figures group by it when it varies
DATASET_KIND_TEXT = {"synthetic": "embedded synthetic benchmark", "real": "real data"}
METRIC_TEXT = {
    "acc": "accuracy (threshold 0.5)",
    "acc_cal": "accuracy (validation-calibrated threshold)",
    "ap": "average precision",
    "auroc": "AUROC",
    "real_acc": "accuracy on reals",
    "fake_acc": "accuracy on fakes",
}
LINESTYLE = {"acc_cal": "--"}  # calibrated accuracy dashed beside the solid acc@0.5
CSV_COLUMNS = [
    "figure",
    "panel",
    "metric",
    "series",
    "group",
    "kind",
    "x",
    "mean",
    "ci_low",
    "ci_high",
    "n",
    "slope",
    "slope_ci_low",
    "slope_ci_high",
    "r2",
]
FIGURES = ("fig1", "fig2", "fig3")
ROBUSTNESS = ("figR", "formatbias")  # from evaluation rows: fakeid.robustness_figures
AUGMENTATION = ("figA",)  # from training rows of an augmentation sweep: fakeid.augment_figures
CHOICES = (*FIGURES, *ROBUSTNESS, *AUGMENTATION, "all")
UNSEEN_CONTENT_TEXT = "unseen content = test sets of the training generator whose category was not trained on"


@dataclass
class Figure:
    """What one figure shows: its numbers (`data`, the CSV) and the words around them."""

    name: str
    data: pd.DataFrame
    title: str
    xlabel: str
    panels: list[tuple[str, str]]  # (panel id, y label)
    caption: str
    integer_x: bool = False
    paths: dict[str, Path] = field(default_factory=dict)

    @property
    def trends(self) -> pd.DataFrame:
        """One row per fitted trend line: series, slope with its 95% CI, R^2, n (none for Fig R)."""
        columns = ["panel", "series", "slope", "slope_ci_low", "slope_ci_high", "r2", "n"]
        if "kind" not in self.data.columns:
            return pd.DataFrame(columns=columns)
        rows = self.data[self.data["kind"] == "trend"]
        return rows.drop_duplicates(["panel", "series"])[columns].reset_index(drop=True)


# ----------------------------------------------------------------------------- selecting rows
def condition_label(seen_generator: bool, seen_category: bool) -> str:
    generator = "seen generator" if seen_generator else "unseen generator"
    content = "seen content" if seen_category else "unseen content"
    return f"{generator}, {content}"


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


def per_run_means(rows: pd.DataFrame, metrics: Sequence[str], keep: Sequence[str] = ()) -> pd.DataFrame:
    """One row per run: the mean of each metric over the given test-set rows, plus the `keep` columns."""
    grouped = rows.groupby(RUN_KEY, sort=True)
    means = grouped[list(metrics)].mean()
    if keep:
        means = means.join(grouped[list(keep)].first())
    return means.reset_index()


def _unseen_content(rows: pd.DataFrame, figure: str, source: str) -> pd.DataFrame:
    unseen = rows[rows["seen_generator"] & ~rows["seen_category"]]
    if unseen.empty:
        raise FakeidError(
            f"{figure} needs test sets of the training generator with unseen content "
            f"(seen_generator True, seen_category False); {source} has none"
        )
    return unseen


def _values_text(values: pd.Series) -> str:
    return ", ".join(str(value) for value in sorted(values.dropna().unique()))


def _pick_fixed(
    per_run: pd.DataFrame, fixed: str, varied: str, wanted: float | None, figure: str, source: str
) -> float:
    """The value of `fixed` to plot: `wanted`, else the one whose runs cover most values of `varied`."""
    available = per_run[fixed].dropna().unique()
    if wanted is not None:
        if not np.isclose(available, wanted).any():
            raise FakeidError(
                f"{figure}: {source} has no runs with {fixed}={wanted} (has {_values_text(per_run[fixed])})"
            )
        return float(available[np.isclose(available, wanted)][0])
    coverage = per_run.groupby(fixed)[varied].agg(["nunique", "size"]).reset_index()
    if coverage.empty:
        raise FakeidError(f"{figure} needs runs with {fixed} recorded; {source} has none")
    # Most values of `varied`, then most runs, then the largest value (e.g. the most diverse training mix).
    return float(coverage.sort_values(["nunique", "size", fixed], ascending=False).iloc[0][fixed])


def _require_spread(values: pd.Series, column: str, figure: str, source: str, where: str = "") -> None:
    if values.nunique() < 2:
        raise FakeidError(
            f"{figure} needs runs with more than one {column}{where}; {source} has only {_values_text(values)}"
        )


# ----------------------------------------------------------------------------- numbers of a figure
def _point_rows(per_run: pd.DataFrame, x: str, metric: str, **labels: object) -> list[dict]:
    table = summarize(per_run, [x], metric)
    return [
        {
            **labels,
            "metric": metric,
            "kind": "point",
            "x": row[x],
            "mean": row["mean"],
            "ci_low": row["ci_low"],
            "ci_high": row["ci_high"],
            "n": row["n"],
        }
        for _, row in table.iterrows()
        if row["n"] > 0
    ]


def _trend_rows(per_run: pd.DataFrame, x: str, metric: str, **labels: object) -> list[dict]:
    data = per_run[[x, metric]].dropna()
    trend = linear_trend(data[x], data[metric])
    ends = [float(data[x].min()), float(data[x].max())]
    return [
        {
            **labels,
            "metric": metric,
            "kind": "trend",
            "x": end,
            "mean": fitted,
            "ci_low": math.nan,
            "ci_high": math.nan,
            "n": trend.n,
            "slope": trend.slope,
            "slope_ci_low": trend.slope_ci_low,
            "slope_ci_high": trend.slope_ci_high,
            "r2": trend.r2,
        }
        for end, fitted in zip(ends, trend.predict(ends))
    ]


def _categories_text(categories: float) -> str:
    return f"{int(categories)} training categor{'y' if int(categories) == 1 else 'ies'}"


def _has_values(frame: pd.DataFrame, metric: str) -> bool:
    return metric in frame.columns and frame[metric].notna().any()


def _describe_runs(rows: pd.DataFrame, data: pd.DataFrame) -> str:
    kinds = rows[DATASET_KIND].dropna().unique() if DATASET_KIND in rows.columns else []
    kind_text = " + ".join(DATASET_KIND_TEXT.get(kind, str(kind)) for kind in sorted(kinds)) or "data kind not recorded"
    counts = data.loc[data["kind"] == "point", "n"].astype(int)
    low, high = int(counts.min()), int(counts.max())
    per_point = f"n = {low} runs (seeds) per point" if low == high else f"n = {low}-{high} runs (seeds) per point"
    generators = _values_text(rows.loc[rows["seen_generator"], "generator"]) if "generator" in rows.columns else "?"
    unknown = rows.attrs.get("unknown_sets") or []
    left_out = f"; left out (content unknown: no category level): {', '.join(unknown)}" if unknown else ""
    return f"{kind_text}; trained on {generators}; mean \u00b1 95% CI, {per_point}{left_out}"


def _frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows).reindex(columns=CSV_COLUMNS)


def fig1_data(df: pd.DataFrame, drop_rate: float | None = None, source: str = "the results table") -> Figure:
    """Fig 1: unseen-content accuracy and AP vs the number of training categories, with trends."""
    metrics = ["acc", "acc_cal", "ap"]
    rows = ok_test_rows(df, "fig1", [CATEGORIES, DROP_RATE, *metrics], source)
    per_run = per_run_means(_unseen_content(rows, "fig1", source), metrics, keep=[CATEGORIES, DROP_RATE])
    fixed = _pick_fixed(per_run, DROP_RATE, CATEGORIES, drop_rate, "fig1", source)
    per_run = per_run[np.isclose(per_run[DROP_RATE], fixed)]
    _require_spread(per_run[CATEGORIES], CATEGORIES, "fig1", source, f" at {DROP_RATE}={fixed}")
    out: list[dict] = []
    for panel, metric in (("acc", "acc"), ("acc", "acc_cal"), ("ap", "ap")):
        if not _has_values(per_run, metric):
            continue
        labels = {"figure": "fig1", "panel": panel, "series": METRIC_TEXT[metric], "group": panel}
        out += _point_rows(per_run, CATEGORIES, metric, **labels)
        if metric != "acc_cal":  # one trend per panel keeps the legend readable
            out += _trend_rows(per_run, CATEGORIES, metric, **labels)
    data = _frame(out)
    return Figure(
        name="fig1",
        data=data,
        title=f"Fig 1. Detection of unseen content vs number of training categories (dropout {fixed:g})",
        xlabel="number of training categories",
        panels=[("acc", "accuracy on unseen content"), ("ap", "AP on unseen content")],
        caption=f"{_describe_runs(rows, data)}. {UNSEEN_CONTENT_TEXT}; trend: least squares on per-run values.",
        integer_x=True,
    )


def fig2_data(df: pd.DataFrame, source: str = "the results table") -> Figure:
    """Fig 2: unseen-content accuracy and AP vs dropout ratio, a line and trend per number of categories."""
    metrics = ["acc", "ap"]
    rows = ok_test_rows(df, "fig2", [CATEGORIES, DROP_RATE, *metrics], source)
    per_run = per_run_means(_unseen_content(rows, "fig2", source), metrics, keep=[CATEGORIES, DROP_RATE])
    _require_spread(per_run[DROP_RATE], DROP_RATE, "fig2", source)
    spread = per_run.groupby(CATEGORIES)[DROP_RATE].nunique()
    out: list[dict] = []
    for categories in spread[spread >= 2].index:
        runs = per_run[per_run[CATEGORIES] == categories]
        for metric in metrics:
            labels = {"figure": "fig2", "panel": metric, "series": _categories_text(categories), "group": categories}
            out += _point_rows(runs, DROP_RATE, metric, **labels)
            out += _trend_rows(runs, DROP_RATE, metric, **labels)
    if not out:
        raise FakeidError(f"fig2 needs, for some {CATEGORIES}, runs with more than one {DROP_RATE}; {source} has none")
    data = _frame(out)
    return Figure(
        name="fig2",
        data=data,
        title="Fig 2. Detection of unseen content vs dropout ratio",
        xlabel="dropout ratio",
        panels=[("acc", "accuracy on unseen content (threshold 0.5)"), ("ap", "AP on unseen content")],
        caption=f"{_describe_runs(rows, data)}. {UNSEEN_CONTENT_TEXT}; trend: least squares on per-run values.",
    )


def fig3_data(df: pd.DataFrame, num_categories: int | None = None, source: str = "the results table") -> Figure:
    """Fig 3: accuracy (at 0.5 and calibrated) and AP vs dropout ratio on each unseen-generator test set."""
    metrics = ["acc", "acc_cal", "ap"]
    rows = ok_test_rows(df, "fig3", [CATEGORIES, DROP_RATE, *metrics], source)
    unseen = rows[~rows["seen_generator"]]
    if unseen.empty:
        raise FakeidError(f"fig3 needs test sets of an unseen generator (seen_generator False); {source} has none")
    fixed = _pick_fixed(unseen, CATEGORIES, DROP_RATE, num_categories, "fig3", source)
    unseen = unseen[np.isclose(unseen[CATEGORIES], fixed)]
    _require_spread(unseen[DROP_RATE], DROP_RATE, "fig3", source, f" at {CATEGORIES}={fixed:g}")
    out: list[dict] = []
    for test_set, set_rows in unseen.groupby("set", sort=True):
        seen = set_rows["seen_category"].unique()
        content = condition_label(False, bool(seen[0])) if len(seen) == 1 else "unseen generator, mixed content"
        per_run = per_run_means(set_rows, metrics, keep=[DROP_RATE])  # one row per run already
        for panel, metric in (("acc", "acc"), ("acc", "acc_cal"), ("ap", "ap")):
            if not _has_values(per_run, metric):
                continue
            suffix = ", calibrated threshold" if metric == "acc_cal" else ""
            labels = {"figure": "fig3", "panel": panel, "series": f"{test_set} ({content}){suffix}", "group": test_set}
            out += _point_rows(per_run, DROP_RATE, metric, **labels)
    data = _frame(out)
    return Figure(
        name="fig3",
        data=data,
        title=f"Fig 3. Detection of fakes from unseen generators vs dropout ratio ({_categories_text(fixed)})",
        xlabel="dropout ratio",
        panels=[("acc", "accuracy"), ("ap", "average precision")],
        caption=f"{_describe_runs(rows, data)}. Each line is one test set of a generator not seen in training; "
        "the calibrated threshold is chosen on validation data of the training generator.",
    )


# ----------------------------------------------------------------------------- drawing
def draw(figure: Figure) -> plt.Figure:
    """Draw a figure from its `data` table only, so the CSV is exactly what is plotted."""
    # Constrained layout makes room for the title, the caption and the legends below the axes.
    fig, axes = plt.subplots(
        1, len(figure.panels), figsize=(6.2 * len(figure.panels), 4.8), squeeze=False, layout="constrained"
    )
    groups = list(dict.fromkeys(figure.data["group"].astype(str)))
    colors = {group: plt.get_cmap("tab10")(index % 10) for index, group in enumerate(groups)}
    for ax, (panel, ylabel) in zip(axes[0], figure.panels):
        panel_rows = figure.data[figure.data["panel"] == panel]
        handles = []  # legend in drawing order: each series, then its trend
        for (series, metric), rows in panel_rows.groupby(["series", "metric"], sort=False):
            color = colors[str(rows["group"].iloc[0])]
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
                    linestyle=LINESTYLE.get(metric, "-"),
                    label=series,
                )
            )
            trend = rows[rows["kind"] == "trend"].sort_values("x")
            if not trend.empty:
                first = trend.iloc[0]
                ci = (
                    ""
                    if pd.isna(first["slope_ci_low"])
                    else f" [{first['slope_ci_low']:+.3f}, {first['slope_ci_high']:+.3f}]"
                )
                handles += ax.plot(
                    trend["x"],
                    trend["mean"],
                    color=color,
                    linestyle=":",
                    linewidth=1.5,
                    label=f"  trend: slope {first['slope']:+.3f}{ci}, R\u00b2 {_r2_text(first['r2'])}",
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


def save(figure: Figure, out_dir: str | Path) -> Figure:
    """Write `<name>.png`, `.pdf` and `.csv` into `out_dir`; returns the figure with `paths` filled in."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    drawn = draw(figure)
    figure.paths = {suffix: out_dir / f"{figure.name}.{suffix}" for suffix in ("png", "pdf", "csv")}
    # bbox "tight" keeps the legends below the axes inside the picture.
    drawn.savefig(figure.paths["png"], dpi=150, bbox_inches="tight")
    drawn.savefig(figure.paths["pdf"], bbox_inches="tight", metadata={"CreationDate": None})  # same input, same bytes
    plt.close(drawn)
    figure.data.to_csv(figure.paths["csv"], index=False)
    return figure


def by_augmentation(make: Callable[[pd.DataFrame], Figure], df: pd.DataFrame) -> Figure:
    """`make(df)`; when the runs differ in training augmentation (column `augment`, fakeid.collect), `make` on
    each augmentation's runs, merged into one figure: every series and colour group carries its augmentation,
    so no point pools runs trained differently. An augmentation whose runs cannot make the figure is left out
    and named in the caption."""
    found = df[AUGMENT].dropna().astype(str).unique() if AUGMENT in df.columns else []
    labels = sorted(found, key=lambda label: (label != "none", label))  # no augmentation first
    if len(labels) < 2:
        return make(df)
    made, left_out = [], []
    for label in labels:
        try:
            made.append((label, make(df[df[AUGMENT].astype(str) == label])))
        except FakeidError as err:
            left_out.append(f"{label} ({err})")
    if not made:
        raise FakeidError(f"no training augmentation has runs for this figure: {'; '.join(left_out)}")
    parts = []
    for label, figure in made:
        data = figure.data.copy()
        data["series"] = data["series"].astype(str) + f" | augment {label}"
        data["group"] = data["group"].astype(str) + f" | {label}"
        parts.append(data)
    figure = made[0][1]
    figure.data = pd.concat(parts, ignore_index=True)
    figure.title += ", by training augmentation"
    figure.caption += f" One line per training augmentation ({', '.join(label for label, _ in made)})."
    figure.caption += f" Left out: {'; '.join(left_out)}." if left_out else ""
    return figure


def fig1(
    df: pd.DataFrame, out_dir: str | Path, drop_rate: float | None = None, source: str = "the results table"
) -> Figure:
    return save(by_augmentation(lambda rows: fig1_data(rows, drop_rate, source), df), out_dir)


def fig2(df: pd.DataFrame, out_dir: str | Path, source: str = "the results table") -> Figure:
    return save(by_augmentation(lambda rows: fig2_data(rows, source), df), out_dir)


def fig3(
    df: pd.DataFrame, out_dir: str | Path, num_categories: int | None = None, source: str = "the results table"
) -> Figure:
    return save(by_augmentation(lambda rows: fig3_data(rows, num_categories, source), df), out_dir)


def _makers() -> dict[str, Callable[..., object]]:
    """name -> maker(df, out_dir, source, drop_rate, num_categories) of every figure and table."""
    from fakeid import augment_figures, robustness_figures  # they build on this module

    return {
        # Each of Figs 1-3 reads only the sweeps that vary its x variable: the categories sweep's 10-category
        # point is the same experiment as a dropout-sweep point, and counting both would double runs.
        "fig1": lambda df, out, source, drop_rate, _: fig1(
            sweeps_varying(training_rows(df), CATEGORIES), out, drop_rate, source
        ),
        "fig2": lambda df, out, source, *_: fig2(sweeps_varying(training_rows(df), DROP_RATE), out, source),
        "fig3": lambda df, out, source, _, num_categories: fig3(
            sweeps_varying(training_rows(df), DROP_RATE), out, num_categories, source
        ),
        "figR": lambda df, out, source, *_: robustness_figures.figR(df, out, source),
        "formatbias": lambda df, out, source, *_: robustness_figures.formatbias(df, out, source),
        "figA": lambda df, out, source, drop_rate, _: augment_figures.figA(df, out, drop_rate, source),
    }


def write_all(
    df: pd.DataFrame,
    out_dir: str | Path,
    source: str = "the results table",
    drop_rate: float | None = None,
    num_categories: int | None = None,
) -> dict[str, object]:
    """Every figure the table supports: name -> Figure (or table), or name -> the one-line reason it cannot be
    drawn. Figs 1-3 are tried when the table has training rows, Fig R and the format-bias table when it has
    evaluation rows."""
    kinds = set(row_kinds(df))
    names = [*(FIGURES if "train" in kinds else ()), *(ROBUSTNESS if "eval" in kinds else ())]
    if "train" in kinds and AUGMENT in df.columns and training_rows(df)[AUGMENT].nunique() > 1:
        names += AUGMENTATION  # Fig A when the training augmentation varies
    makers = _makers()
    made: dict[str, object] = {}
    for name in names:
        try:
            made[name] = makers[name](df, out_dir, source, drop_rate, num_categories)
        except FakeidError as err:
            made[name] = str(err)
    return made


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


# ----------------------------------------------------------------------------- tables
def _summary_table(per_run: pd.DataFrame, by: Sequence[str], metrics: Sequence[str]) -> pd.DataFrame:
    """Mean and 95% CI of each metric per group of `by`: columns by..., n, m, m_ci_low, m_ci_high."""
    table = None
    for metric in metrics:
        part = summarize(per_run, by, metric).rename(
            columns={"mean": metric, "ci_low": f"{metric}_ci_low", "ci_high": f"{metric}_ci_high", "n": f"{metric}_n"}
        )
        table = part if table is None else table.merge(part, on=list(by), how="outer")
    assert table is not None
    sizes = per_run.groupby(list(by), dropna=False).size().rename("n").reset_index()
    table = sizes.merge(table, on=list(by), how="left")
    return table.drop(columns=[f"{metric}_n" for metric in metrics])


def per_set_table(
    df: pd.DataFrame,
    by: Sequence[str] = (CATEGORIES, DROP_RATE),
    metrics: Sequence[str] = TEST_METRICS,
    source: str = "the results table",
) -> pd.DataFrame:
    """Mean and 95% CI over runs of each metric, per test set and value of `by` (one row per set x value)."""
    rows = ok_test_rows(df, "per_set_table", [*by, *metrics], source)
    rows["condition"] = [condition_label(g, c) for g, c in zip(rows["seen_generator"], rows["seen_category"])]
    # A set's condition can differ between values of `by` (its category is trained on from some n on).
    return _summary_table(rows, ["set", "condition", *by], metrics)


def seen_unseen_table(
    df: pd.DataFrame,
    by: Sequence[str] = (),
    metrics: Sequence[str] = ("acc", "acc_cal", "ap", "auroc"),
    source: str = "the results table",
) -> pd.DataFrame:
    """Seen vs unseen generator and content: per run the mean over the sets of each condition, then mean
    and 95% CI over runs, per condition (and value of `by`)."""
    rows = ok_test_rows(df, "seen_unseen_table", [*by, *metrics], source)
    rows["condition"] = [condition_label(g, c) for g, c in zip(rows["seen_generator"], rows["seen_category"])]
    per_run = rows.groupby([*RUN_KEY, "condition", *by], dropna=False)[list(metrics)].mean().reset_index()
    return _summary_table(per_run, ["condition", *by], metrics)


# ----------------------------------------------------------------------------- CLI
def draw_from_csvs(
    figure: str,
    csvs: Sequence[str | Path],
    out_dir: str | Path,
    drop_rate: float | None = None,
    num_categories: int | None = None,
) -> dict[str, object]:
    """What the CLI does: read the CSVs, draw `figure` (or `all` it supports), print what was written."""
    if figure not in CHOICES:
        raise FakeidError(f"figure={figure}: expected one of {', '.join(CHOICES)}")
    if not csvs:
        raise FakeidError("csv=[]: expected at least one results CSV of python -m fakeid.collect")
    df = pd.concat([read_results(path) for path in csvs], ignore_index=True)
    source = ", ".join(str(path) for path in csvs)
    if figure == "all":
        made = write_all(df, out_dir, source, drop_rate, num_categories)
    else:
        made = {figure: _makers()[figure](df, out_dir, source, drop_rate, num_categories)}
    for name, result in made.items():
        if isinstance(result, str):
            print(f"fakeid: skipped {name}: {result}", file=sys.stderr)
        else:
            print(" ".join(str(path) for path in result.paths.values()))
    if all(isinstance(result, str) for result in made.values()):
        raise FakeidError(f"no figure could be drawn from {source}")
    return made


@hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name="figures")
def _app(cfg: DictConfig) -> None:
    with one_line_errors():
        expected = "csv=RESULTS.csv or csv=[A.csv,B.csv] (written by python -m fakeid.collect)"
        csvs = as_list(require(cfg, "csv", expected))
        draw_from_csvs(
            str(cfg.figure),
            [Path(str(path)) for path in csvs],
            Path(str(cfg.out)),
            _number(cfg, "drop_rate", float),
            _number(cfg, "num_categories", int),
        )


def _number(cfg: DictConfig, key: str, kind: type) -> float | int | None:
    value = cfg[key]
    if value is None:
        return None
    try:
        if isinstance(value, bool) or (kind is int and float(value) != int(float(value))):
            raise ValueError
        return kind(float(value)) if kind is int else kind(value)
    except (TypeError, ValueError):
        raise FakeidError(f"{key}={value}: expected a number ({'an integer' if kind is int else 'e.g. 0.5'})") from None


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m fakeid.figures figure=NAME csv=[A.csv,...] out=DIR`; `argv` runs it in-process (tests)."""
    return run_app(_app, "figures", argv)


if __name__ == "__main__":
    raise SystemExit(main())
