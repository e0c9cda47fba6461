"""Paired comparisons of a sweep's levels against a baseline level, with seed- and image-level uncertainty.

Runs of a sweep are paired: one seed gives the same training sample and initial weights at every level of the
swept variable, and every run is tested on the same images. For the variable the table varies (detected, or
`variable=`), each level L is compared with the baseline level b, per test-set group and metric:

- *pairs*: the seeds that have a run at both L and b. A level with one run of seed `FIXED_SEED` (a detector
  without training seeds: a published checkpoint, `fakeid.reporting.published`) pairs with every seed of the
  other side, its metric constant across them. A seed with a run on one side only is listed
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

Split along its seams: `comparison` (the result and its text), `pairing` (variable, levels, runs paired by
seed), `replicates` (image-level resampling), `difference` (the tests and power of one difference); this
module runs them in order and applies the correction (Holm over the table).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fakeid.analysis import power
from fakeid.analysis.bootstrap import seed_sequence
from fakeid.analysis.compare.comparison import (
    ALPHA,
    BOOTSTRAP,
    COLUMNS,
    COMPARE_METRICS,
    FIXED_SEED,
    METRIC_SHORT,
    SEED,
    SEED_ONLY,
    Comparison,
    _key,
    _number,
    _seeds,
    level_text,
    markdown_table,
)
from fakeid.analysis.compare.difference import Pairs, RunKey, difference
from fakeid.analysis.compare.pairing import (
    _run_table,
    detect_variable,
    determined_by,
    match_level,
    sorted_levels,
)
from fakeid.analysis.compare.replicates import _designs, _load_scores, _set_replicates
from fakeid.analysis.rows import GROUPS, constant_sets, ok_test_rows, training_rows
from fakeid.analysis.stats import CONFIDENCE, holm
from fakeid.core.errors import FakeidError

__all__ = [  # what callers import from fakeid.analysis.compare
    "ALPHA",
    "BOOTSTRAP",
    "COLUMNS",
    "COMPARE_METRICS",
    "FIXED_SEED",
    "SEED_ONLY",
    "Comparison",
    "Planned",
    "compare",
    "compare_runs",
    "detect_variable",
    "determined_by",
    "level_text",
    "markdown_table",
    "match_level",
    "plan_table",
    "sorted_levels",
]


def _seeds_text(seeds: Sequence[Any]) -> str:
    return ";".join(level_text(seed) for seed in seeds) if len(seeds) else ""


@dataclass
class _Images:
    """What the image-level replicates of a comparison need: each run's scores, every needed set's design and
    size, and per (run, set) the replicates of every metric (`fakeid.analysis.compare.replicates`)."""

    scores: dict[RunKey, Any]
    designs: dict[str, str]
    sizes: dict[str, int]
    replicates: dict[tuple[RunKey, str], dict[str, np.ndarray]]


def _group_sets(
    rows: pd.DataFrame, groups: dict[str, Callable[[pd.DataFrame], pd.Series]] | None, variable: str, source: str
) -> tuple[dict[str, list[str]], list[str]]:
    """group -> the sets in it at every level of `variable`, and a note per group left out."""
    group_sets, notes = {}, []
    for name, mask in (groups if groups is not None else GROUPS).items():
        sets = constant_sets(rows, mask(rows), variable)
        if sets:
            group_sets[name] = sets
        else:
            notes.append(f"group {name}: no test set is in it at every level of {variable}; not compared")
    if not group_sets:
        raise FakeidError(f"compare: no test-set group of {source} keeps the same sets at every level of {variable}")
    return group_sets, notes


def _images(
    runs: pd.DataFrame, sets: Sequence[str], n_boot: int, bootstrap_seed: int, source: str
) -> tuple[_Images, list[str]]:
    """The image-level replicates of every run with scores.csv, and a note naming the runs without one."""
    scores, missing = _load_scores(runs, source)
    notes = []
    if missing:
        shown = ", ".join(missing[:4]) + (f", ... ({len(missing)} runs)" if len(missing) > 4 else "")
        notes.append(
            f"{len(missing)} of {len(runs)} runs have no scores.csv ({shown}): comparisons involving them use "
            f"seed-only intervals ({SEED_ONLY})"
        )
    designs = _designs(scores, {(run.sweep, run.run_dir): run.seed for run in runs.itertuples()}, sets)
    sizes = {name: len(next(iter(scores.values()))[name].paths) for name in sets} if scores else {}
    thresholds = {
        (run.sweep, run.run_dir): (float(run.threshold) if "threshold" in runs.columns else math.nan)
        for run in runs.itertuples()
    }
    given: dict[tuple[str, str], float | None] = {
        key: (None if math.isnan(value) else value) for key, value in thresholds.items()
    }
    replicates = _set_replicates(scores, given, sets, n_boot, bootstrap_seed)
    return _Images(scores, designs, sizes, replicates), notes


def _pairs(
    level: Any, level_runs: dict[Any, RunKey], base_runs: dict[Any, RunKey], images: _Images, n_boot: int, seed: int
) -> tuple[Pairs, list[Any], list[Any], list[Any]]:
    """The level's runs paired with the baseline's by seed, the draws its replicates share (one random stream
    per level, drawn in this order), and the common, level-only and baseline-only seeds."""
    # a fixed detector (seed FIXED_SEED: a published checkpoint, no training seed) is the same run for every seed
    # of the other side, so it pairs with each; two fixed detectors pair once (images are then the only noise)
    if set(base_runs) == {FIXED_SEED}:
        base_runs = dict.fromkeys(level_runs, base_runs[FIXED_SEED])
    elif set(level_runs) == {FIXED_SEED}:
        level_runs = dict.fromkeys(base_runs, level_runs[FIXED_SEED])
    common = sorted(set(level_runs) & set(base_runs))
    only_level = sorted(set(level_runs) - set(base_runs))
    only_base = sorted(set(base_runs) - set(level_runs))
    rng = np.random.default_rng(seed_sequence(seed, "seeds", level_text(level)))
    k = len(common)
    seed_draws = rng.integers(0, max(k, 1), size=(n_boot, max(k, 1)))
    own_draws = rng.integers(0, n_boot, size=(n_boot, max(k, 1)))  # nested sets: an image resample per slot
    pairs = [(level_runs[seed], base_runs[seed]) for seed in common]
    with_scores = k > 0 and all(a in images.scores and b in images.scores for a, b in pairs)
    return Pairs(pairs, with_scores, seed_draws, own_draws), common, only_level, only_base


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
    docstring). `groups`: name -> mask of the test-set rows (default `fakeid.analysis.rows.GROUPS`).

    Its steps: the pairing, the image replicates, per level x group x metric the tests (`difference`), and
    Holm's correction over the table. Longer than 60 lines because the row it assembles names every column."""
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
    group_sets, group_notes = _group_sets(rows, groups, variable, source)
    notes += group_notes
    needed_sets = sorted({name for sets in group_sets.values() for name in sets})
    images, image_notes = _images(runs, needed_sets, n_boot, bootstrap_seed, source)
    notes += image_notes

    # each run's rows, split once (a mask over the whole table per call was 60 % of a figure's marks); a run's
    # rows keep the table's order, so each mean adds the same numbers in the same order
    by_run = dict(iter(rows.groupby(["sweep", "run_dir"], sort=False)))

    def observed(run_key: RunKey, sets: Sequence[str], metric: str) -> float:
        mine = by_run[run_key]
        mine = mine[mine["set"].isin(sets)]
        return float(pd.to_numeric(mine[metric], errors="coerce").mean())

    def resampled(run_key: RunKey, name: str, metric: str) -> np.ndarray:
        return images.replicates[(run_key, name)][metric]

    by_level = {
        key: {row[SEED]: (row["sweep"], row["run_dir"]) for _, row in part.iterrows()}
        for key, part in runs.groupby("level_key", sort=False)
    }
    base_runs = by_level[_key(baseline)]
    out = []
    for level in levels:
        if _key(level) == _key(baseline):
            continue
        pairs, common, only_level, only_base = _pairs(
            level, by_level[_key(level)], base_runs, images, n_boot, bootstrap_seed
        )
        if only_level or only_base:
            notes.append(
                f"{variable}={level_text(level)}: seeds {_seeds_text(only_level) or '-'} have no baseline run and "
                f"baseline seeds {_seeds_text(only_base) or '-'} have no run at this level; left out of its pairs"
            )
        for group, sets in group_sets.items():
            set_designs = [images.designs.get(name, "") for name in sets]
            n_images = float(np.mean([images.sizes[name] for name in sets])) if pairs.with_scores else math.nan
            for metric in metrics:
                tested = difference(pairs, sets, set_designs, metric, observed, resampled, n_images, confidence, effect)
                labels = {"variable": variable, "baseline": baseline, "level": level, "group": group}
                which = {
                    "metric": metric,
                    "n_seeds": len(common),
                    "seeds": _seeds_text(common),
                    "only_level_seeds": _seeds_text(only_level),
                    "only_baseline_seeds": _seeds_text(only_base),
                    "n_sets": len(sets),
                    "sets": "; ".join(sets),
                    "n_images": n_images,
                    "effect": effect,
                    "n_boot": int(n_boot),
                    "bootstrap_seed": int(bootstrap_seed),
                }
                out.append({**labels, **which, **tested})
    if not any(row["n_seeds"] for row in out):
        raise FakeidError(
            f"mismatched pairing: no level of {variable} shares a seed with the baseline "
            f"{variable}={level_text(baseline)}"
        )
    table, summary = _corrected(out, effect)
    return Comparison(
        variable=variable,
        baseline=baseline,
        levels=levels,
        table=table.reindex(columns=COLUMNS),
        power=summary,
        notes=notes,
        source=source,
    )


def _corrected(out: list[dict[str, Any]], effect: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The correction: Holm over the one family of every level x group x metric of this call (module
    docstring), `supported` below ALPHA; and the planner's summary of the table."""
    # the columns in the table's order, the correction's two last, as the planner has always received them
    table = pd.DataFrame(out)[[name for name in COLUMNS if name not in ("p_holm", "supported")]]
    table["p_holm"] = holm(table["p"].to_numpy(dtype=float))
    table["supported"] = table["p_holm"] < ALPHA
    return table, power.pooled_plan(table, effect)


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
