"""fakeid.analysis.trends: Page's L with seeds as blocks, the line's lack of fit, the slope of the level means."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from fakeid.analysis.trends import claim, lack_of_fit, line_text, trend_test

LEVELS = [1, 2, 4, 6, 8, 10]


def _runs(values_by_seed: dict[int, list[float]], levels=LEVELS) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"seed": seed, "n": level, "y": value}
            for seed, values in values_by_seed.items()
            for level, value in zip(levels, values, strict=False)  # a seed may miss levels
        ]
    )


def test_page_l_on_a_monotone_table_is_the_exact_test_and_says_rises() -> None:
    rng = np.random.default_rng(0)
    values = {seed: list(0.5 + 0.04 * np.arange(6) + rng.normal(0, 0.005, 6)) for seed in range(3)}
    test = trend_test(_runs(values), "n", "y")
    exact = scipy_stats.page_trend_test(np.array(list(values.values()))).pvalue
    assert test.trend_p == pytest.approx(2 * exact) and test.trend_p < 0.01
    assert test.direction == "rises" and claim(test).startswith("rises (Page's L p = ")
    falling = trend_test(_runs({s: v[::-1] for s, v in values.items()}), "n", "y")
    assert falling.direction == "falls" and falling.trend_p == pytest.approx(test.trend_p)


def test_no_trend_when_the_ranks_disagree_between_seeds() -> None:
    values = {
        0: [0.5, 0.6, 0.4, 0.55, 0.45, 0.5],
        1: [0.6, 0.4, 0.5, 0.45, 0.55, 0.5],
        2: [0.4, 0.5, 0.6, 0.5, 0.45, 0.55],
    }
    test = trend_test(_runs(values), "n", "y")
    assert test.trend_p > 0.05 and claim(test).startswith("shows no monotone trend")


def test_lack_of_fit_rejects_a_v_and_accepts_a_line() -> None:
    # Fig 1's AP on sheep in the issue: 0.97 -> 0.66 at n = 8 -> 0.89, small seed spread
    v_means = [0.97, 0.93, 0.85, 0.78, 0.66, 0.89]
    offsets = [-0.02, 0.0, 0.02]
    v = trend_test(_runs({s: [m + o for m in v_means] for s, o in enumerate(offsets)}), "n", "y")
    assert v.lack_of_fit_dof == (4, 12) and v.lack_of_fit_p < 0.001 and not v.line_fits
    assert line_text(v).startswith("not a line (lack of fit F(4, 12)")
    rng = np.random.default_rng(1)
    line = {s: [0.6 + 0.02 * n + rng.normal(0, 0.02) for n in LEVELS] for s in range(3)}
    fits = trend_test(_runs(line), "n", "y")
    assert fits.lack_of_fit_p > 0.05 and fits.line_fits


def test_lack_of_fit_is_the_pure_error_f_test() -> None:
    x = np.repeat([0.0, 1.0, 2.0, 3.0], 3)
    y = np.array([0.1, 0.2, 0.15, 0.5, 0.45, 0.55, 0.52, 0.6, 0.56, 0.7, 0.72, 0.69])
    f, p, dof = lack_of_fit(x, y)
    slope, intercept = np.polyfit(x, y, 1)
    means = pd.Series(y).groupby(x).mean()
    ss_lof = 3 * ((means.to_numpy() - (intercept + slope * means.index.to_numpy())) ** 2).sum()
    ss_pe = sum(((y[x == level] - y[x == level].mean()) ** 2).sum() for level in means.index)
    assert dof == (2, 8) and f == pytest.approx((ss_lof / 2) / (ss_pe / 8))
    assert p == pytest.approx(scipy_stats.f.sf(f, 2, 8))


def test_slope_interval_uses_the_level_means_not_every_run() -> None:
    rng = np.random.default_rng(2)
    values = {s: [0.6 + 0.01 * n + rng.normal(0, 0.05) for n in LEVELS] for s in range(3)}
    runs = _runs(values)
    test = trend_test(runs, "n", "y")
    means = runs.groupby("n")["y"].mean()
    reference = scipy_stats.linregress(means.index.to_numpy(float), means.to_numpy())
    half = scipy_stats.t.ppf(0.975, 4) * reference.stderr
    assert test.slope == pytest.approx(reference.slope)
    assert (test.slope_ci_low, test.slope_ci_high) == pytest.approx((reference.slope - half, reference.slope + half))
    assert test.n_levels == 6 and test.n_runs == 18


def test_missing_cells_and_too_few_seeds_are_said_not_hidden() -> None:
    values = {0: [0.5, 0.6, 0.7, 0.8, 0.85, 0.9], 1: [0.5, 0.62, 0.7, 0.79, 0.86, 0.91], 2: [0.5, 0.6, 0.7]}
    runs = _runs(values).dropna()
    test = trend_test(runs, "n", "y")
    assert "1 seed without a value at every level left out" in test.note and not math.isnan(test.trend_p)
    one_seed = trend_test(_runs({0: values[0]}), "n", "y")
    assert math.isnan(one_seed.trend_p) and "2 or more seeds" in one_seed.note
    assert claim(one_seed).startswith("has no trend test")
    two_levels = trend_test(_runs({0: [0.5, 0.6], 1: [0.55, 0.7]}, levels=[0.0, 0.9]), "n", "y")
    assert math.isnan(two_levels.trend_p) and math.isnan(two_levels.lack_of_fit_p) and two_levels.line_fits
