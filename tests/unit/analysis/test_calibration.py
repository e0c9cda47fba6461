"""ECE and Brier score (fakeid.evaluation.metrics) against hand computations, in metrics.json's test entries, and the
reliability diagrams of `fakeid.figures figure=calibration`; per-set image intervals of fakeid.analysis.collect."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from fakeid import figures as figures_command
from fakeid.analysis import collect
from fakeid.analysis.bootstrap import wilson_interval
from fakeid.analysis.figures import study as figures
from fakeid.data.selection import TestSelection as Selection
from fakeid.evaluation.metrics import brier, calibration_bins, ece
from fakeid.evaluation.scored_sets import ScoredSet, set_result
from tests.helpers.fake_scores import add_scores
from tests.helpers.fake_sweep import write_fake_sweep


def test_ece_and_brier_equal_hand_computations() -> None:
    scores = np.array([0.05, 0.10, 0.50, 0.52, 0.90, 0.95, 1.00, 0.0])
    labels = np.array([0, 1, 0, 1, 1, 1, 1, 0])
    # 15 bins of width 1/15: 0.05 and 0.0 -> bin 0; 0.10 -> bin 1; 0.50 -> bin 7; 0.52 -> bin 7;
    # 0.90 -> bin 13; 0.95 and 1.00 -> bin 14 (the last bin holds 1.0)
    bins = {0: ([0.05, 0.0], [0, 0]), 1: ([0.10], [1]), 7: ([0.50, 0.52], [0, 1]), 13: ([0.90], [1])}
    bins[14] = ([0.95, 1.00], [1, 1])
    expected = sum(len(s) / 8 * abs(np.mean(y) - np.mean(s)) for s, y in bins.values())
    assert ece(scores, labels) == pytest.approx(expected)
    assert brier(scores, labels) == pytest.approx(np.mean((scores - labels) ** 2))
    count, mean_score, fraction = calibration_bins(scores, labels)
    assert count.tolist() == [2, 1, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 2]
    assert fraction[1] == 1.0 and np.isnan(mean_score[2])
    assert ece(torch.tensor(scores, dtype=torch.float32), torch.tensor(labels)) == pytest.approx(expected, abs=1e-6)


def test_a_test_entry_carries_ece_and_brier_recomputable_from_its_scores() -> None:
    rng = np.random.default_rng(0)
    labels = torch.tensor([0] * 30 + [1] * 30)
    scores = torch.tensor(rng.random(60), dtype=torch.float32)
    selection = Selection("progan/sheep", [Path(f"{i}.png") for i in range(60)], labels.tolist())
    entry = set_result(ScoredSet(selection, scores, labels), 0.5, categories_used=["cat"], train_generator="progan")
    own = scores.double().numpy()
    index = np.minimum((own * 15).astype(int), 14)
    expected = sum(
        (index == b).sum() / 60 * abs(labels.numpy()[index == b].mean() - own[index == b].mean())
        for b in range(15)
        if (index == b).any()
    )
    assert entry["ece"] == pytest.approx(expected)
    assert entry["brier"] == pytest.approx(np.mean((own - labels.numpy()) ** 2))


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory):
    sweep = write_fake_sweep(
        tmp_path_factory.mktemp("calibration") / "sweep", grid={"model.drop_rate": [0.0, 0.5], "seed": [0, 1]}
    )
    add_scores(sweep, skip=(3,))
    return sweep


def test_collect_gives_each_set_its_image_intervals(scored, capsys) -> None:
    df, _ = collect.collect([scored.path], n_boot=200)
    assert "1 runs (or sets) have no scores in scores.csv" in capsys.readouterr().err
    ok = df[df["status"] == "ok"]
    with_scores = ok[ok["run_dir"] != "3"]
    assert (with_scores["ap_img_low"] <= with_scores["ap"] + 1e-9).all()
    assert (with_scores["ap"] <= with_scores["ap_img_high"] + 1e-9).all()
    assert ok.loc[ok["run_dir"] == "3", "auroc_img_low"].isna().all()
    row = ok.iloc[0]
    n = row["n_real"] + row["n_fake"]
    assert (row["acc_img_low"], row["acc_img_high"]) == pytest.approx(wilson_interval(round(row["acc"] * n), n))
    table = figures.per_set_table(df, by=["model.drop_rate"], metrics=["acc", "ap"])
    assert {"acc_img_half", "ap_img_half"} <= set(table.columns)
    assert table["acc_img_half"].gt(0).all()


def test_calibration_figure_bins_every_image(scored, tmp_path: Path) -> None:
    csv = collect.write_results(collect.collect([scored.path])[0], tmp_path / "r.csv")
    with pytest.raises(SystemExit):  # run 3 has no scores.csv: named, not silently left out
        figures_command.main(["figure=calibration", f"csv={csv}", f"out={tmp_path / 'x'}"])
    assert figures_command.main(["figure=calibration", f"csv={csv}", "level=0.0", f"out={tmp_path / 'c'}"]) == 0
    data = pd.read_csv(tmp_path / "c" / "calibration.csv")
    assert (tmp_path / "c" / "calibration.png").read_bytes()[:4] == b"\x89PNG"
    assert set(data["level"]) == {"model.drop_rate=0.0"}
    # unseen generator: the two runs at 0.0 (jobs 0 and 1), their unseen-generator sets pooled
    frames = [pd.read_csv(scored.jobs[index].run_dir / "scores.csv") for index in (0, 1)]
    pooled = pd.concat(frames)
    pooled = pooled[pooled["set"].str.startswith("stylegan2/")]
    rows = data[data["group"] == "unseen generator"]
    assert rows["count"].sum() == len(pooled)
    assert rows["ece"].iloc[0] == pytest.approx(ece(pooled["score"], pooled["label"]))
    assert figures_command.main(["figure=calibration", f"csv={csv}", "run=0", f"out={tmp_path / 'one'}"]) == 0
    assert set(pd.read_csv(tmp_path / "one" / "calibration.csv", dtype={"runs": str})["runs"]) == {"0"}


def test_reliability_bins_carry_counts_wilson_bounds_and_hide_small_bins(scored, tmp_path: Path) -> None:
    csv = collect.write_results(collect.collect([scored.path])[0], tmp_path / "r.csv")
    args = ["figure=calibration", f"csv={csv}", "level=0.0", "min_bin_count=5", f"out={tmp_path / 'c'}"]
    assert figures_command.main(args) == 0
    data = pd.read_csv(tmp_path / "c" / "calibration.csv")
    filled = data[data["count"] > 0]
    for row in filled.itertuples():
        low, high = wilson_interval(round(row.fraction_fake * row.count), row.count)
        assert (row.ci_low, row.ci_high) == pytest.approx((low, high))
        assert row.ci_low <= row.fraction_fake <= row.ci_high
        assert row.shown == (row.count >= 5)
    assert not filled["shown"].all() and filled["shown"].any()  # the fixture's 20-image sets leave sparse bins
    assert data.loc[data["count"] == 0, "ci_low"].isna().all()
    meta = json.loads((tmp_path / "c" / "calibration.json").read_text())
    assert meta["min_bin_count"] == 5 and "fewer than 5 images" in meta["caption"]
