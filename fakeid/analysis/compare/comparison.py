"""The result of a comparison (`Comparison`: its table, power summary and notes), as compare.csv/md and
plan.csv/md, and the text forms of its numbers."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fakeid.analysis import power
from fakeid.core.metric_names import HEADLINE_METRICS, SUMMARY_METRICS

COMPARE_METRICS = SUMMARY_METRICS
ALPHA = 0.05  # a mark: p_holm below it
BOOTSTRAP, SEED_ONLY = "two-level bootstrap", "seed-only paired t"
SEED = "seed"
FIXED_SEED = "fixed"  # the seed of a detector that has none (a published checkpoint): paired with every seed
COLUMNS = [
    "variable",
    "baseline",
    "level",
    "group",
    "metric",
    "diff",
    "ci_low",
    "ci_high",
    "p",
    "p_holm",
    "supported",
    "excludes_zero",
    "p_boot",
    "ct_ci_low",
    "ct_ci_high",
    "ct_p",
    "seed_dominated",
    "method",
    "resampling",
    "n_seeds",
    "seeds",
    "only_level_seeds",
    "only_baseline_seeds",
    "n_sets",
    "sets",
    "t_ci_low",
    "t_ci_high",
    "t_p",
    "var_seed",
    "var_image",
    "vc_seed",
    "vc_image",
    "vc_interaction",
    "n_images",
    "mde",
    "seeds_needed",
    "effect",
    "n_boot",
    "bootstrap_seed",
]
RESAMPLING_TEXT = (
    "crossed: every seed scored on the same images, one image resample shared by all seeds of a replicate; "
    "nested: each seed on its own images"
)
METRIC_SHORT = {"acc": "acc", "acc_cal": "acc_cal", "ap": "AP", "auroc": "AUROC"}


@dataclass
class Comparison:
    """The comparison table (`COLUMNS`, one row per level x group x metric), its power summary and notes."""

    variable: str
    baseline: Any
    levels: list[Any]
    table: pd.DataFrame
    power: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    source: str = "the results table"

    def power_statement(self, group: str, metrics: Sequence[str] = HEADLINE_METRICS) -> str:
        """ "this sweep can detect differences of X (acc), Y (AP) or more on <group>" (80 % power, 5 % level)."""
        rows = self.power[(self.power["group"] == group) & self.power["metric"].isin(metrics)]
        rows = rows[rows["mde"].notna()]
        if rows.empty:
            return f"the power on {group} is unknown (fewer than 2 paired seeds, or no scores.csv)"
        parts = ", ".join(f"{row.mde:.3f} ({METRIC_SHORT.get(row.metric, row.metric)})" for row in rows.itertuples())
        seeds = int(rows["n_seeds"].min())
        family = int(rows["family"].iloc[0])
        marks = ", ".join(
            f"{_reachable(row.mde_mark)} ({METRIC_SHORT.get(row.metric, row.metric)})" for row in rows.itertuples()
        )
        return (
            f"with {seeds} paired seed{'s' if seeds != 1 else ''} this sweep can detect differences of {parts} or "
            f"more on {group} (80 % power at the 5 % level, noncentral t; a mark, Holm over {family} comparisons, "
            f"needs {marks})"
        )

    def marks(self, group: str, metric: str) -> dict[float, tuple[bool, float]]:
        """level -> (`supported`, Holm-adjusted p) for one group and metric (the figures' marks)."""
        rows = self.table[(self.table["group"] == group) & (self.table["metric"] == metric)]
        return {_key(row.level): (bool(row.supported), float(row.p_holm)) for row in rows.itertuples()}

    def markdown(self) -> str:
        designs = sorted(set(self.table["resampling"])) if len(self.table) else []
        lines = [
            f"# Paired comparison: {self.variable}, each level vs the baseline "
            f"{self.variable}={level_text(self.baseline)}",
            "",
            f"From {self.source}. Difference = level - baseline, mean over paired seeds. 95 % interval: the "
            "bootstrap over seeds and test images (from scores.csv) unless `method` says seed-only; images "
            f"resampled {' / '.join(designs)} ({RESAMPLING_TEXT}). p: the larger of the bootstrap's p and the "
            "crossed t's (the t test whose standard error adds the image noise the seeds share; its interval is "
            "shown). p_holm: Holm's correction over the whole table (every level x group x metric below is one "
            "family). `*`: p_holm < 0.05; `(*)`: the bootstrap interval excludes 0 but the mark's test does not "
            "(docs/statistics.md: alone, at 3 seeds, it excludes a true 0 far more often than 5 %). Each group is "
            "computed on the sets in it at every level (listed below).",
            "",
        ]
        for group, rows in self.table.groupby("group", sort=False):
            sets = rows["sets"].iloc[0]
            lines += [f"## {group} ({rows['n_sets'].iloc[0]} sets: {sets})", ""]
            header = ["level", "metric", "diff", "95 % interval", "p", "p_holm", "", "crossed t interval", "seeds"]
            body = [
                [
                    level_text(row.level),
                    METRIC_SHORT.get(row.metric, row.metric),
                    _signed(row.diff),
                    f"[{_signed(row.ci_low)}, {_signed(row.ci_high)}]",
                    _p(row.p),
                    _p(row.p_holm),
                    "*" if row.supported else ("(*)" if row.excludes_zero else ""),
                    f"[{_signed(row.ct_ci_low)}, {_signed(row.ct_ci_high)}]",
                    str(row.seeds),
                ]
                for row in rows.itertuples()
            ]
            lines += [*markdown_table(header, body), ""]
        methods = ", ".join(sorted(set(self.table["method"])))
        marked = int(self.table["supported"].sum())
        lines += [f"Method: {methods}. {marked} of {len(self.table)} differences marked.", ""]
        lines += ["## Power and the planner", ""]
        family = int(self.power["family"].iloc[0]) if len(self.power) else 0
        lines += [
            *self._plan_table(),
            "",
            "Detectable difference: 80 % power at the 5 % level of the crossed t test, by the noncentral t on "
            "seeds - 1 degrees of freedom; the variance parts are estimated from the per-image scores and averaged "
            f"over the levels (fakeid.analysis.power). 'A mark': at 5 % / {family}, Holm's first step in this "
            f"table's family of {family} (the mark's power is at least that). The shared image noise does not "
            "average out over seeds: "
            f"'> {power.MAX_SEEDS}' means more test images are needed, not more seeds. The same table is "
            "`figure=plan`'s plan.csv.",
            "",
        ]
        for group in self.power["group"].unique():
            lines.append(f"- {self.power_statement(group)}.")
        if self.notes:
            lines += ["", "## Notes", "", *(f"- {note}" for note in self.notes)]
        return "\n".join(lines) + "\n"

    def _plan_table(self) -> list[str]:
        """The planner's table (`self.power`) as markdown lines: compare.md's power section and plan.md."""
        effect = self.table["effect"].iloc[0] if len(self.table) else math.nan
        header = [
            "group",
            "metric",
            "paired seeds",
            "images per set",
            "sd: seed / shared image / interaction",
            "detectable difference: one test / a mark",
            *(f"seeds for {effect:g} at {factor}x images: one test / a mark" for factor in power.IMAGE_FACTORS),
        ]
        body = [
            [
                row.group,
                METRIC_SHORT.get(row.metric, row.metric),
                str(int(row.n_seeds)),
                _number(row.n_images, "{:.0f}"),
                " / ".join(_sd(v) for v in (row.vc_seed, row.vc_image, row.vc_interaction)),
                f"{_number(row.mde)} / {_number(row.mde_mark)}",
                *(_both_seeds(row, factor) for factor in power.IMAGE_FACTORS),
            ]
            for row in self.power.itertuples()
        ]
        return markdown_table(header, body)

    def plan_markdown(self) -> str:
        """plan.md: the planner's table and how to read it."""
        effect = self.table["effect"].iloc[0] if len(self.table) else math.nan
        family = int(self.power["family"].iloc[0]) if len(self.power) else 0
        return "\n".join(
            [
                f"# Planner: seeds and test images to detect a difference of {effect:g} ({self.variable})",
                "",
                f"From the pilot {self.source}: the variance parts of a paired difference (each level vs "
                f"{self.variable}={level_text(self.baseline)}, averaged over the levels), estimated from the "
                "per-image scores with the crossed design in mind: the image noise every seed shares does not "
                "average out over seeds, only over more test images. Seeds needed: the fewest with 80 % power at "
                "the 5 % level for the crossed t test (noncentral t on seeds - 1 degrees of freedom, "
                f"fakeid.analysis.power); '> {power.MAX_SEEDS}': more seeds alone do not get there. Images: "
                "each test set scaled by the factor (the image parts shrink in proportion). 'A mark': a star "
                f"of compare.md, p_holm < 0.05 in its family of {family} comparisons, planned at 5 % / {family} "
                "(Holm's first step; the mark's power is at least that).",
                "",
                *self._plan_table(),
                "",
            ]
        )

    def write_plan(self, out_dir: str | Path) -> dict[str, Path]:
        """plan.csv (`self.power`) and plan.md in `out_dir`."""
        return _write_table(out_dir, "plan", self.power, self.plan_markdown())

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """compare.csv (`self.table`) and compare.md in `out_dir`."""
        return _write_table(out_dir, "compare", self.table, self.markdown())

    def to_record(self) -> dict[str, Any]:
        """The comparison as plain JSON values (its tables with their dtypes), for the drawn record of
        `figure=compare` (fakeid.analysis.figures.provenance): a report takes it back with `from_record`."""
        return {
            "variable": self.variable,
            "baseline": _plain(self.baseline),
            "levels": _plain(list(self.levels)),
            "table": _frame_record(self.table),
            "power": _frame_record(self.power),
            "notes": list(self.notes),
        }

    @classmethod
    def from_record(cls, record: dict[str, Any], source: str) -> Comparison:
        """The comparison `to_record` wrote, its tables with their dtypes restored; `source` as the caller names
        the rows (a report: its sweep folder)."""
        return cls(
            variable=record["variable"],
            baseline=record["baseline"],
            levels=list(record["levels"]),
            table=_frame(record["table"]),
            power=_frame(record["power"]),
            notes=list(record["notes"]),
            source=source,
        )


def _plain(value: Any) -> Any:
    """numpy scalars as Python's, containers item by item: what JSON writes and reads back as the same value."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    return value


def _frame_record(frame: pd.DataFrame) -> dict[str, Any]:
    return {
        "columns": [str(name) for name in frame.columns],
        "dtypes": [str(dtype) for dtype in frame.dtypes],
        "rows": _plain(frame.to_numpy(dtype=object).tolist()),
    }


def _frame(record: dict[str, Any]) -> pd.DataFrame:
    frame = pd.DataFrame(record["rows"], columns=record["columns"], dtype=object)
    for name, dtype in zip(record["columns"], record["dtypes"], strict=True):
        if dtype != "object":
            frame[name] = frame[name].astype(dtype)
    return frame


def _write_table(out_dir: str | Path, stem: str, table: pd.DataFrame, text: str) -> dict[str, Path]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"csv": out_dir / f"{stem}.csv", "md": out_dir / f"{stem}.md"}
    table.to_csv(paths["csv"], index=False)
    paths["md"].write_text(text)
    return paths


# ----------------------------------------------------------------------------- formatting
def markdown_table(header: Sequence[str], body: Sequence[Sequence[str]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
        *("| " + " | ".join(cells) + " |" for cells in body),
    ]


def level_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return f"{value:g}" if abs(value) >= 1 else f"{value:.1f}"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _signed(value: float) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:+.3f}"


def _number(value: float, form: str = "{:.3f}") -> str:
    return "n/a" if value is None or math.isnan(value) else form.format(value)


def _both_seeds(row: Any, factor: int) -> str:
    """'one test / a mark' seeds needed at `factor` x images, from a planner row."""
    return f"{_seeds(getattr(row, f'seeds_needed_x{factor}'))} / {_seeds(getattr(row, f'mark_seeds_x{factor}'))}"


def _reachable(difference: float) -> str:
    """A detectable difference; one of 1 or more cannot occur (a difference of shares), so it is said so."""
    return "out of reach" if difference >= 1 else _number(difference)


def _sd(variance: float) -> str:
    return _number(math.sqrt(variance) if variance >= 0 else math.nan)


def _seeds(value: float) -> str:
    if value is None or math.isnan(value):
        return "n/a"
    return f"> {power.MAX_SEEDS}" if math.isinf(value) else str(int(value))


def _p(value: float) -> str:
    if value is None or math.isnan(value):
        return "n/a"
    return f"{value:.4f}" if value < 0.001 else f"{value:.3f}"


def _key(value: Any) -> Any:
    return round(float(value), 9) if isinstance(value, (int, float, np.number)) else value
