"""Run folders written by fakeid before training augmentation existed (d1b9663, tests/data/old_runs_d1b9663)
are still done for the same configuration, and never for one with augmentation.

The two folders' metrics.json were written by `python -m fakeid.train` at d1b9663 with OLD_OVERRIDES (and
`model.hflip=true` for `hflip`), on `make_layout(ROOT, categories=[cat, church_outdoor],
test_sets=(progan/sheep,))`. Only their `data_identity` is rewritten here, to this test's own copy of that data
(its root and file times differ): the test is about the configuration's identity, which is left as written.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from fakeid.data.datamodule import CategoryMixDataModule
from tests.helpers.commands import REPO, run_module
from tests.helpers.layouts import make_layout

OLD_RUNS = REPO / "tests" / "data" / "old_runs_d1b9663"
OLD_OVERRIDES = [
    "data=tiny",
    "data.num_categories=2",
    "model.name=test_resnet",
    "trainer.max_epochs=1",
    "logger=none",
    "callbacks=checkpoint_only",
    "trainer.enable_progress_bar=false",
    "keep_checkpoints=none",
]


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    return make_layout(
        tmp_path_factory.mktemp("old") / "data", categories=["cat", "church_outdoor"], test_sets=("progan/sheep",)
    )


def old_folder(name: str, root: Path, tmp_path: Path) -> Path:
    run_dir = tmp_path / name
    run_dir.mkdir()
    metrics = json.loads((OLD_RUNS / name / "metrics.json").read_text())
    metrics["data_identity"] = CategoryMixDataModule(str(root)).identity()
    (run_dir / "metrics.json").write_text(json.dumps(metrics))
    return run_dir


def train(run_dir: Path, root: Path, *extra: str, monkeypatch) -> tuple[int, str, list[dict]]:
    """fakeid.train on the old folder, with the training itself replaced by a stub that records its call."""
    import fakeid.training.run

    calls: list[dict] = []

    def stub(cfg, run_dir, result):
        calls.append(result.hparams)
        result.status = "ok"

    monkeypatch.setattr(fakeid.training.run, "train_and_test", stub)
    done = run_module(
        "fakeid.train",
        *OLD_OVERRIDES,
        f"data.root={root}",
        f"hydra.run.dir={run_dir}",
        f"paths.outputs={run_dir.parent / 'outputs'}",
        *extra,
    )
    return done.returncode, done.stderr, calls


@pytest.mark.parametrize(
    "folder, extra",
    [
        ("plain", []),
        ("plain", ["augment=none"]),
        ("plain", ["augment.hflip=false"]),
        ("plain", ["model.hflip=false"]),
        ("hflip", ["model.hflip=true"]),  # the old spelling
        ("hflip", ["augment.hflip=true"]),  # the new one: the same experiment
    ],
)
def test_an_old_run_folder_is_still_done(root, tmp_path, monkeypatch, folder, extra):
    run_dir = old_folder(folder, root, tmp_path)
    before = (run_dir / "metrics.json").read_text()
    code, stderr, calls = train(run_dir, root, *extra, monkeypatch=monkeypatch)
    assert code == 0, stderr[-2000:]
    assert calls == [], "trained again"
    assert (run_dir / "metrics.json").read_text() == before


@pytest.mark.parametrize(
    "folder, extra",
    [
        ("plain", ["augment=blur_jpeg"]),
        ("plain", ["augment=blur_jpeg_0.1"]),
        ("plain", ["augment.crop=random"]),
        ("plain", ["augment.hflip=true"]),
        ("hflip", ["augment=resize", "augment.hflip=true"]),
    ],
)
def test_an_old_run_folder_is_not_done_for_an_augmented_run(root, tmp_path, monkeypatch, folder, extra):
    run_dir = old_folder(folder, root, tmp_path)
    old_hash = json.loads((run_dir / "metrics.json").read_text())["config_hash"]
    code, stderr, calls = train(run_dir, root, *extra, monkeypatch=monkeypatch)
    assert code == 0, stderr[-2000:]
    assert len(calls) == 1, "the augmented run was taken for the old one"
    assert json.loads((run_dir / "metrics.json").read_text())["config_hash"] != old_hash
    assert list((run_dir / ".replaced").iterdir()), "the old result is kept aside"


def test_the_old_hash_is_kept(root, tmp_path, monkeypatch):
    """A new run of the old configuration (in a fresh folder) gets the config_hash the old code wrote."""
    code, stderr, calls = train(tmp_path / "fresh", root, monkeypatch=monkeypatch)
    assert code == 0 and len(calls) == 1, stderr[-2000:]
    new = json.loads((tmp_path / "fresh" / "metrics.json").read_text())
    assert new["config_hash"] == json.loads((OLD_RUNS / "plain" / "metrics.json").read_text())["config_hash"]
    assert not any(key.startswith("augment.") for key in new["hparams"])
    shutil.rmtree(tmp_path / "fresh")


@pytest.mark.slow
def test_a_bare_checkpoint_records_its_augmentation_as_a_run_does(root, tmp_path):
    """fakeid.eval ckpt=PATH reads the training augmentation from the checkpoint (the datamodule's saved
    `augment`) into the same `augment.*` hparams a run records, so its evaluations are labelled alike."""
    from fakeid.runs.trained import from_checkpoint

    run_dir = tmp_path / "run"
    done = run_module(
        "fakeid.train",
        *[item for item in OLD_OVERRIDES if item != "keep_checkpoints=none"],
        f"data.root={root}",
        f"hydra.run.dir={run_dir}",
        f"paths.outputs={tmp_path / 'outputs'}",
        "augment=blur_jpeg_0.1",
    )
    assert done.returncode == 0, done.stderr[-2000:]
    recorded = json.loads((run_dir / "metrics.json").read_text())["hparams"]
    bare = from_checkpoint(run_dir / "checkpoints" / "tested.ckpt").hparams
    augment = {key: value for key, value in recorded.items() if key.startswith("augment.")}
    assert augment["augment.blur_prob"] == 0.1
    assert {key: value for key, value in bare.items() if key.startswith("augment.")} == augment
    assert "data.augment" not in bare
