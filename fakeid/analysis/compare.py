"""Paired comparisons of a sweep's levels against a baseline level, with seed- and image-level uncertainty.

Runs of a sweep are paired: one seed gives the same training sample and initial weights at every level of the
swept variable, and every run is tested on the same images. For the variable the table varies (detected, or
`variable=`), each level L is compared with the baseline level b, per test-set group and metric:

- *pairs*: the seeds that have a run at both L and b. A seed with a run on one side only is listed
  (`only_level_seeds`, `only_baseline_seeds`) and left out of that comparison; two runs at one (level, seed),
  or paired runs scored on different images, are refused (a mismatched pairing).
- *sets*: a group's sets are those in the group at every level (`fakeid.analysis.rows.constant_sets`), so a
  difference never mixes in a change of test data; they are listed in `sets`.
- *estimate*: `diff`, the mean over paired seeds of `metric(L, seed) - metric(b, seed)`, a run's metric being
  the mean over the group's sets of the value in metrics.json.
- *interval* (`method` "two-level bootstrap"): each of `n_boot` replicates draws k seeds with replacement from
  the k paired seeds and, per test set, one stratified resample of its images (`fakeid.analysis.bootstrap`),
  recomputes the metric of both runs of every drawn seed on it and averages the differences. `resampling` says
  how the images are drawn (`fakeid.analysis.resampling`): `crossed` when every seed was scored on the same
  images (one image resample shared by all drawn seeds: Owen's pigeonhole bootstrap; the shared image noise
  does not cancel), `nested` when each seed has its own images (one resample per drawn seed), detected from
  the image paths in scores.csv (a partial overlap is refused). The 95 % interval is the percentile interval of
  the replicates; `p_boot` is two-sided, `2 * min(share <= 0, share >= 0)` with `(count + 1) / (n_boot + 1)`.
- *crossed t*: `ct_ci_low`, `ct_ci_high`, `ct_p`: the t test whose standard error adds the shared image variance
  to the seeds' (k - 1 degrees of freedom, `fakeid.analysis.resampling.crossed_t`). At 3 seeds the bootstrap
  alone is too narrow where seed noise dominates; the crossed t holds its level in every simulated case
  (`fakeid.analysis.simulation`, docs/statistics.md), so `p = max(p_boot, ct_p)`: an intersection-union test,
  wrong only when both are.
- *fallback* (`method` "seed-only paired t"): where a paired run has no scores.csv (runs older than scores.csv)
  the interval and p are the paired t test over seeds (`fakeid.analysis.stats.paired_t`), and the runs are named.
- `p_holm`: Holm's correction of `p` over the family of the whole table: every level x group x metric compared
  in one call (one compare.csv, or one figure's marks). `supported` (what Figs 1-3 mark and compare.md stars)
  is `p_holm < 0.05`; `excludes_zero`: the bootstrap interval excludes 0 (unadjusted; `(*)` in compare.md when
  it is not supported). `seed_dominated` (informational): the seeds' variance of the difference exceeds twice
  the image-level variance.
- power (`fakeid.analysis.power`): the variance components (`vc_seed`, `vc_image` shared by the seeds,
  `vc_interaction`), `mde`, the smallest difference this many seeds detect with 80 % power at the 5 % level
  (noncentral t), and `seeds_needed` for `effect` (math.inf: more seeds alone do not get there).

Deterministic: the replicates depend only on `bootstrap_seed`, the level, the set names and `n_boot`.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fakeid.analysis import power
from fakeid.analysis.bootstrap import bootstrap_set, percentile_interval, seed_sequence
from fakeid.analysis.collect import hparam_columns
from fakeid.analysis.resampling import bootstrap_p, crossed_t, design_of, mark_p, paired_replicates
from fakeid.analysis.rows import GROUPS, RUN_KEY, constant_sets, ok_test_rows, sweeps_varying, training_rows
from fakeid.analysis.scores import SetScores, read_scores, scores_file
from fakeid.analysis.stats import CONFIDENCE, holm, paired_t
from fakeid.core.errors import FakeidError

COMPARE_METRICS = ("acc", "acc_cal", "ap", "auroc")
ALPHA = 0.05  # a mark: p_holm below it
BOOTSTRAP, SEED_ONLY = "two-level bootstrap", "seed-only paired t"
SEED = "seed"
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

    def power_statement(self, group: str, metrics: Sequence[str] = ("acc", "ap")) -> str:
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


# ----------------------------------------------------------------------------- levels and pairs
def determined_by(rows: pd.DataFrame, variable: str, other: str) -> bool:
    """Whether each level of `variable` has one value of `other` (a parameter of the level, such as the
    `augment.blur_prob` of `augment=blur_jpeg 0.1`): such a column varies with the variable, not across pairs."""
    values = rows[[variable, other]].astype(str)
    return bool((values.groupby(variable)[other].nunique() <= 1).all())


def detect_variable(rows: pd.DataFrame, variable: str | None, source: str) -> tuple[str, pd.DataFrame]:
    """The variable to compare and the rows that vary it: `variable` (rows restricted to the sweeps that vary
    it), else the one hyper-parameter column that takes more than one value. Columns that only restate the
    variable's level (each level has one value of them) do not count as a second variable; of several columns
    that restate each other, the one without a dot is taken (`augment`, not `augment.blur_prob`)."""
    if variable is not None:
        if variable not in rows.columns:
            raise FakeidError(f"variable={variable}: {source} has no such column")
        rows = sweeps_varying(rows, variable)
    candidates = [name for name in hparam_columns(rows.columns) if name != SEED]
    varying = [name for name in candidates if rows[name].dropna().astype(str).nunique() > 1]
    if variable is None:
        if not varying:
            raise FakeidError(f"compare needs a table that varies a hyper-parameter; {source} has one level of each")
        explaining = [
            name for name in varying if all(determined_by(rows, name, other) for other in varying if other != name)
        ]
        if not explaining:
            raise FakeidError(
                f"{source} varies {', '.join(varying)}: pass variable=NAME to say which to compare "
                "(the others must be fixed: collect one sweep)"
            )
        return sorted(explaining, key=lambda name: ("." in name, name))[0], rows
    others = [name for name in varying if name != variable and not determined_by(rows, variable, name)]
    if others:
        raise FakeidError(
            f"variable={variable}: {source} also varies {', '.join(others)}, so runs would be paired across "
            "them; compare one sweep (collect it alone)"
        )
    return variable, rows


def match_level(levels: Sequence[Any], wanted: Any, variable: str, source: str) -> Any:
    """The level equal to `wanted` (numbers compare as numbers: 1 == 1.0), else one line listing the levels."""
    for level in levels:
        try:
            if math.isclose(float(level), float(wanted), rel_tol=0, abs_tol=1e-9):
                return level
        except (TypeError, ValueError):
            if str(level) == str(wanted):
                return level
    listed = ", ".join(level_text(level) for level in levels)
    raise FakeidError(f"baseline={wanted}: {source} has no runs with {variable}={wanted} (levels: {listed})")


def sorted_levels(values: pd.Series) -> list[Any]:
    unique = list(pd.unique(values.dropna()))
    try:
        return sorted(unique, key=float)
    except (TypeError, ValueError):
        return sorted(unique, key=str)


def _run_table(rows: pd.DataFrame, variable: str, source: str) -> pd.DataFrame:
    """One row per run: its level, seed, threshold and scores file; refuses two runs at one (level, seed)."""
    if SEED not in rows.columns or rows[SEED].isna().any():
        raise FakeidError(f"mismatched pairing: {source} has runs without a `seed`; runs are paired by seed")
    extra = [name for name in ("threshold", "scores_file") if name in rows.columns]
    runs = rows.groupby(RUN_KEY, sort=True)[[variable, SEED, *extra]].first().reset_index()
    runs["level_key"] = runs[variable].map(_key)
    duplicated = runs[runs.duplicated(["level_key", SEED], keep=False)]
    if not duplicated.empty:
        first = duplicated.iloc[0]
        same = duplicated[(duplicated["level_key"] == first["level_key"]) & (duplicated[SEED] == first[SEED])]
        dirs = ", ".join(f"{row.sweep}/{row.run_dir}" for row in same.itertuples())
        raise FakeidError(
            f"mismatched pairing: {variable}={level_text(first[variable])} seed={first[SEED]} has {len(same)} runs "
            f"({dirs}); each level needs one run per seed (collect one sweep)"
        )
    return runs


# ----------------------------------------------------------------------------- image-level replicates
def _load_scores(runs: pd.DataFrame, source: str) -> tuple[dict[tuple[str, str], dict[str, SetScores]], list[str]]:
    loaded, missing = {}, []
    for run in runs.itertuples():
        path = scores_file(run.sweep, run.run_dir, getattr(run, "scores_file", None), source)
        if path.is_file():
            loaded[(run.sweep, run.run_dir)] = read_scores(path)
        else:
            missing.append(str(path.parent))
    return loaded, missing


def _designs(
    scores: dict[tuple[str, str], dict[str, SetScores]], seeds: dict[tuple[str, str], Any], sets: Sequence[str]
) -> dict[str, str]:
    """set -> CROSSED or NESTED (`fakeid.analysis.resampling.design_of`). Every run with scores has each set, and
    the runs of one seed (the two sides of its pairs) the same images, or it is a mismatched pairing."""
    designs = {}
    for name in sets:
        by_seed: dict[Any, tuple[tuple[str, str], SetScores]] = {}
        for key, per_set in scores.items():
            if name not in per_set:
                raise FakeidError(f"{key[0]}/{key[1]}/scores.csv: has no scores of test set {name}")
            reference = by_seed.setdefault(seeds[key], (key, per_set[name]))
            if per_set[name].paths != reference[1].paths:
                other, theirs = reference
                raise FakeidError(
                    f"mismatched pairing: test set {name} has different images in {key[0]}/{key[1]} "
                    f"({len(per_set[name].paths)} images) and {other[0]}/{other[1]} ({len(theirs.paths)}) of the "
                    f"same seed {seeds[key]}; paired runs must be scored on the same test images"
                )
        designs[name] = design_of({seed: data.paths for seed, (_, data) in by_seed.items()}, name)
    return designs


def _set_replicates(
    scores: dict[tuple[str, str], dict[str, SetScores]],
    thresholds: dict[tuple[str, str], float],
    sets: Sequence[str],
    n_boot: int,
    bootstrap_seed: int,
) -> dict[tuple[tuple[str, str], str], dict[str, np.ndarray]]:
    """(run, set) -> metric -> (n_boot,) replicates; one random stream per set, so paired runs share images."""
    result = {}
    for key, per_set in scores.items():
        for name in sets:
            rng = np.random.default_rng(seed_sequence(bootstrap_seed, "images", name))
            data = per_set[name]
            result[(key, name)] = bootstrap_set(data.scores, data.labels, n_boot, rng, thresholds.get(key))
    return result


# ----------------------------------------------------------------------------- the comparison
def _seeds_text(seeds: Sequence[Any]) -> str:
    return ";".join(level_text(seed) for seed in seeds) if len(seeds) else ""


def compare(
    df: pd.DataFrame,
    variable: str | None = None,
    baseline: Any = None,
    *,
    metrics: Sequence[str] = COMPARE_METRICS,
    groups: dict[str, Callable[[pd.DataFrame], pd.Series]] | None = None,
    n_boot: int = 2000,
    bootstrap_seed: int = 0,
    effect: float = 0.05,
    confidence: float = CONFIDENCE,
    source: str = "the results table",
) -> Comparison:
    """Each level of `variable` vs `baseline` (default: the smallest level), per group and metric (module
    docstring). `groups`: name -> mask of the test-set rows (default `fakeid.analysis.rows.GROUPS`)."""
    if int(n_boot) < 1:
        raise FakeidError(f"n_boot={n_boot}: expected a positive number of bootstrap replicates, e.g. 2000")
    if not effect > 0:
        raise FakeidError(f"effect={effect}: expected a positive difference, e.g. 0.05")
    rows = ok_test_rows(df, "compare", list(metrics), source)
    variable, rows = detect_variable(rows, variable, source)
    levels = sorted_levels(rows[variable])
    if len(levels) < 2:
        raise FakeidError(
            f"compare needs at least two levels of {variable}; {source} has only {', '.join(map(level_text, levels))}"
        )
    notes: list[str] = []
    if baseline is None:
        baseline = levels[0]
        notes.append(f"baseline {variable}={level_text(baseline)}: the smallest level (no baseline= given)")
    baseline = match_level(levels, baseline, variable, source)
    runs = _run_table(rows, variable, source)
    group_masks = groups if groups is not None else GROUPS
    group_sets = {}
    for name, mask in group_masks.items():
        sets = constant_sets(rows, mask(rows), variable)
        if sets:
            group_sets[name] = sets
        else:
            notes.append(f"group {name}: no test set is in it at every level of {variable}; not compared")
    if not group_sets:
        raise FakeidError(f"compare: no test-set group of {source} keeps the same sets at every level of {variable}")
    needed_sets = sorted({name for sets in group_sets.values() for name in sets})
    scores, missing = _load_scores(runs, source)
    if missing:
        shown = ", ".join(missing[:4]) + (f", ... ({len(missing)} runs)" if len(missing) > 4 else "")
        notes.append(
            f"{len(missing)} of {len(runs)} runs have no scores.csv ({shown}): comparisons involving them use "
            f"seed-only intervals ({SEED_ONLY})"
        )
    designs = _designs(scores, {(run.sweep, run.run_dir): run.seed for run in runs.itertuples()}, needed_sets)
    sizes = {name: len(next(iter(scores.values()))[name].paths) for name in needed_sets} if scores else {}
    thresholds = {
        (run.sweep, run.run_dir): (float(run.threshold) if "threshold" in runs.columns else math.nan)
        for run in runs.itertuples()
    }
    thresholds = {key: (None if math.isnan(value) else value) for key, value in thresholds.items()}  # type: ignore[misc]  # None: no threshold
    replicates = _set_replicates(scores, thresholds, needed_sets, n_boot, bootstrap_seed)

    def observed(run_key: tuple[str, str], sets: Sequence[str], metric: str) -> float:
        mine = rows[(rows["sweep"] == run_key[0]) & (rows["run_dir"] == run_key[1]) & rows["set"].isin(sets)]
        return float(pd.to_numeric(mine[metric], errors="coerce").mean())

    def resampled(run_key: tuple[str, str], name: str, metric: str) -> np.ndarray:
        return replicates[(run_key, name)][metric]

    by_level = {
        key: {row[SEED]: (row["sweep"], row["run_dir"]) for _, row in part.iterrows()}
        for key, part in runs.groupby("level_key", sort=False)
    }
    base_runs = by_level[_key(baseline)]
    out = []
    for level in levels:
        if _key(level) == _key(baseline):
            continue
        level_runs = by_level[_key(level)]
        common = sorted(set(level_runs) & set(base_runs))
        only_level = sorted(set(level_runs) - set(base_runs))
        only_base = sorted(set(base_runs) - set(level_runs))
        if only_level or only_base:
            notes.append(
                f"{variable}={level_text(level)}: seeds {_seeds_text(only_level) or '-'} have no baseline run and "
                f"baseline seeds {_seeds_text(only_base) or '-'} have no run at this level; left out of its pairs"
            )
        rng = np.random.default_rng(seed_sequence(bootstrap_seed, "seeds", level_text(level)))
        k = len(common)
        seed_draws = rng.integers(0, max(k, 1), size=(n_boot, max(k, 1)))
        own_draws = rng.integers(0, n_boot, size=(n_boot, max(k, 1)))  # nested sets: an image resample per slot
        pairs = [(level_runs[seed], base_runs[seed]) for seed in common]
        with_scores = k > 0 and all(a in scores and b in scores for a, b in pairs)
        for group, sets in group_sets.items():
            set_designs = [designs.get(name, "") for name in sets]
            resampling = set_designs[0] if len(set(set_designs)) == 1 else "mixed"
            n_images = float(np.mean([sizes[name] for name in sets])) if with_scores else math.nan
            for metric in metrics:
                differences = np.array([observed(a, sets, metric) - observed(b, sets, metric) for a, b in pairs])
                diff = float(np.nanmean(differences)) if k and not np.isnan(differences).all() else math.nan
                t_low, t_high, t_p = paired_t(differences, confidence) if k else (math.nan,) * 3
                var_image, image_replicates, p_boot = math.nan, None, math.nan
                if with_scores:
                    per_set = [
                        np.stack([resampled(a, name, metric) - resampled(b, name, metric) for a, b in pairs])
                        for name in sets
                    ]
                    replicated, image_replicates = paired_replicates(per_set, set_designs, seed_draws, own_draws)
                    low, high = percentile_interval(replicated, confidence)
                    p_boot, method = bootstrap_p(replicated), BOOTSTRAP
                    if not np.isnan(image_replicates).all():
                        var_image = float(np.nanmean(image_replicates.var(axis=0, ddof=1)))
                else:
                    low, high, method, resampling = t_low, t_high, SEED_ONLY, "none"
                parts = power.components(differences, image_replicates, n_images)
                ct_low, ct_high, ct_p = (
                    crossed_t(differences, parts.image, confidence) if with_scores else (math.nan,) * 3
                )
                # the intersection-union p: the bootstrap's and the crossed t's both (module docstring)
                p_value = mark_p(p_boot, ct_p) if with_scores else t_p
                var_seed = float(np.nanvar(differences, ddof=1)) if k >= 2 else math.nan
                out.append(
                    {
                        "variable": variable,
                        "baseline": baseline,
                        "level": level,
                        "group": group,
                        "metric": metric,
                        "diff": diff,
                        "ci_low": low,
                        "ci_high": high,
                        "p": p_value,
                        "excludes_zero": bool(low > 0 or high < 0),
                        "p_boot": p_boot,
                        "ct_ci_low": ct_low,
                        "ct_ci_high": ct_high,
                        "ct_p": ct_p,
                        "seed_dominated": bool(k >= 2 and var_seed > 2 * var_image)
                        if not math.isnan(var_image)
                        else False,
                        "method": method,
                        "resampling": resampling,
                        "n_seeds": k,
                        "seeds": _seeds_text(common),
                        "only_level_seeds": _seeds_text(only_level),
                        "only_baseline_seeds": _seeds_text(only_base),
                        "n_sets": len(sets),
                        "sets": "; ".join(sets),
                        "t_ci_low": t_low,
                        "t_ci_high": t_high,
                        "t_p": t_p,
                        "var_seed": var_seed,
                        "var_image": var_image,
                        "vc_seed": parts.seed,
                        "vc_image": parts.image,
                        "vc_interaction": parts.interaction,
                        "n_images": n_images,
                        "mde": power.detectable_difference(parts.per_seed, k, shared=parts.image),
                        "seeds_needed": power.seeds_needed(parts.per_seed, effect, shared=parts.image),
                        "effect": effect,
                        "n_boot": int(n_boot),
                        "bootstrap_seed": int(bootstrap_seed),
                    }
                )
    if not any(row["n_seeds"] for row in out):
        raise FakeidError(
            f"mismatched pairing: no level of {variable} shares a seed with the baseline "
            f"{variable}={level_text(baseline)}"
        )
    table = pd.DataFrame(out)
    # one family: every level x group x metric of this call (module docstring)
    table["p_holm"] = holm(table["p"].to_numpy(dtype=float))
    table["supported"] = table["p_holm"] < ALPHA
    summary = power.pooled_plan(table, effect)
    return Comparison(
        variable=variable,
        baseline=baseline,
        levels=levels,
        table=table.reindex(columns=COLUMNS),
        power=summary,
        notes=notes,
        source=source,
    )


def compare_runs(df: pd.DataFrame, options: Any, source: str) -> Comparison:
    """`compare` of a table's training runs with the keys of conf/figures.yaml (`options`: variable, baseline,
    n_boot, bootstrap_seed, effect): what figure=compare and figure=plan compute."""
    return compare(
        training_rows(df),
        options.variable,
        options.baseline,
        n_boot=options.n_boot,
        bootstrap_seed=options.bootstrap_seed,
        effect=options.effect,
        source=source,
    )


@dataclass
class Planned:
    """What `figure=plan` wrote (plan.csv, plan.md) and the comparison it was computed from."""

    paths: dict[str, Path]
    result: Comparison


def plan_table(df: pd.DataFrame, out_dir: str | Path, source: str, options: Any) -> Planned:
    """figure=plan: the planner of a pilot sweep (`Comparison.write_plan`; the keys of figure=compare), its
    answer printed on stderr."""
    comparison = compare_runs(df, options, source)
    paths = comparison.write_plan(out_dir)
    for row in comparison.power.itertuples():
        needed = ", ".join(
            f"{_seeds(getattr(row, f'seeds_needed_x{factor}'))} at {factor}x images" for factor in power.IMAGE_FACTORS
        )
        print(
            f"  {row.group} {METRIC_SHORT.get(row.metric, row.metric)}: detectable now {_number(row.mde)}; "
            f"seeds for {row.effect:g}: {needed}",
            file=sys.stderr,
        )
    return Planned(paths, comparison)
