"""Comparisons of one sweep share each set's image resamples inside `replicates.sharing()`: the same numbers,
one bootstrap per (run, set) however many comparisons ask (the report and `figure=all` rely on it)."""

from __future__ import annotations

import pandas as pd

from fakeid.analysis import collect
from fakeid.analysis.compare import compare, replicates
from fakeid.analysis.rows import GROUPS
from tests.helpers.fake_scores import add_scores
from tests.helpers.fake_sweep import write_fake_sweep


def test_shared_replicates_give_the_same_tables_with_one_bootstrap_per_run_and_set(tmp_path, monkeypatch) -> None:
    sweep = write_fake_sweep(tmp_path / "sweep", grid={"model.drop_rate": [0.0, 0.5], "seed": [0, 1]})
    add_scores(sweep, n_per_class=6)
    df, _ = collect.collect([sweep.path])
    one_group = {name: GROUPS[name] for name in list(GROUPS)[:1]}  # another family, as a figure's marks
    alone = [compare(df, n_boot=30), compare(df, n_boot=30, groups=one_group, metrics=["acc"])]

    calls = []
    original = replicates.bootstrap_set
    monkeypatch.setattr(replicates, "bootstrap_set", lambda *args: calls.append(1) or original(*args))
    with replicates.sharing():
        shared = [compare(df, n_boot=30), compare(df, n_boot=30, groups=one_group, metrics=["acc"])]
    first_calls = len(calls)
    for before, after in zip(alone, shared, strict=True):
        pd.testing.assert_frame_equal(before.table, after.table)
        pd.testing.assert_frame_equal(before.power, after.power)
    runs, sets = df[["sweep", "run_dir"]].drop_duplicates().shape[0], df["set"].nunique()
    assert first_calls <= runs * sets  # the second comparison drew nothing new
    compare(df, n_boot=30)  # outside: no sharing, drawn again
    assert len(calls) > first_calls


def test_a_comparison_read_back_from_its_record_is_the_same_comparison(tmp_path) -> None:
    import json

    from fakeid.analysis.compare import Comparison

    sweep = write_fake_sweep(tmp_path / "sweep", grid={"model.drop_rate": [0.0, 0.5], "seed": [0, 1]})
    add_scores(sweep, n_per_class=6)
    df, _ = collect.collect([sweep.path])
    made = compare(df, n_boot=30)
    back = Comparison.from_record(json.loads(json.dumps(made.to_record())), made.source)  # as the record holds it
    pd.testing.assert_frame_equal(back.table, made.table, check_exact=True)
    pd.testing.assert_frame_equal(back.power, made.power, check_exact=True)
    assert (back.variable, back.baseline, back.levels) == (made.variable, made.baseline, made.levels)
    assert back.notes == made.notes
    assert back.markdown() == made.markdown()
