"""`python -m fakeid.eval` as a user types it: equal to training without a perturbation, on folders without
train/, over a robustness grid (resumable), every number recomputable from scores.csv, bad input in one line."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.helpers.commands import assert_one_line_error, run_module
from tests.helpers.layouts import make_layout
from tests.helpers.parity import SAME_ENGINE_TOLERANCE, ScoredRun, assert_scores_match

FIELDS = ("acc", "real_acc", "fake_acc", "ap", "auroc", "acc_cal")
LEGACY = Path(__file__).resolve().parents[1] / "data" / "legacy_metrics"  # written before schema_version existed


def evaluate(*overrides: str):
    return run_module("fakeid.eval", *overrides)


def metrics(folder: Path) -> dict:
    return json.loads((folder / "metrics.json").read_text())


def read_scores(folder: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    by_set: dict[str, list[tuple[float, int]]] = {}
    with open(folder / "scores.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            by_set.setdefault(row["set"], []).append((float(row["score"]), int(row["label"])))
    return {name: (np.array([s for s, _ in rows]), np.array([lab for _, lab in rows])) for name, rows in by_set.items()}


def average_precision(scores: np.ndarray, labels: np.ndarray) -> float:
    """AP over distinct thresholds, high to low: sum of (recall step) x precision (ties handled as one step)."""
    total, ap, previous_recall = labels.sum(), 0.0, 0.0
    for threshold in np.unique(scores)[::-1]:
        called = scores >= threshold
        recall = (called & (labels == 1)).sum() / total
        ap += (recall - previous_recall) * (called & (labels == 1)).sum() / called.sum()
        previous_recall = recall
    return ap


def auroc(scores: np.ndarray, labels: np.ndarray) -> float:
    fake, real = scores[labels == 1], scores[labels == 0]
    wins = (fake[:, None] > real[None, :]).sum() + 0.5 * (fake[:, None] == real[None, :]).sum()
    return wins / (len(fake) * len(real))


def assert_recomputable(folder: Path) -> None:
    """Every test entry of metrics.json follows from scores.csv by hand (numpy, not fakeid.evaluation.metrics)."""
    result, scores = metrics(folder), read_scores(folder)
    assert set(scores) == {entry["set"] for entry in result["test"]}
    for entry in result["test"]:
        s, y = scores[entry["set"]]
        assert (y == 0).sum() == entry["n_real"] and (y == 1).sum() == entry["n_fake"]
        assert entry["acc"] == pytest.approx(((s >= 0.5) == (y == 1)).mean(), abs=1e-7)
        assert entry["ap"] == pytest.approx(average_precision(s, y), abs=1e-6)
        assert entry["auroc"] == pytest.approx(auroc(s, y), abs=1e-6)
        if result["threshold"] is not None:
            assert entry["acc_cal"] == pytest.approx(((s >= result["threshold"]) == (y == 1)).mean(), abs=1e-7)


@pytest.mark.slow
def test_a_training_run_scores_csv_recomputes_its_metrics(trained_run):
    assert_recomputable(trained_run)


def assert_same_scores(folder: Path, reference: ScoredRun, relative: float = SAME_ENGINE_TOLERANCE) -> None:
    """scores.csv of `folder` holds the images of `reference` and their scores (tests/helpers/parity.py)."""
    scores = ScoredRun.of(folder).scores
    assert list(scores) == list(reference.scores)
    assert_scores_match(list(scores.values()), list(reference.scores.values()), reference.spread, relative)


@pytest.mark.slow
def test_eval_without_perturbation_equals_the_training_run(discriminating_run, tmp_path):
    """The same test images, threshold, metrics and per-image scores as the run's own test, on the detector
    whose scores spread (so a decoding, crop or normalisation that differs from training's shows)."""
    run_dir = discriminating_run.run
    done = evaluate(f"run={run_dir}", f"hydra.run.dir={tmp_path / 'eval'}")
    assert done.returncode == 0, done.stderr[-3000:]
    trained, evaluated = metrics(run_dir), metrics(tmp_path / "eval")
    assert evaluated["status"] == "ok" and evaluated["kind"] == "eval"
    for written, before, folder in ((trained, "train_augment", run_dir), (evaluated, "eval_jpeg", tmp_path / "eval")):
        keys = [key for key in written if key != "scores_sha256"]  # the keys of 88b4e21, in order; version 2 adds one
        assert keys == ["schema_version", *metrics(LEGACY / before)] and written["schema_version"] == 2
        assert written["scores_sha256"] == hashlib.sha256((folder / "scores.csv").read_bytes()).hexdigest()
    assert evaluated["threshold"] == trained["threshold"]
    assert evaluated["source"]["run"] == str(run_dir) and evaluated["source"]["ckpt"].endswith("tested.ckpt")
    assert_same_scores(tmp_path / "eval", discriminating_run)
    assert len(evaluated["test"]) == len(trained["test"]) == 3
    for before, after in zip(trained["test"], evaluated["test"], strict=True):
        assert after["perturbation"] == {"name": "none"}
        assert {k: before[k] for k in before if k not in FIELDS} == {k: after[k] for k in before if k not in FIELDS}
        for name in FIELDS:
            assert after[name] == pytest.approx(before[name], abs=1e-6), (before["set"], name)
    assert_recomputable(tmp_path / "eval")
    assert (tmp_path / "eval" / "file_lists.csv").is_file()


@pytest.mark.slow
def test_eval_of_a_checkpoint_on_folders_without_train(trained_run, tmp_path):
    checkpoint = trained_run / "checkpoints" / "tested.ckpt"
    generator = make_layout(tmp_path / "data", categories=[], test_sets=("progan/cat", "progan/sheep"))
    done = evaluate(
        f"ckpt={checkpoint}",
        f"data.root={generator / 'test' / 'progan'}",
        "perturb=jpeg",
        "perturb.quality=50",
        f"hydra.run.dir={tmp_path / 'gen'}",
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = metrics(tmp_path / "gen")
    by_set = {entry["set"]: entry for entry in result["test"]}
    assert set(by_set) == {"progan/cat", "progan/sheep"} and result["threshold"] is None
    assert by_set["progan/cat"]["seen_category"] is True and by_set["progan/sheep"]["seen_category"] is False
    assert all(e["acc_cal"] is None and e["perturbation"] == {"name": "jpeg", "quality": 50} for e in result["test"])
    assert_recomputable(tmp_path / "gen")
    bare = generator / "test" / "progan" / "cat"
    done = evaluate(f"ckpt={checkpoint}", f"data.root={bare}", "threshold=0.5", f"hydra.run.dir={tmp_path / 'bare'}")
    assert done.returncode == 0, done.stderr[-3000:]
    (entry,) = metrics(tmp_path / "bare")["test"]
    assert entry["set"] == "cat" and entry["generator"] is None and entry["seen_category"] is None
    assert entry["acc_cal"] == pytest.approx(entry["acc"]), "threshold=0.5 is the 0.5 accuracy"


@pytest.mark.slow
def test_a_robustness_grid_over_a_sweep_is_written_once_and_skipped_when_done(discriminating_run, tmp_path):
    sweep = tmp_path / "sweeps" / "mine"
    shutil.copytree(discriminating_run.run, sweep / "job0")
    shutil.copytree(discriminating_run.run, sweep / "job2")  # the same run twice: two workers must agree on it
    (sweep / "job1").mkdir()
    (sweep / "job1" / "metrics.json").write_text(json.dumps({"status": "failed", "hparams": {}, "test": []}))
    args = [
        "+experiment=robustness",
        f"sweep={sweep}",
        f"paths.outputs={tmp_path / 'out'}",
        "levels=[{name:none},{name:blur,sigma:2.0},{name:format,format:jpeg,quality:75}]",
        "sets=[progan/sheep]",
        "jobs=2",
    ]
    done = evaluate(*args)
    assert done.returncode == 0, done.stderr[-3000:]
    evals = tmp_path / "out" / "evals" / "robustness" / "mine"
    grid = json.loads((evals / "eval_grid.json").read_text())
    assert grid["level_ids"] == ["none", "blur_sigma=2.0", "format_format=jpeg,quality=75"]
    assert grid["sweep"] == str(sweep)
    assert grid["runs"] == [
        {"run_dir": "job0", "status": "ok"},
        {"run_dir": "job1", "status": "failed"},
        {"run_dir": "job2", "status": "ok"},
    ]
    assert not (evals / "job1").exists()
    for level in grid["level_ids"]:
        result = metrics(evals / "job0" / level)
        assert result["status"] == "ok" and [e["set"] for e in result["test"]] == ["progan/sheep"]
        assert result["hparams"]["seed"] == 0 and result["hparams"]["eval.perturbation"] == level
        assert_recomputable(evals / "job0" / level)
        assert metrics(evals / "job2" / level)["test"] == result["test"]  # evaluated by the other worker
        scores = (evals / "job0" / level / "scores.csv").read_text()
        assert (evals / "job2" / level / "scores.csv").read_text() == scores  # to the last digit
    # the grid's unperturbed level scores progan/sheep as the run's own test did
    sheep = {path: score for path, score in discriminating_run.scores.items() if "/progan/sheep/" in path}
    unperturbed = ScoredRun.of(evals / "job0" / "none").scores
    assert list(unperturbed) == list(sheep)
    assert_scores_match(
        list(unperturbed.values()), list(sheep.values()), discriminating_run.spread, SAME_ENGINE_TOLERANCE
    )
    # collected and plotted through the CLIs, as sweeps/robustness.sh does
    collected = run_module("fakeid.collect", f"sweeps=[{evals}]", f"out={tmp_path / 'evals.csv'}")
    assert collected.returncode == 0, collected.stderr[-2000:]
    table = pd.read_csv(tmp_path / "evals.csv")
    assert sorted(table["level"]) == sorted(grid["level_ids"] * 2) and set(table["kind"]) == {"eval"}
    plotted = run_module("fakeid.figures", "figure=all", f"csv=[{tmp_path / 'evals.csv'}]", f"out={tmp_path / 'fig'}")
    assert plotted.returncode == 0, plotted.stderr[-2000:]
    assert {"figR.png", "figR.csv", "formatbias.csv", "formatbias.md"} <= {p.name for p in (tmp_path / "fig").iterdir()}
    written = {p: p.stat().st_mtime_ns for p in evals.glob("job*/*/metrics.json")}
    assert len(written) == 6
    again = evaluate(*args)
    assert again.returncode == 0, again.stderr[-3000:]
    assert written == {p: p.stat().st_mtime_ns for p in written}


@pytest.mark.slow
@pytest.mark.parametrize(
    "case, message",
    [
        ("no_metrics", "holds no metrics.json"),
        ("not_a_checkpoint", "is not a PyTorch checkpoint"),
        ("unknown_perturbation", "perturb=sharpen is not a choice of `perturb`"),
        ("quality_0", "perturb.quality=0: expected an integer from 1 to 100"),
        ("no_test_set", "no test sets under"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_recorded_in_the_eval_folder(trained_run, tmp_path, case, message):
    before = sorted(p.name for p in trained_run.iterdir())
    out = tmp_path / "eval"
    args = {
        "no_metrics": [f"run={tmp_path}"],
        "not_a_checkpoint": [f"ckpt={trained_run / 'metrics.json'}", f"data.root={tmp_path}"],
        "unknown_perturbation": [f"run={trained_run}", "perturb=sharpen"],
        "quality_0": [f"run={trained_run}", "perturb=jpeg", "perturb.quality=0"],
        "no_test_set": [f"run={trained_run}", f"data.root={tmp_path / 'empty'}"],
    }[case]
    (tmp_path / "empty" / "nothing").mkdir(parents=True)
    done = evaluate(*args, f"hydra.run.dir={out}")
    assert_one_line_error(done, re.escape(message))
    if case not in ("unknown_perturbation", "quality_0"):  # the schema refuses these before Hydra makes the folder
        assert metrics(out)["status"] == "failed" and message in metrics(out)["error"]
    assert sorted(p.name for p in trained_run.iterdir()) == before, "nothing written into the source run"


@pytest.mark.slow
def test_the_decoded_cache_holds_perturbed_images_and_gives_the_same_scores(discriminating_run, tmp_path):
    """data.cache=true scores exactly (the same text) what decoding every file scores, on JPEG-perturbed images
    whose scores still spread (asserted: equal scores of a detector that cannot tell them apart prove nothing)."""
    outs = {}
    for cache in ("false", "true"):
        out = tmp_path / f"cache_{cache}"
        done = evaluate(
            f"run={discriminating_run.run}",
            "perturb=jpeg",
            "perturb.quality=40",
            f"data.cache={cache}",
            f"data.cache_dir={tmp_path / 'cache'}",
            f"hydra.run.dir={out}",
        )
        assert done.returncode == 0, done.stderr[-2000:]
        outs[cache] = (out / "scores.csv").read_text()
    assert outs["true"] == outs["false"]
    ScoredRun.of(tmp_path / "cache_true")  # asserts that these scores spread
    metas = [json.loads(p.read_text()) for p in (tmp_path / "cache").glob("*.json")]
    assert metas and all(meta["transform"] == "jpeg_quality=40" for meta in metas)


def test_a_grid_asked_for_0_jobs_is_refused_before_anything_is_written(tmp_path):
    (tmp_path / "sweeps" / "mine").mkdir(parents=True)
    out = tmp_path / "out"
    done = evaluate("+experiment=robustness", f"sweep={tmp_path / 'sweeps' / 'mine'}", f"paths.outputs={out}", "jobs=0")
    assert_one_line_error(done, "^fakeid: error: " + re.escape("jobs=0: expected an integer of at least 1"))
    assert not list(out.rglob("eval_grid.json")) and not list(out.rglob("metrics.json"))
