"""The Fig A pipeline as `make demo-augment` runs it (sweeps/figA.sh), on a tiny sweep: an augmentation x
categories x seeds grid through the real CLI, the robustness grid on its checkpoints, the collector's
augmentation columns, Fig A, and Fig R with one line per augmentation."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pandas as pd
import pytest

from fakeid.synth import generate
from tests.helpers.commands import run_module, run_script
from tests.helpers.sweeps import TINY as SWEEP_TINY

# the sweep machinery, not the network, is under test (tests/helpers/sweeps.py), one epoch
GRID = [
    *SWEEP_TINY,
    "trainer.enable_progress_bar=false",
    "augment=none,blur_jpeg_0.5",
    "data.num_categories=1,2",
    "seed=0,1",
]
EVAL_ARGS = "levels=[{name:none},{name:jpeg,quality:50},{name:blur,sigma:1.0}] sets=[progan/sheep,stylegan2/*] jobs=1"


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("figA")
    root = generate(base / "data", preset="tiny", seed=0, progress=False)
    env = {
        **os.environ,
        "PY": sys.executable,
        "FAKEID_OUTPUTS": str(base / "outputs"),
        "EXPERIMENT": "demo_augment",
        "EVAL_EXPERIMENT": "robustness_demo_augment",
        "EVAL_ARGS": EVAL_ARGS,
        "OMP_NUM_THREADS": "1",
        "HYDRA_FULL_ERROR": "0",
    }
    done = run_script("sweeps/figA.sh", *GRID, f"data.root={root}", env=env)
    assert done.returncode == 0, done.stderr[-4000:]
    return base / "outputs"


@pytest.mark.slow
def test_the_sweep_records_each_augmentation(pipeline):
    runs = [json.loads(path.read_text()) for path in (pipeline / "sweeps" / "demo_augment").glob("*/metrics.json")]
    assert len(runs) == 8 and all(run["status"] == "ok" for run in runs)
    augmented = [run for run in runs if "augment.name" in run["hparams"]]
    assert len(augmented) == 4 and all(run["hparams"]["augment.blur_prob"] == 0.5 for run in augmented)
    assert len({run["config_hash"] for run in runs}) == 8


@pytest.mark.slow
def test_the_collector_gives_augmentation_columns(pipeline):
    table = pd.read_csv(pipeline / "sweeps" / "demo_augment" / "results.csv")
    assert set(table["augment"]) == {"none", "blur_jpeg 0.5"}
    assert set(table.loc[table["augment"] == "none", "augment.name"].isna()) == {True}
    assert set(table.loc[table["augment"] != "none", "augment.jpeg_prob"]) == {0.5}
    evals = pd.read_csv(pipeline / "evals" / "robustness_demo_augment" / "demo_augment" / "results.csv")
    assert set(evals["augment"]) == {"none", "blur_jpeg 0.5"} and set(evals["level"]) >= {"none", "jpeg_quality=50"}


@pytest.mark.slow
def test_fig_a_has_a_line_per_augmentation_with_intervals_over_seeds(pipeline):
    figures = pipeline / "figures" / "demo_augment"
    assert (figures / "figA.png").stat().st_size > 0 and (figures / "figA.pdf").is_file()
    data = pd.read_csv(figures / "figA.csv")
    assert set(data["series"]) == {"augment none", "augment blur_jpeg 0.5"}
    assert set(data["panel"]) == {f"{g} | {m}" for g in ("unseen content", "unseen generator") for m in ("acc", "ap")}
    assert set(data["x"]) == {1, 2} and set(data["n"]) == {2}  # two seeds per point
    assert data["ci_low"].notna().all()


@pytest.mark.slow
def test_fig_r_draws_each_augmentation_apart(pipeline):
    data = pd.read_csv(pipeline / "figures" / "demo_augment" / "figR.csv")
    series = set(data["series"])
    assert any("augment none" in name for name in series) and any("augment blur_jpeg 0.5" in name for name in series)
    assert set(data["n"]) == {2}  # seeds only: never two augmentations (or category counts) in one point


def test_the_experiments_compose_with_their_grids():
    """+experiment=augment is the paper-scale grid, demo_augment the embedded benchmark's, both at dropout 0."""
    for name, grid in [
        (
            "augment",
            {"augment": "none,blur_jpeg_0.1,blur_jpeg_0.5", "data.num_categories": "1,2,4,10", "seed": "0,1,2"},
        ),
        (
            "demo_augment",
            {"augment": "none,blur_jpeg_0.1,blur_jpeg_0.5", "data.num_categories": "1,4,10", "seed": "0,1"},
        ),
    ]:
        done = run_module("fakeid.train", f"+experiment={name}", "--cfg", "hydra", "-p", "hydra.sweeper.params")
        assert done.returncode == 0, done.stderr[-2000:]
        for key, values in grid.items():
            assert f"{key}: {values}" in done.stdout, done.stdout
        job = run_module("fakeid.train", f"+experiment={name}", "--cfg", "job", "-p", "model.drop_rate")
        assert job.stdout.strip() == "0.0", job.stdout
