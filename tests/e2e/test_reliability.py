"""What a run guarantees (docs/runs.md), each promise with a fault that would break it:
identity across upgrades, never two datasets in one folder, nothing deleted, exact resume, interruptions,
concurrent sweeps, and the small defects an audit found."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from fakeid import CONF_DIR
from fakeid.core.atomic import write_json_atomically
from fakeid.core.errors import FakeidError
from fakeid.data.layout import list_class_folder
from fakeid.data.selection import Selection, Selector
from fakeid.runs.identity import PROTOCOL_KEY, config_differences
from fakeid.synth.quick import write_images
from fakeid.training.checkpoints import resume_path
from tests.helpers.commands import REPO, assert_one_line_error, run_module
from tests.helpers.layouts import make_datamodule, make_layout

TINY = [
    "data=tiny",
    "data.num_categories=2",
    "trainer.max_epochs=2",
    "logger=none",
    "callbacks=checkpoint_only",
    "trainer.enable_progress_bar=false",
]


def train(run_dir: Path, root: Path, *extra: str, in_process: bool = True):
    return run_module(
        "fakeid.train",
        *TINY,
        f"data.root={root}",
        f"hydra.run.dir={run_dir}",
        f"paths.outputs={run_dir.parent / 'outputs'}",
        *extra,
        in_process=in_process,
    )


def metrics(run_dir: Path) -> dict:
    return json.loads((run_dir / "metrics.json").read_text())


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> tuple[Path, Path]:
    """(data root, a finished tiny run folder): copied by the tests that rerun it."""
    base = tmp_path_factory.mktemp("finished")
    root = make_layout(base / "data", categories=["cat", "church_outdoor"], test_sets=("progan/sheep",))
    done = train(base / "run", root)
    assert done.returncode == 0, done.stderr[-3000:]
    return root, base / "run"


def copy_run(finished: tuple[Path, Path], tmp_path: Path) -> Path:
    return Path(shutil.copytree(finished[1], tmp_path / "run"))


# ----------------------------------------------------------------------------- configuration identity
BASE = {
    "data.num_categories": 3,
    "model.drop_rate": 0.3,
    "seed": 1,
    "data.root": "/a",
    "version.torch": "2",
    PROTOCOL_KEY: 2,
}


def test_a_new_key_at_its_default_is_the_same_experiment_unless_set_or_protocol_changes():
    assert config_differences(BASE, {**BASE, "data.new_knob": 0}, overrides=[]) == []
    assert config_differences(BASE, {**BASE, "data.new_knob": 0}, overrides=["data=tiny"]) == []
    assert config_differences(BASE, {**BASE, "data.new_knob": 5}, overrides=["data.new_knob=5"]) != []
    assert config_differences(BASE, {**BASE, "model.drop_rate": 0.4}, overrides=[]) != []
    assert config_differences(BASE, {**BASE, "data.root": "/b", "version.torch": "3"}, overrides=[]) == []
    old = {k: v for k, v in BASE.items() if k != PROTOCOL_KEY}
    assert config_differences(old, BASE, overrides=[]) == ["protocol.version: (absent) -> 2"]


@pytest.mark.slow
def test_rerun_after_an_upgrade_that_added_keys_trains_nothing(finished, tmp_path):
    """A run made before `data.small_images` and `keep_checkpoints` existed: the rerun skips it."""
    run_dir = copy_run(finished, tmp_path)
    result = metrics(run_dir)
    for key in ("data.small_images", "keep_checkpoints"):
        del result["hparams"][key]
    write_json_atomically(run_dir / "metrics.json", result)
    before = (run_dir / "metrics.json").stat().st_mtime_ns
    again = train(run_dir, finished[0])
    assert again.returncode == 0 and "skipping" in again.stdout + again.stderr, again.stderr[-2000:]
    assert (run_dir / "metrics.json").stat().st_mtime_ns == before


@pytest.mark.slow
def test_a_changed_value_retrains_and_moves_the_previous_run_aside(finished, tmp_path):
    run_dir = copy_run(finished, tmp_path)
    previous = metrics(run_dir)
    again = train(run_dir, finished[0], "model.lr=0.002")
    assert again.returncode == 0, again.stderr[-2000:]
    assert metrics(run_dir)["hparams"]["model.lr"] == 0.002 and metrics(run_dir)["status"] == "ok"
    (aside,) = (run_dir / ".replaced").iterdir()
    assert json.loads((aside / "metrics.json").read_text()) == previous
    assert (aside / "checkpoints" / "tested.ckpt").is_file() and "model.lr" in (aside / "REASON.txt").read_text()


# ----------------------------------------------------------------------------- data identity
@pytest.mark.slow
@pytest.mark.parametrize("change", ["another_root", "regenerated_in_place"])
def test_a_folder_never_holds_two_datasets(finished, tmp_path, change):
    run_dir = copy_run(finished, tmp_path)
    root = Path(shutil.copytree(finished[0], tmp_path / "data"))
    if change == "regenerated_in_place":  # the run was made on this copy, which is then regenerated
        from fakeid.data.datamodule import CategoryMixDataModule

        result = metrics(run_dir)
        result["data_identity"] = CategoryMixDataModule(str(root), num_categories=2).identity()
        write_json_atomically(run_dir / "metrics.json", result)
        write_images(root / "test" / "progan" / "sheep" / "1_fake", 1, 32, fake=True, seed=99)  # a new 0000.png
    before = sorted(p.name for p in run_dir.iterdir())
    done = train(run_dir, root)
    line = assert_one_line_error(done, "holds results of data.root=")
    assert "holds results of data.root=" in line and "fingerprint" in line and "this run reads" in line
    assert sorted(p.name for p in run_dir.iterdir()) == before and metrics(run_dir)["status"] == "ok"


# ----------------------------------------------------------------------------- exact resume, interruption
def wait_for(path: Path, process: subprocess.Popen, timeout: float = 900) -> None:
    """Until `path` exists and its size has stopped changing (the checkpoint is written)."""
    started, size = time.time(), -1
    while not path.is_file() or path.stat().st_size != size:
        assert process.poll() is None, process.communicate()[1][-3000:]
        assert time.time() - started < timeout, f"{path} never appeared"
        size = path.stat().st_size if path.is_file() else -1
        time.sleep(0.3)


@pytest.mark.slow
@pytest.mark.parametrize(("augment", "workers"), [("none", 0), ("none", 1), ("blur_jpeg", 1)])
def test_interrupted_then_resumed_equals_uninterrupted(finished, tmp_path, monkeypatch, augment, workers):
    """Ctrl-C after epoch 1: status interrupted, exit 130; the same command resumes and ends with the weights
    and metrics of the run never interrupted; the CSV log keeps epoch 1. One CPU thread per process: with
    several, the order of a parallel reduction can differ between any two runs, interrupted or not. With
    training augmentation too: the re-run epoch draws what the interrupted one drew (fakeid.data.augment). With a
    loader worker, whose base seed torch draws from the shuffle generator each time a loader starts."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    root = finished[0]
    args = ["keep_checkpoints=all", "logger=csv", "trainer.max_epochs=4", "trainer.log_every_n_steps=1"]
    # with a worker, whose loader fetches the first batches before Lightning sets the resumed epoch
    args += [f"augment={augment}"] if augment != "none" else []
    args += [f"data.num_workers={workers}"] if workers else []
    straight = train(tmp_path / "straight", root, *args, in_process=False)  # each run in a process of its own
    assert straight.returncode == 0, straight.stderr[-3000:]
    last = torch.load(tmp_path / "straight" / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)
    assert last["epoch"] == 3 and last["global_step"] == 16, "last.ckpt is the last epoch's, improving or not"
    run_dir = tmp_path / "stopped"
    command = [
        sys.executable,
        "-m",
        "fakeid.train",
        *TINY,
        f"data.root={root}",
        f"hydra.run.dir={run_dir}",
        f"paths.outputs={tmp_path / 'outputs'}",
        *args,
    ]
    # as typed in a terminal: SIGINT at its default (a test runner started in the background ignores it, and
    # Python only turns SIGINT into KeyboardInterrupt when it is not ignored at start)
    process = subprocess.Popen(
        command,
        cwd=REPO,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    wait_for(run_dir / "checkpoints" / "last.ckpt", process)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=600)
    result = metrics(run_dir)
    if result["status"] == "ok":
        pytest.skip("the run finished before the interrupt landed (a very fast machine)")
    assert process.returncode == 130 and result["status"] == "interrupted", stderr[-3000:]
    assert "fakeid: interrupted" in stderr
    resumed = train(run_dir, root, *args, in_process=False)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    after, reference = metrics(run_dir), metrics(tmp_path / "straight")
    assert after["status"] == "ok" and after.get("resumed_from_step", 0) > 0
    for a, b in zip(after["test"], reference["test"], strict=True):
        for name in ("acc", "ap", "auroc", "acc_cal"):
            assert a[name] == pytest.approx(b[name], abs=1e-5), (a["set"], name)
    weights = [
        torch.load(d / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)["state_dict"]
        for d in (run_dir, tmp_path / "straight")
    ]
    for key in weights[1]:
        assert torch.allclose(weights[0][key].float(), weights[1][key].float(), atol=1e-5), key
    logged = (run_dir / "logs" / "metrics.csv").read_text().splitlines()
    assert logged == (tmp_path / "straight" / "logs" / "metrics.csv").read_text().splitlines(), "the same log"


@pytest.mark.slow
def test_last_ckpt_of_an_improving_epoch_is_the_best_file_itself(finished, tmp_path):
    """One epoch: its weights are the best and the last at once, so last.ckpt is a second name of best.ckpt
    (one 250 MB write saved per improving epoch, not a second save); a later epoch replaces last.ckpt alone."""
    done = train(tmp_path / "one", finished[0], "keep_checkpoints=all", "trainer.max_epochs=1")
    assert done.returncode == 0, done.stderr[-3000:]
    best, last = (tmp_path / "one" / "checkpoints" / name for name in ("best.ckpt", "last.ckpt"))
    assert best.stat().st_ino == last.stat().st_ino and best.stat().st_nlink == 2
    loaded = torch.load(last, map_location="cpu", weights_only=True)
    assert loaded["epoch"] == 0 and loaded["global_step"] == 4 and loaded["optimizer_states"]
    two = train(tmp_path / "two", finished[0], "keep_checkpoints=all", "trainer.max_epochs=2")
    assert two.returncode == 0, two.stderr[-3000:]
    best, last = (tmp_path / "two" / "checkpoints" / name for name in ("best.ckpt", "last.ckpt"))
    steps = [torch.load(f, map_location="cpu", weights_only=True)["global_step"] for f in (best, last)]
    assert steps[1] == 8 and (best.stat().st_ino == last.stat().st_ino) == (steps[0] == 8), steps


@pytest.mark.slow
def test_two_processes_on_one_folder_train_it_once(finished, tmp_path):
    run_dir = tmp_path / "run"
    command = [
        sys.executable,
        "-m",
        "fakeid.train",
        *TINY,
        f"data.root={finished[0]}",
        f"hydra.run.dir={run_dir}",
        f"paths.outputs={tmp_path / 'outputs'}",
    ]
    processes = [
        subprocess.Popen(command, cwd=REPO, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)
    ]
    outputs = ["".join(process.communicate(timeout=900)) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    assert sum("skipping" in output for output in outputs) == 1, outputs
    assert metrics(run_dir)["status"] == "ok" and not (run_dir / ".replaced").exists()


# ----------------------------------------------------------------------------- faults and small defects
def test_a_failed_write_leaves_the_previous_metrics_json_intact(tmp_path, monkeypatch):
    write_json_atomically(tmp_path / "metrics.json", {"status": "ok"})
    circular: dict = {"status": "failed"}
    circular["self"] = circular
    with pytest.raises(ValueError):
        write_json_atomically(tmp_path / "metrics.json", circular)  # cannot be serialised
    monkeypatch.setattr(os, "replace", lambda *a: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        write_json_atomically(tmp_path / "metrics.json", {"status": "failed"})
    assert json.loads((tmp_path / "metrics.json").read_text()) == {"status": "ok"}
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"], "no temporary file left behind"


def test_an_unreadable_last_checkpoint_is_set_aside(tmp_path):
    (tmp_path / "last.ckpt").write_bytes(b"not a checkpoint")
    notes: dict = {}
    assert resume_path(tmp_path, notes) == (None, 0)
    assert not (tmp_path / "last.ckpt").exists() and len(list(tmp_path.glob("last.ckpt.corrupt-*"))) == 1
    assert "set aside" in notes["resume_warning"]


def test_broken_and_looping_links_are_counted_not_dropped(tmp_path):
    folder = tmp_path / "0_real"
    write_images(folder, 2, 32, fake=False, seed=0)
    (folder / "gone.png").symlink_to(tmp_path / "nowhere.png")
    (folder / "loop.png").symlink_to(folder / "loop.png")
    listed = list_class_folder(folder, 0)
    assert len(listed.images) == 2 and {p.name for p in listed.broken} == {"gone.png", "loop.png"}
    selection = Selection("train")
    Selector(lambda paths: [None] * len(paths), strict=False, allow_shortfall=False).note_non_images(selection, listed)
    assert sorted(reason for _, reason in selection.skipped) == ["broken or looping symbolic link"] * 2


@pytest.mark.parametrize("policy", ["enlarge", "skip", "error"])
def test_small_images_follow_data_small_images(tmp_path, policy):
    folder = tmp_path / "1_fake"
    write_images(folder, 3, 32, fake=True, seed=0)
    Image.fromarray(np.zeros((16, 40, 3), np.uint8)).save(folder / "0000.png")  # the first file is small
    listed = list_class_folder(folder, 1)
    selector = Selector(
        lambda paths: [None] * len(paths), strict=False, allow_shortfall=False, image_size=32, small_images=policy
    )
    selection = Selection("train")
    if policy == "error":
        with pytest.raises(FakeidError, match="0000.png is 40x16, smaller than data.image_size=32"):
            selector.draw(selection, listed, list(listed.images), 2, "x/1_fake")
        return
    selector.draw(selection, listed, list(listed.images), 2, "x/1_fake")
    names = [p.name for p in selection.paths]
    if policy == "enlarge":
        assert names == ["0000.png", "0001.png"] and selection.enlarged_per_class() == {"real": 0, "fake": 1}
        assert "enlarged" in selection.enlarged_warning()
    else:
        assert names == ["0001.png", "0002.png"] and "smaller than data.image_size" in selection.skipped[0][1]


def test_a_last_training_batch_of_one_is_held_over(tmp_path):
    root = make_layout(tmp_path / "data", categories=["cat"], train_per_class=12)
    settings = dict(num_categories=1, categories=["cat"], train_per_class=9, val_per_class=2, test_per_class=2)
    loader = make_datamodule(root, **settings, batch_size=4).train_dataloader()
    assert len(loader.dataset) == 18 and not loader.drop_last, "18 = 4 x 4 + 2: every image is used"
    module17 = make_datamodule(root, **settings, batch_size=17)
    assert module17.train_dataloader().drop_last, "18 = 17 + 1: the one image waits for the next epoch"


def test_progress_bar_off_works_with_the_default_callbacks(tmp_path):
    from hydra import compose, initialize_config_dir

    from fakeid.training.run import build_trainer

    with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
        cfg = compose(
            "train",
            overrides=["data.root=/x", "trainer.enable_progress_bar=false", f"hydra.run.dir={tmp_path}"],
            return_hydra_config=True,
        )
    from hydra.core.hydra_config import HydraConfig
    from omegaconf import open_dict

    with open_dict(cfg):
        cfg.hydra.runtime.output_dir = str(tmp_path)
    HydraConfig.instance().set_config(cfg)
    trainer = build_trainer(cfg, tmp_path)
    assert trainer.checkpoint_callback is not None and trainer.progress_bar_callback is None


@pytest.mark.slow
def test_an_exception_inside_validation_is_recorded_as_failed(tmp_path, monkeypatch):
    from hydra import compose, initialize_config_dir
    from hydra.core.hydra_config import HydraConfig
    from omegaconf import open_dict

    from fakeid import train as train_module
    from fakeid.models.detector import FakeImageDetector

    root = make_layout(tmp_path / "data", categories=["cat", "church_outdoor"], test_sets=("progan/sheep",))
    overrides = [*TINY, "model.name=test_resnet", f"data.root={root}"]
    with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
        cfg = compose("train", overrides=overrides)
        with_hydra = compose("train", overrides=overrides, return_hydra_config=True)
    with open_dict(with_hydra):
        with_hydra.hydra.runtime.output_dir = str(tmp_path / "run")
    HydraConfig.instance().set_config(with_hydra)  # what ${hydra:runtime.output_dir} reads

    def broken(self, batch, batch_idx):
        raise RuntimeError("validation exploded")

    monkeypatch.setattr(FakeImageDetector, "validation_step", broken)
    result = train_module.run(cfg, tmp_path / "run", [], multirun=True)
    assert result.status == "failed" and result.error == "RuntimeError: validation exploded"
    assert "validation exploded" in (tmp_path / "run" / "error.log").read_text()
    assert metrics(tmp_path / "run")["status"] == "failed"
