"""fakeid.analysis.stats against independent computations (scipy's interval and linregress, numpy's polyfit)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from fakeid.analysis.stats import mean_ci, summarize


def test_mean_ci_matches_hand_computed_t_interval() -> None:
    # 1..4: mean 2.5, sd 1.2910, sem 0.6455, t(0.975, 3) = 3.1824 -> half width 2.0543
    ci = mean_ci([1.0, 2.0, 3.0, 4.0])
    assert ci.n == 4
    assert ci.mean == pytest.approx(2.5)
    assert ci.ci_low == pytest.approx(2.5 - 2.05426, abs=1e-4)
    assert ci.ci_high == pytest.approx(2.5 + 2.05426, abs=1e-4)


def test_mean_ci_matches_scipy_interval_on_random_data() -> None:
    values = np.random.default_rng(3).normal(0.7, 0.05, size=7)
    low, high = scipy_stats.t.interval(0.95, len(values) - 1, loc=values.mean(), scale=scipy_stats.sem(values))
    ci = mean_ci(values)
    assert (ci.ci_low, ci.ci_high) == pytest.approx((low, high))


def test_mean_ci_single_value_has_undefined_interval_and_nan_is_dropped() -> None:
    one = mean_ci([0.8, math.nan])
    assert one.n == 1 and one.mean == 0.8
    assert math.isnan(one.ci_low) and math.isnan(one.ci_high)
    assert mean_ci([]).n == 0


def test_summarize_groups_like_pandas() -> None:
    df = pd.DataFrame({"categories": [1, 1, 2, 2, 2], "acc": [0.5, 0.7, 0.8, 0.9, 1.0]})
    table = summarize(df, ["categories"], "acc")
    assert table["categories"].tolist() == [1, 2]
    assert table["n"].tolist() == [2, 3]
    assert table["mean"].tolist() == pytest.approx(df.groupby("categories")["acc"].mean().tolist())


def test_summarize_a_table_of_metrics_counts_the_rows_and_drops_nan_per_metric() -> None:
    df = pd.DataFrame(
        {
            "set": ["a", "a", "a", "b", None],
            "acc": [0.5, 0.7, math.nan, 0.8, 0.9],
            "ap": [0.6, 0.6, 0.9, math.nan, 1.0],
        }
    )
    table = summarize(df, ["set"], ["acc", "ap"])
    assert list(table.columns) == ["set", "n", "acc", "acc_ci_low", "acc_ci_high", "ap", "ap_ci_low", "ap_ci_high"]
    assert table["n"].tolist() == [3, 1, 1]  # the rows of each group, the NaN key a group too (last)
    for metric in ("acc", "ap"):
        alone = summarize(df, ["set"], metric)
        assert table[metric].tolist() == pytest.approx(alone["mean"].tolist(), nan_ok=True)
        assert table[f"{metric}_ci_low"].tolist() == pytest.approx(alone["ci_low"].tolist(), nan_ok=True)
    assert table["acc"].iloc[0] == pytest.approx(0.6) and math.isnan(table["ap"].iloc[1])


def test_intervals_of_shares_stay_in_the_unit_interval_and_others_do_not_move() -> None:
    """fig1.csv had acc_cal [0.189, 1.328] at n = 6 (three seeds far apart): a share's interval is cut to [0, 1]
    (the t interval's coverage, since the mean of shares is in [0, 1]); a column that is no share keeps its t."""
    values = [0.55, 0.99, 1.0]
    raw = mean_ci(values)
    assert raw.ci_high > 1  # the t interval alone leaves [0, 1]
    df = pd.DataFrame({"n": [6, 6, 6], "acc_cal": values, "ece": [0.0, 0.001, 0.45], "diff": values})
    for metric in ("acc_cal", "ece"):
        row = summarize(df, ["n"], metric).iloc[0]
        assert 0.0 <= row["ci_low"] <= row["mean"] <= row["ci_high"] <= 1.0
    assert summarize(df, ["n"], "acc_cal")["ci_low"].iloc[0] == pytest.approx(raw.ci_low)
    assert summarize(df, ["n"], "ece")["ci_low"].iloc[0] == 0.0
    table = summarize(df, ["n"], ["acc_cal", "diff"])
    assert table["acc_cal_ci_high"].iloc[0] == 1.0 and table["diff_ci_high"].iloc[0] == pytest.approx(raw.ci_high)
