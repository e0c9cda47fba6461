"""model=probe through the real CLI: a frozen tower's features cached per image give the same detector as
computing them every epoch (to 1e-6), a second run reads them from disk (counted), and a probe's run is read
back like any other (training's test, load_detector)."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np
import pytest

from fakeid.runs.trained import load_detector
from tests.helpers.commands import assert_one_line_error, run_module
from tests.helpers.layouts import make_layout

COUNTS = re.compile(r"probe features: (\d+) computed, (\d+) read from disk, (\d+) from memory")


def train_probe(base: Path, root: Path, name: str, *overrides: str):
    run_dir = base / name
    done = run_module(
        "fakeid.train",
        "data=tiny",
        "model=probe",
        "model.random_tower=true",
        f"data.root={root}",
        "data.num_categories=3",
        "trainer.max_epochs=3",
        "model.lr=0.01",
        "model.drop_rate=0.2",
        *overrides,
        "logger=none",
        "seed=0",
        f"paths.outputs={base / 'outputs'}",
        f"hydra.run.dir={run_dir}",
        "trainer.enable_progress_bar=false",
        "callbacks=checkpoint_only",
    )
    assert done.returncode == 0, done.stderr[-3000:]
    with open(run_dir / "scores.csv", newline="") as handle:
        scores = {row["path"]: float(row["score"]) for row in csv.DictReader(handle)}
    counts = COUNTS.search(done.stdout)
    return run_dir, scores, (tuple(int(c) for c in counts.groups()) if counts else None)


@pytest.fixture(scope="module")
def layout(tmp_path_factory) -> Path:
    return make_layout(tmp_path_factory.mktemp("probe") / "data")


@pytest.mark.slow
def test_cached_features_train_the_same_probe_and_a_second_run_reads_them(layout, tmp_path):
    cache = tmp_path / "features"
    first_dir, first, (computed, disk, memory) = train_probe(
        tmp_path, layout, "first", f"model.feature_cache_dir={cache}"
    )
    images = len(list(cache.glob("probe-*/*/*.npy")))
    # each training and validation image through the tower once; every later epoch (and the sanity check's
    # second look at the validation images) from memory
    assert computed == images > 0 and disk == 0 and memory >= 2 * images
    second_dir, second, (computed2, disk2, _) = train_probe(
        tmp_path, layout, "second", f"model.feature_cache_dir={cache}"
    )
    assert computed2 == 0 and disk2 == images, "the second run reads every feature from disk"
    plain_dir, plain, counts = train_probe(tmp_path, layout, "plain", "model.feature_cache=false")
    assert counts is None
    values = np.array(list(first.values()))
    assert np.ptp(values) > 0.05, "the probe's scores depend on the image (a constant would hide a mismatch)"
    for other in (second, plain):
        assert other.keys() == first.keys()
        np.testing.assert_allclose([other[k] for k in first], values, atol=1e-6, rtol=0)
    records = [json.loads((d / "metrics.json").read_text()) for d in (first_dir, plain_dir)]
    assert records[0]["config_hash"] == records[1]["config_hash"], "the cache is not part of the experiment"
    trained = load_detector(first_dir / "checkpoints" / "tested.ckpt")
    assert type(trained).__name__ == "ProbeDetector" and not any(p.requires_grad for p in trained.tower.parameters())


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["model.weights=/no/such/tower.pth"], r"model.weights=/no/such/tower.pth is not a file"),
        (["model.random_tower=false"], r"model.weights=null: expected a local weights file .* model.random_tower=true"),
        (["model.random_tower=true", "model.hflip=true"], r"model.hflip=true: expected one of false \(must stay false"),
    ],
)
def test_a_missing_tower_or_an_augmentation_is_one_line(layout, tmp_path, overrides, message):
    done = run_module(
        "fakeid.train",
        "data=tiny",
        "model=probe",
        f"data.root={layout}",
        *overrides,
        "logger=none",
        f"paths.outputs={tmp_path / 'outputs'}",
        f"hydra.run.dir={tmp_path / 'run'}",
    )
    assert_one_line_error(done, message)
