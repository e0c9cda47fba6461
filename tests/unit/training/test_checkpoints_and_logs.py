"""fakeid.training without training a model: which checkpoint a run resumes from, tests and keeps; the CSV log
kept across a resume; the step timer; the log interval; the names a tracker gets."""

from __future__ import annotations

import csv
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from fakeid.core.errors import FakeidError
from fakeid.runs.checkpoint_file import load_checkpoint_file
from fakeid.training.callbacks import BestAndLastCheckpoint, TrainStepTimer, checkpointing
from fakeid.training.checkpoints import chosen_for_testing, resume_path, slim
from fakeid.training.logs import ResumableCSVLogger, trim_rows_after
from fakeid.training.run import log_interval
from fakeid.training.tracking import sweep_names

CALLBACK_KEY = "ModelCheckpoint{'monitor': 'val/loss', 'mode': 'min'}"


def save(path: Path, step: int, best: str | None = None, **extra) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    callbacks = {CALLBACK_KEY: {"best_model_path": best}} if best is not None else {}
    torch.save({"global_step": step, "callbacks": callbacks, "state_dict": {"w": torch.ones(2)}, **extra}, path)
    return path


# ---- resume --------------------------------------------------------------------------------------------------


def test_resume_from_a_readable_last_checkpoint_at_its_step(tmp_path):
    assert resume_path(tmp_path, {}) == (None, 0)  # nothing yet: start
    save(tmp_path / "best.ckpt", 3)
    last = save(
        tmp_path / "last.ckpt", 7, best="/elsewhere/old-folder/best.ckpt", optimizer_states=[]
    )  # moved: by name
    (tmp_path / ".last.ckpt.partial-123").write_bytes(b"half")  # a killed save's leftover
    notes: dict = {}
    assert resume_path(tmp_path, notes) == (last, 7)
    assert notes == {} and not (tmp_path / ".last.ckpt.partial-123").exists()


def test_a_corrupt_last_checkpoint_is_set_aside_not_deleted(tmp_path):
    (tmp_path / "last.ckpt").write_bytes(b"\x00not a checkpoint")
    notes: dict = {}
    assert resume_path(tmp_path, notes) == (None, 0)
    (aside,) = tmp_path.glob("last.ckpt.corrupt-*")
    assert aside.read_bytes() == b"\x00not a checkpoint" and not (tmp_path / "last.ckpt").exists()
    assert "could not be read" in notes["resume_warning"] and aside.name in notes["resume_warning"]


def test_a_last_checkpoint_whose_best_weights_are_gone_is_set_aside(tmp_path):
    save(tmp_path / "last.ckpt", 7, best=str(tmp_path / "best.ckpt"), optimizer_states=[])
    notes: dict = {}
    assert resume_path(tmp_path, notes) == (None, 0)
    assert list(tmp_path.glob("last.ckpt.no-best-*")) and "best.ckpt that are gone" in notes["resume_warning"]


def test_a_weights_only_last_checkpoint_starts_the_run_over_and_is_left_to_be_replaced(tmp_path):
    save(tmp_path / "best.ckpt", 3)  # callbacks.checkpoint.resumable=false: no optimizer state, no callbacks
    last = save(tmp_path / "last.ckpt", 7)
    notes: dict = {}
    assert resume_path(tmp_path, notes) == (None, 0)
    assert last.is_file() and not list(tmp_path.glob("last.ckpt.*"))  # the next checkpoint replaces it
    assert "weights only" in notes["resume_warning"] and "resumable=false" in notes["resume_warning"]


# ---- tested and kept -----------------------------------------------------------------------------------------


def test_the_tested_checkpoint_is_best_or_last_in_the_callbacks_own_folder(tmp_path):
    callback = SimpleNamespace(
        best_model_path="/old/run/checkpoints/best.ckpt",
        last_model_path="/old/run/checkpoints/last.ckpt",
        dirpath=str(tmp_path),
    )
    assert chosen_for_testing(callback, "best") == tmp_path / "best.ckpt"
    assert chosen_for_testing(callback, "last") == tmp_path / "last.ckpt"
    with pytest.raises(FakeidError, match="select=best but no checkpoint recorded a validation loss"):
        chosen_for_testing(SimpleNamespace(best_model_path="", last_model_path="x", dirpath="."), "best")
    # select's choices are the schema's (TrainConfig.select), refused before a run: see tests/e2e/test_faults_inputs.py


@pytest.mark.parametrize("keep", ["tested", "all", "none"])
def test_what_a_finished_run_keeps(tmp_path, keep):
    best = save(tmp_path / "best.ckpt", 3, optimizer_states=[{"m": torch.zeros(2)}], lr_schedulers=[])
    save(tmp_path / "last.ckpt", 7)
    kept = slim(best, keep)
    left = sorted(path.name for path in tmp_path.iterdir())
    if keep == "all":
        assert kept == best and left == ["best.ckpt", "last.ckpt"]
    elif keep == "none":
        assert kept is None and left == []
    else:
        assert kept == tmp_path / "tested.ckpt" and left == ["tested.ckpt"]
        payload = load_checkpoint_file(kept)
        assert "optimizer_states" not in payload and "lr_schedulers" not in payload
        assert payload["global_step"] == 3 and torch.equal(payload["state_dict"]["w"], torch.ones(2))


def test_weights_only_tested_weights_are_kept_as_a_link_not_a_copy(tmp_path):
    best = save(tmp_path / "best.ckpt", 3)  # no optimizer state: the bytes tested.ckpt would hold
    inode, content = best.stat().st_ino, best.read_bytes()
    save(tmp_path / "last.ckpt", 7)
    kept = slim(best, "tested")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["tested.ckpt"]
    assert kept.stat().st_ino == inode and kept.read_bytes() == content


# ---- the CSV log ---------------------------------------------------------------------------------------------


def test_trim_drops_the_rows_a_resumed_run_logs_again(tmp_path):
    log = tmp_path / "metrics.csv"
    assert trim_rows_after(log, 5) == 0  # no log yet
    log.write_text("epoch,step,train/loss,val/loss\n0,2,0.7,\n0,4,0.6,0.65\n1,6,0.5,\n1,8,0.4,0.45\n")
    assert trim_rows_after(log, 6) == 2
    with log.open(newline="") as handle:
        assert [row["step"] for row in csv.DictReader(handle)] == ["2", "4"]
    assert trim_rows_after(log, 0) == 2 and log.read_text() == "epoch,step,train/loss,val/loss\n"


def test_the_csv_logger_appends_to_the_log_of_the_attempt_before(tmp_path):
    first = ResumableCSVLogger(save_dir=str(tmp_path), name="logs", version="")
    first.log_metrics({"train/loss": 0.7}, step=2)
    first.save()
    second = ResumableCSVLogger(save_dir=str(tmp_path), name="logs", version="")  # the resumed attempt
    second.log_metrics({"train/loss": 0.6, "val/loss": 0.65}, step=4)
    second.save()
    with (tmp_path / "logs" / "metrics.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(row["step"], row["train/loss"]) for row in rows] == [("2", "0.7"), ("4", "0.6")]
    assert rows[1]["val/loss"] == "0.65"


# ---- callbacks, the log interval, tracking -------------------------------------------------------------------


def test_the_step_timer_counts_steps_and_images_between_batch_start_and_end():
    timer = TrainStepTimer()
    timer.on_train_batch_end(None, None, None, (None, [0, 1]), 0)  # no start seen: not counted
    for size in (4, 3):
        timer.on_train_batch_start(None, None, None, 0)
        timer.on_train_batch_end(None, None, None, (None, list(range(size))), 0)
    summary = timer.summary()
    assert (summary["train_steps"], summary["train_images"]) == (2, 7) and summary["train_step_s"] >= 0


def test_checkpointing_keeps_the_lowest_validation_loss_and_the_last_epoch(tmp_path):
    callback = checkpointing(str(tmp_path))
    assert isinstance(callback, BestAndLastCheckpoint)
    assert (callback.monitor, callback.mode, callback.save_top_k, callback.save_last) == ("val/loss", "min", 1, True)
    assert callback.state_key.startswith("ModelCheckpoint{")  # old last.ckpt files resume with their best
    assert not callback.save_weights_only and checkpointing(str(tmp_path), resumable=False).save_weights_only


@pytest.mark.parametrize(
    "configured, images, batch, world, expected",
    [(10, 32, 8, 1, 4), (10, 1000, 8, 1, 10), (50, 64, 8, 2, 4), (10, 3, 8, 1, 1)],
)
def test_the_log_interval_fits_the_batches_one_process_sees(configured, images, batch, world, expected):
    trainer = SimpleNamespace(log_every_n_steps=configured, world_size=world)
    log_interval(trainer, images, batch)
    assert trainer.log_every_n_steps == expected


def test_tracker_names_of_a_single_run(tmp_path):
    assert sweep_names(tmp_path / "2026-12-07_03-00-00", "adhoc") == ("adhoc", "2026-12-07_03-00-00")
