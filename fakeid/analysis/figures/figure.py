"""What a figure of the study is (`Figure`: its numbers and its words), the keys that choose its slice
(`Options`), and the names and texts the figure data, the drawing and the tables share."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

CATEGORIES = "data.num_categories"
DROP_RATE = "model.drop_rate"
DATASET_KIND = "data.dataset_kind"
MODEL = "model.name"  # the network (model=xception,npr): figures draw each model's lines apart when it varies
AUGMENT = "augment"  # the training augmentation's label (fakeid.analysis.collect); figures group by it when it varies
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
    "trend_p",
    "trend_direction",
    "lack_of_fit_p",
    "line",
    "clipped",
    "role",
    "sets",
    "n_sets",
    "marked",
    "p_holm",
]
# role of a series: "primary" (the test sets held fixed across x), "secondary" (an average whose sets change
# with x: drawn grey), "per set" (one test set, at the x where it is in the group)
PRIMARY, SECONDARY, PER_SET = "primary", "secondary", "per set"
FIGURES = ("fig1", "fig2", "fig3")
OTHER_GENERATORS = ("fig3_deconvgan",)  # Fig 3 on the unseen generators besides StyleGAN2, where a table has them
SEED = "seed"
ROBUSTNESS = ("figR", "formatbias")  # from evaluation rows: fakeid.analysis.figures.robustness
ANALYSES = ("compare", "plan", "calibration")  # fakeid.analysis: asked for by name, not part of `all`
AUGMENTATION = ("figA",)  # from training rows of an augmentation sweep: fakeid.analysis.figures.augment
CHOICES = (*FIGURES, *ROBUSTNESS, *AUGMENTATION, *OTHER_GENERATORS, *ANALYSES, "all")
UNSEEN_CONTENT_TEXT = "unseen content = test sets of the training generator whose category was not trained on"
TREND_TEXT = (
    "Trend: Page's L with seeds as blocks; dotted line through the level means only where a line fits (lack of "
    "fit p >= 0.05), else the joined means are the trend; clipped intervals (open markers) end at [0, 1]."
)


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
    comparison: object = None  # the fakeid.analysis.compare.Comparison behind the marks, when one was made

    @property
    def trends(self) -> pd.DataFrame:
        """One row per trend: series, slope of the level means with its 95% CI, R^2, n of runs, Page's L p, the
        line's lack-of-fit p and whether the line is drawn (none for Fig R)."""
        columns = [
            "panel",
            "series",
            "slope",
            "slope_ci_low",
            "slope_ci_high",
            "r2",
            "n",
            "trend_p",
            "trend_direction",
            "lack_of_fit_p",
            "line",
        ]
        if "kind" not in self.data.columns:
            return pd.DataFrame(columns=columns)
        rows = self.data[self.data["kind"] == "trend"]
        return rows.drop_duplicates(["panel", "series"])[columns].reset_index(drop=True)


@dataclass
class Options:
    """The figure keys of conf/figures.yaml that choose a slice or tune the comparison behind the marks."""

    drop_rate: float | None = None
    num_categories: int | None = None
    baseline: object = None
    variable: str | None = None
    n_boot: int = 2000
    bootstrap_seed: int = 0
    effect: float = 0.05  # the default of conf/figures.yaml's `effect`
    run: str | None = None
    level: object = None
    min_bin_count: int = 10
