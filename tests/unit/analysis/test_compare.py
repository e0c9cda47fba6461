"""fakeid.analysis.compare and `python -m fakeid.figures figure=compare`: paired differences against independent
computations (scipy's paired t, a hand-worked Holm, the normal power formula), determinism, and one line for
each bad input."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from fakeid import collect as collect_command
from fakeid import figures as figures_command
from fakeid.analysis import collect, power
from fakeid.analysis.compare import BOOTSTRAP, SEED_ONLY, compare
from fakeid.analysis.figures import study as figures
from fakeid.analysis.stats import holm
from fakeid.core.errors import FakeidError
from tests.helpers.commands import assert_one_line_error, exited
from tests.helpers.fake_scores import add_scores, scores_path
from tests.helpers.fake_sweep import write_fake_sweep

DROPOUT_GRID = {"model.drop_rate": [0.0, 0.5, 0.9], "seed": [0, 1, 2]}


def _hand_table(values: dict[tuple[float, int], float]) -> pd.DataFrame:
    """Rows of one unseen-content set (progan/sheep) per run: (drop rate, seed) -> acc (ap = acc / 2, ...)."""
    rows = []
    for (rate, seed), acc in values.items():
        rows.append(
            {
                "sweep": "hand",
                "run_dir": f"{rate}-{seed}",
                "status": "ok",
                "set": "progan/sheep",
                "seen_generator": True,
                "seen_category": False,
                "model.drop_rate": rate,
                "data.num_categories": 10,
                "seed": seed,
                "threshold": 0.5,
                "acc": acc,
                "acc_cal": acc,
                "ap": acc / 2,
                "auroc": acc / 3,
            }
        )
    return pd.DataFrame(rows)


HAND = {
    (0.0, 0): 0.61,
    (0.0, 1): 0.70,
    (0.0, 2): 0.66,
    (0.0, 3): 0.58,
    (0.5, 0): 0.68,
    (0.5, 1): 0.71,
    (0.5, 2): 0.75,
    (0.5, 3): 0.60,
    (0.9, 0): 0.55,
    (0.9, 1): 0.72,
    (0.9, 2): 0.60,
    (0.9, 3): 0.59,
}


def test_seed_only_difference_equals_scipys_paired_t() -> None:
    result = compare(_hand_table(HAND), baseline=0.0).table  # no scores.csv: seed-only
    for level in (0.5, 0.9):
        row = result[(result["level"] == level) & (result["metric"] == "acc")].iloc[0]
        level_values = np.array([HAND[(level, seed)] for seed in range(4)])
        base = np.array([HAND[(0.0, seed)] for seed in range(4)])
        test = scipy_stats.ttest_rel(level_values, base)
        interval = scipy_stats.t.interval(
            0.95, 3, loc=(level_values - base).mean(), scale=scipy_stats.sem(level_values - base)
        )
        assert row["method"] == SEED_ONLY
        assert row["diff"] == pytest.approx((level_values - base).mean())
        assert (row["ci_low"], row["ci_high"]) == pytest.approx(interval)
        assert row["p"] == pytest.approx(test.pvalue)
        assert row["seeds"] == "0;1;2;3" and row["sets"] == "progan/sheep"


def test_holm_equals_a_hand_worked_example() -> None:
    # sorted: 0.005 x 4 = 0.02; 0.01 x 3 = 0.03; 0.03 x 2 = 0.06; 0.04 x 1 = 0.04 -> max so far 0.06
    np.testing.assert_allclose(holm([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02])
    np.testing.assert_allclose(holm([0.5, math.nan, 0.2]), [0.5, math.nan, 0.4])
    table = compare(_hand_table(HAND), baseline=0.0).table
    acc = table[table["metric"] == "acc"]
    np.testing.assert_allclose(acc["p_holm"], holm(acc["p"].to_numpy()))


def test_power_matches_the_normal_approximation_on_a_simulated_case() -> None:
    sigma, seeds = 0.03, 5
    z = scipy_stats.norm.ppf(0.975) + scipy_stats.norm.ppf(0.8)
    mde = power.detectable_difference(sigma**2, seeds)
    assert mde == pytest.approx(z * sigma / math.sqrt(seeds))
    assert power.seeds_needed(sigma**2, 0.02) == math.ceil(z**2 * sigma**2 / 0.02**2)
    # simulated: paired differences N(mde, sigma^2) over 5 seeds, a z test at 5 % rejects 80 % of the time
    rng = np.random.default_rng(0)
    means = rng.normal(mde, sigma, size=(20000, seeds)).mean(axis=1)
    rejected = np.abs(means / (sigma / math.sqrt(seeds))) > scipy_stats.norm.ppf(0.975)
    assert rejected.mean() == pytest.approx(0.80, abs=0.015)
    # the variance used: the seeds' sample variance, floored at the image-level variance
    assert power.difference_variance(np.array([0.01, 0.02, 0.03]), 0.0) == pytest.approx(1e-4)
    assert power.difference_variance(np.array([0.02, 0.02, 0.02]), 4e-4) == pytest.approx(4e-4)


@pytest.fixture(scope="module")
def scored_sweep(tmp_path_factory: pytest.TempPathFactory):
    sweep = write_fake_sweep(tmp_path_factory.mktemp("compare") / "sweep", grid=DROPOUT_GRID)
    add_scores(sweep)
    return sweep


@pytest.fixture(scope="module")
def scored(scored_sweep) -> pd.DataFrame:
    return collect.collect([scored_sweep.path])[0]


def test_two_level_bootstrap_is_deterministic_and_paired(scored: pd.DataFrame) -> None:
    first = compare(scored, baseline=0.0, n_boot=300, bootstrap_seed=3).table
    again = compare(scored, baseline=0.0, n_boot=300, bootstrap_seed=3).table
    other = compare(scored, baseline=0.0, n_boot=300, bootstrap_seed=4).table
    pd.testing.assert_frame_equal(first, again)
    assert not np.allclose(first["ci_low"], other["ci_low"])
    assert set(first["method"]) == {BOOTSTRAP}
    assert set(first["group"]) == {"unseen content", "unseen generator", "seen"}
    assert (first["ci_low"] <= first["ci_high"]).all()
    assert first["var_image"].gt(0).all(), "the image level adds variance"
    # a star needs the bootstrap interval, and where the seeds' variance dominates the t interval too
    t_excludes = (first["t_ci_low"] > 0) | (first["t_ci_high"] < 0)
    expected_dominated = first["var_seed"] > 2 * first["var_image"]
    assert (first["seed_dominated"] == expected_dominated).all()
    assert (first["supported"] == (first["excludes_zero"] & (~expected_dominated | t_excludes))).all()
    # the estimate is the mean paired difference of the table's values
    acc = scored[scored["set"].isin(["stylegan2/horse", "stylegan2/ffhq"])]  # only generator sets
    per_run = acc.groupby(["model.drop_rate", "seed"])["acc"].mean()
    expected = (per_run.loc[0.9] - per_run.loc[0.0]).mean()
    row = first.query("group == 'unseen generator' and metric == 'acc' and level == 0.9").iloc[0]
    assert row["diff"] == pytest.approx(expected)


def test_cli_writes_compare_csv_and_md(scored_sweep, tmp_path: Path, capsys) -> None:
    csv = tmp_path / "results.csv"
    assert collect_command.main([f"sweeps={scored_sweep.path}", f"out={csv}", "n_boot=100"]) == 0
    assert pd.read_csv(csv)["auroc_img_low"].notna().all()
    out = tmp_path / "cmp"
    args = ["figure=compare", f"csv={csv}", "baseline=0.0", "n_boot=200", f"out={out}", "effect=0.05"]
    assert figures_command.main(args) == 0
    table = pd.read_csv(out / "compare.csv")
    assert set(table["level"]) == {0.5, 0.9} and set(table["baseline"]) == {0.0}
    text = (out / "compare.md").read_text()
    assert "this sweep can detect differences of" in text and "## Power" in text
    assert "seeds for a difference of 0.05" in text
    assert "this sweep can detect differences of" in capsys.readouterr().err


def _one_line_error(args: list[str], capsys) -> str:
    with pytest.raises(SystemExit) as exit_info:
        figures_command.main(args)
    return assert_one_line_error(exited(exit_info, capsys), "")


def test_bad_input_is_one_line(scored: pd.DataFrame, tmp_path: Path, capsys) -> None:
    csv = collect.write_results(scored, tmp_path / "results.csv")
    base = ["figure=compare", f"csv={csv}", "n_boot=50", f"out={tmp_path / 'o'}"]
    err = _one_line_error([*base, "baseline=0.3"], capsys)
    assert "baseline=0.3" in err and "levels: 0.0, 0.5, 0.9" in err
    one = collect.write_results(scored[scored["model.drop_rate"] == 0.5], tmp_path / "one.csv")
    err = _one_line_error(["figure=compare", f"csv={one}", f"out={tmp_path / 'o'}"], capsys)
    assert "one level" in err or "at least two levels" in err
    twice = pd.concat([scored, scored.assign(run_dir=scored["run_dir"] + "-copy")], ignore_index=True)
    doubled = collect.write_results(twice, tmp_path / "twice.csv")
    err = _one_line_error(["figure=compare", f"csv={doubled}", f"out={tmp_path / 'o'}"], capsys)
    assert "mismatched pairing" in err and "has 2 runs" in err
    _one_line_error([*base, "n_boot=0"], capsys)
    assert not (tmp_path / "o").exists()


def test_paired_runs_on_different_images_are_a_mismatched_pairing(scored_sweep, tmp_path: Path) -> None:
    copy = tmp_path / "sweep"
    shutil.copytree(scored_sweep.path, copy)
    scores = copy / scores_path(scored_sweep, 4).relative_to(scored_sweep.path)
    frame = pd.read_csv(scores)
    frame.loc[frame["set"] == "progan/sheep", "path"] = frame["path"].str.replace("test/", "other/")
    frame.to_csv(scores, index=False)
    df = collect.collect([copy])[0]
    with pytest.raises(FakeidError, match="^mismatched pairing: test set progan/sheep has different images"):
        compare(df, baseline=0.0, n_boot=20)


def test_runs_without_scores_fall_back_to_seed_only_and_are_named(tmp_path: Path) -> None:
    sweep = write_fake_sweep(tmp_path / "sweep", grid=DROPOUT_GRID)
    add_scores(sweep, skip=(4,))  # job 4: drop 0.5, seed 1
    result = compare(collect.collect([sweep.path])[0], baseline=0.0, n_boot=100)
    methods = result.table.groupby("level")["method"].unique()
    assert list(methods.loc[0.5]) == [SEED_ONLY] and list(methods.loc[0.9]) == [BOOTSTRAP]
    assert any("1 of 9 runs have no scores.csv" in note and f"{sweep.path}/4" in note for note in result.notes)
    assert "1 of 9 runs have no scores.csv" in result.markdown()


def test_seeds_on_one_side_only_are_reported(scored: pd.DataFrame) -> None:
    runs = scored[~((scored["model.drop_rate"] == 0.9) & (scored["seed"] == 2))]
    result = compare(runs, baseline=0.0, n_boot=100)
    row = result.table.query("level == 0.9").iloc[0]
    assert row["n_seeds"] == 2 and row["seeds"] == "0;1" and row["only_baseline_seeds"] == "2"
    assert any("baseline seeds 2 have no run at this level" in note for note in result.notes)


def test_the_variable_is_found_in_the_table_or_named(scored: pd.DataFrame) -> None:
    augmented = scored.assign(augment=np.where(scored["model.drop_rate"] == 0.0, "none", "blur"))
    augmented = augmented[augmented["model.drop_rate"] < 0.9]
    crossed = augmented.assign(augment=np.where(augmented["seed"] % 2 == 0, "none", "blur"))  # not a level's parameter
    with pytest.raises(FakeidError, match="varies model.drop_rate, augment: pass variable=NAME"):
        compare(crossed)
    with pytest.raises(FakeidError, match="variable=augment: .* also varies model.drop_rate"):
        compare(crossed, variable="augment", n_boot=50)
    only = augmented.drop(columns=["model.drop_rate"])
    result = compare(only, variable="augment", baseline="none", n_boot=50)
    assert set(result.table["level"]) == {"blur"} and result.variable == "augment"


def test_the_parameters_of_a_level_are_not_a_second_variable(scored: pd.DataFrame) -> None:
    """An augmentation sweep's table carries `augment` and its parameters (`augment.blur_prob`: one value per
    level, empty for none): they restate the level, so the comparison is of `augment`, found or named, and the
    same either way."""
    only = scored[scored["model.drop_rate"] < 0.9].drop(columns=["model.drop_rate"])
    blur = scored.loc[only.index, "model.drop_rate"] > 0
    only = only.assign(
        augment=np.where(blur, "blur_jpeg 0.5", "none"), **{"augment.blur_prob": np.where(blur, 0.5, np.nan)}
    )
    found = compare(only, baseline="none", n_boot=50)
    named = compare(only, variable="augment", baseline="none", n_boot=50)
    assert found.variable == named.variable == "augment"
    pd.testing.assert_frame_equal(found.table, named.table)


def test_figs_2_and_3_mark_levels_and_state_the_power(scored: pd.DataFrame, tmp_path: Path) -> None:
    csv = collect.write_results(scored, tmp_path / "results.csv")
    assert figures_command.main(["figure=fig3", f"csv={csv}", "n_boot=200", f"out={tmp_path}"]) == 0
    assert figures_command.main(["figure=fig2", f"csv={csv}", "n_boot=200", f"out={tmp_path}"]) == 0
    for name in ("fig2", "fig3"):
        points = pd.read_csv(tmp_path / f"{name}.csv").query("kind == 'point'")
        baseline = points[points["x"] == 0.0]
        assert baseline["marked"].isna().all() and points.loc[points["x"] > 0, "marked"].notna().all()
    made = figures.fig3_data(scored, options=figures.Options(n_boot=200))
    assert "this sweep can detect differences of" in made.caption and "two-level bootstrap" in made.caption
    comparison = made.comparison.table  # type: ignore[union-attr]
    unseen_sets = set(scored.loc[~scored["seen_generator"].astype(bool), "set"])
    assert set(comparison["group"]) == unseen_sets, "Fig 3 compares each unseen-generator set on its own"


@pytest.mark.slow
def test_a_trained_sweep_through_every_cli(tmp_path: Path) -> None:
    """A real 2 x 2 sweep (dropout 0.0, 0.5 x seeds 0, 1) on the tiny benchmark: each test entry's ece and brier
    equal this test's own numpy on the run's scores.csv; collect, compare and calibration run on it."""
    from fakeid.synth import generate
    from tests.helpers.commands import run_module
    from tests.helpers.sweeps import TINY

    root = generate(tmp_path / "data", preset="tiny", seed=0, progress=False)
    done = run_module(
        "fakeid.train",
        "-m",
        *TINY,
        f"data.root={root}",
        f"paths.outputs={tmp_path / 'outputs'}",
        "experiment_name=pairs",
        "model.drop_rate=0.0,0.5",
        "seed=0,1",
    )
    assert done.returncode == 0, done.stderr[-3000:]
    sweep = tmp_path / "outputs" / "sweeps" / "pairs"
    for metrics_path in sorted(sweep.glob("*/metrics.json")):
        scores = pd.read_csv(metrics_path.parent / "scores.csv")
        for entry in json.loads(metrics_path.read_text())["test"]:
            rows = scores[scores["set"] == entry["set"]]
            score, label = rows["score"].to_numpy(), rows["label"].to_numpy()
            index = np.minimum(np.floor(score * 15).astype(int), 14)
            own = sum(
                (index == b).mean() * abs(label[index == b].mean() - score[index == b].mean())
                for b in range(15)
                if (index == b).any()
            )
            assert entry["ece"] == pytest.approx(own, abs=1e-9)
            assert entry["brier"] == pytest.approx(np.mean((score - label) ** 2), abs=1e-9)
    csv = tmp_path / "results.csv"
    assert run_module("fakeid.collect", f"sweeps={sweep}", f"out={csv}", "n_boot=200").returncode == 0
    done = run_module("fakeid.figures", "figure=compare", f"csv={csv}", "baseline=0.0", "n_boot=200", f"out={tmp_path}")
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(tmp_path / "compare.csv")
    assert set(table["method"]) == {BOOTSTRAP} and set(table["seeds"]) == {"0;1"}
    done = run_module("fakeid.figures", "figure=calibration", f"csv={csv}", f"out={tmp_path}")
    assert done.returncode == 0, done.stderr
    assert pd.read_csv(tmp_path / "calibration.csv")["count"].sum() > 0
