"""Faults injected for real (docs/runs.md, "What a run guarantees"): a full disk at every write site, a real 3 MB
tmpfs, SIGKILL in the middle of a checkpoint save, a run folder copied (`cp -a`) or moved aside and then
evaluated, and the leftovers of dead attempts (a CSV log, a last.ckpt without its best.ckpt, a run without
weights in a robustness grid).

A full disk is injected where the bytes are written: `open` (builtins and io, which pathlib uses) hands back
a file whose `write` puts half the bytes down and raises `OSError(ENOSPC)`, as a disk that fills up does;
`shutil.copyfile` likewise for `prepare mode=copy`. What must hold each time: one line
`fakeid: error: no space left on ...`, no traceback, a record where one can be written, no partial file left
in the run folder or in $TMPDIR, and a rerun that recovers.
"""

from __future__ import annotations

import builtins
import collections
import errno
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from fakeid.core.atomic import PARTIAL_MARK
from fakeid.core.errors import FakeidError
from fakeid.runs import trained
from fakeid.runs.checkpoint_file import load_checkpoint_file
from fakeid.synth.quick import write_images
from tests.helpers.commands import REPO, assert_one_line_error, run_module
from tests.helpers.layouts import make_layout

TINY = [
    "data=tiny",
    "model.name=test_resnet",
    "data.num_categories=2",
    "trainer.max_epochs=1",
    "logger=none",
    "callbacks=checkpoint_only",
    "trainer.enable_progress_bar=false",
]
NO_SPACE = "fakeid: error: no space left on "
# a warning Lightning prints while it trains (`path/to/pytorch_lightning/x.py:21: ...`): a run whose disk fills
# up mid-training shows these before its error line in a process of its own (FAKEID_TESTS_SUBPROCESS=1)
LIGHTNING_WARNING = r"\S*/(pytorch_lightning|lightning_fabric)/\S+\.py:\d+: .+"


def logged_steps(run_dir: Path) -> list[tuple[str, str]]:
    """(epoch, step) of each row of the run's logs/metrics.csv, in file order."""
    lines = (run_dir / "logs" / "metrics.csv").read_text().splitlines()[1:]
    return [(line.split(",")[0], line.split(",")[1]) for line in lines]


def once(run_dir: Path) -> list[tuple[str, str]]:
    """The rows as one attempt logs them: epoch 0 only (the tiny run's one epoch), steps never going back (a dead
    attempt's rows before a new one's would start again from a lower step). A step may hold a training row and a
    validation row."""
    steps = logged_steps(run_dir)
    assert steps and {epoch for epoch, _ in steps} == {"0"}, steps
    assert max(collections.Counter(steps).values()) <= 2, f"a step logged by two attempts: {steps}"
    return sorted(steps, key=lambda row: int(row[1]))


def train(run_dir: Path, root: Path, *extra: str) -> subprocess.CompletedProcess:
    return run_module(
        "fakeid.train",
        *TINY,
        f"data.root={root}",
        f"hydra.run.dir={run_dir}",
        f"paths.outputs={run_dir.parent / 'outputs'}",
        *extra,
    )


def metrics(run_dir: Path) -> dict:
    return json.loads((run_dir / "metrics.json").read_text())


def scores(path: Path) -> dict[str, float]:
    lines = path.read_text().splitlines()[1:]
    return {line.split(",")[1]: float(line.split(",")[3]) for line in lines}


def copy_run(source: Path, target: Path) -> Path:
    """`cp -a`, as a user copies a run folder."""
    subprocess.run(["cp", "-a", str(source), str(target)], check=True)
    return target


def leftovers(*folders: Path) -> list[Path]:
    """Partial or temporary files under the folders."""
    return [
        path
        for folder in folders
        for path in folder.rglob("*")
        if path.is_file() and (PARTIAL_MARK in path.name or path.name.endswith(".tmp"))
    ]


def files_in(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()]


def one_disk_full_line(done: subprocess.CompletedProcess, naming: str, preceded_by: str | None = None) -> str:
    """Exit 1, no traceback, stderr the one line `fakeid: error: no space left on ...` naming `naming`
    (`preceded_by`: as in assert_one_line_error)."""
    line = assert_one_line_error(done, "^" + re.escape(NO_SPACE), code=1, preceded_by=preceded_by)
    assert naming in line, line
    return line


# ----------------------------------------------------------------------------- injecting a full disk
class FillingUp:
    """A file on a disk that fills up: half of each write lands, then ENOSPC (no file name, as the kernel's)."""

    def __init__(self, handle):
        self.handle = handle

    def write(self, data):
        self.handle.write(data[: len(data) // 2])
        self.handle.flush()
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __getattr__(self, name):
        return getattr(self.handle, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.handle.close()


@pytest.fixture
def tmpdir_env(tmp_path, monkeypatch) -> Path:
    """A $TMPDIR of the test's own, so that what a write leaves there is seen."""
    folder = tmp_path / "TMPDIR"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def disk_full(monkeypatch):
    """`disk_full(where)`: from now on, writes to the files `where(path)` picks fail as on a full disk."""
    real_open = io.open

    def install(where) -> None:
        def filling_open(file, mode="r", *args, **kwargs):
            handle = real_open(file, mode, *args, **kwargs)
            if any(flag in mode for flag in "wax+") and isinstance(file, (str, os.PathLike)) and where(Path(file)):
                return FillingUp(handle)
            return handle

        monkeypatch.setattr(builtins, "open", filling_open)
        monkeypatch.setattr(io, "open", filling_open)

    return install


def under(*folders: Path):
    return lambda path: any(path.resolve().is_relative_to(folder.resolve()) for folder in folders)


def named(name: str):
    return lambda path: name in path.name


def either(*predicates):
    return lambda path: any(predicate(path) for predicate in predicates)


# ----------------------------------------------------------------------------- shared runs
@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> SimpleNamespace:
    """Seed 0 trained into R and copied (`cp -a`) to C; then seed 1 trained into R, which moves seed 0 aside
    into R/.replaced/X. C and X both record R/checkpoints/tested.ckpt (now seed 1's) in their metrics.json."""
    base = tmp_path_factory.mktemp("faults")
    root = make_layout(base / "data", categories=["cat", "church_outdoor"], test_sets=("progan/sheep",))
    first = train(base / "R", root, "seed=0")
    assert first.returncode == 0, first.stderr[-3000:]
    copy = copy_run(base / "R", base / "C")
    second = train(base / "R", root, "seed=1")
    assert second.returncode == 0, second.stderr[-3000:]
    (aside,) = (base / "R" / ".replaced").iterdir()
    return SimpleNamespace(root=root, R=base / "R", C=copy, X=aside)


# ----------------------------------------------------------------------------- a full disk at each write site
@pytest.mark.slow
def test_a_full_disk_at_a_checkpoint_is_one_line_a_record_and_nothing_half_written(
    runs, tmp_path, tmpdir_env, disk_full, monkeypatch
):
    run_dir = tmp_path / "run"
    disk_full(under(run_dir / "checkpoints", tmpdir_env))
    done = train(run_dir, runs.root)
    one_disk_full_line(done, "checkpoints")
    result = metrics(run_dir)
    assert result["status"] == "failed" and result["error"].startswith("DiskFull: no space left on"), result
    assert (run_dir / "error.log").is_file()
    assert not files_in(run_dir / "checkpoints") and not files_in(tmpdir_env), "a half-written checkpoint"
    assert not leftovers(run_dir)
    monkeypatch.undo()  # space again: the same command recovers
    again = train(run_dir, runs.root)
    assert again.returncode == 0 and metrics(run_dir)["status"] == "ok", again.stderr[-3000:]
    assert not leftovers(run_dir)


@pytest.mark.slow
def test_a_full_disk_at_error_log_still_records_the_failure(runs, tmp_path, tmpdir_env, disk_full):
    """The failure handler itself meets the full disk: metrics.json is still written, and says why there
    is no error.log."""
    run_dir = tmp_path / "run"
    disk_full(either(under(run_dir / "checkpoints", tmpdir_env), named("error.log")))
    one_disk_full_line(train(run_dir, runs.root), "checkpoints")
    result = metrics(run_dir)
    assert result["status"] == "failed" and result["error"].startswith("DiskFull: "), result
    assert "no error.log" in result["error_log"] and "no space left on" in result["error_log"]
    assert not (run_dir / "error.log").exists() and not leftovers(run_dir) and not files_in(tmpdir_env)


@pytest.mark.slow
def test_a_full_disk_at_metrics_json_is_one_line_and_leaves_no_partial(runs, tmp_path, disk_full, monkeypatch):
    run_dir = tmp_path / "run"
    disk_full(named("metrics.json"))
    done = train(run_dir, runs.root)
    line = one_disk_full_line(done, "metrics.json")
    assert "could not be written" in line
    assert not (run_dir / "metrics.json").exists() and not leftovers(run_dir)
    monkeypatch.undo()
    again = train(run_dir, runs.root)
    assert again.returncode == 0 and metrics(run_dir)["status"] == "ok", again.stderr[-3000:]


@pytest.mark.slow
def test_a_full_disk_while_setting_a_run_aside_changes_nothing(runs, tmp_path, disk_full, monkeypatch):
    """Another experiment in a folder whose disk is full: one line, the previous run stays where it was
    (REASON.txt is written before anything moves); the rerun with space sets it aside with its reason."""
    run_dir = copy_run(runs.C, tmp_path / "run")
    before = sorted(str(path.relative_to(run_dir)) for path in run_dir.rglob("*") if ".hydra" not in path.parts)
    previous = metrics(run_dir)
    disk_full(named("REASON.txt"))
    one_disk_full_line(train(run_dir, runs.root, "seed=2"), "REASON.txt")
    after = sorted(str(path.relative_to(run_dir)) for path in run_dir.rglob("*") if ".hydra" not in path.parts)
    assert after == before and metrics(run_dir) == previous
    monkeypatch.undo()
    again = train(run_dir, runs.root, "seed=2")
    assert again.returncode == 0 and metrics(run_dir)["hparams"]["seed"] == 2, again.stderr[-3000:]
    (aside,) = (run_dir / ".replaced").iterdir()
    assert "seed" in (aside / "REASON.txt").read_text() and json.loads((aside / "metrics.json").read_text()) == previous


@pytest.mark.slow
def test_a_full_disk_writing_predictions_is_one_line_and_leaves_nothing(runs, tmp_path, disk_full):
    out = tmp_path / "out" / "p.csv"
    out.parent.mkdir()
    disk_full(named("p.csv"))
    done = run_module("fakeid.predict", f"run={runs.C}", f"input={runs.root / 'test'}", f"out={out}")
    one_disk_full_line(done, "p.csv")
    assert not files_in(out.parent)


def test_a_full_disk_in_prepare_copy_is_one_line_and_the_rerun_completes(tmp_path, monkeypatch):
    real, fake, out = tmp_path / "real", tmp_path / "fake", tmp_path / "root" / "test" / "gan" / "cat"
    write_images(real, 3, 32, fake=False, seed=1)
    write_images(fake, 3, 32, fake=True, seed=2)
    command = ["source=folder", f"real={real}", f"fake={fake}", f"out={out}", "mode=copy"]

    def filling_copy(source, target, *args, **kwargs):
        Path(target).write_bytes(Path(source).read_bytes()[:100])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(shutil, "copyfile", filling_copy)
    one_disk_full_line(run_module("fakeid.prepare", *command), str(out))
    assert not leftovers(out)
    monkeypatch.undo()
    again = run_module("fakeid.prepare", *command)
    assert again.returncode == 0, again.stderr[-3000:]
    for folder, class_dir in ((real, "0_real"), (fake, "1_fake")):
        for source in folder.iterdir():
            assert (out / class_dir / source.name).read_bytes() == source.read_bytes()


# ----------------------------------------------------------------------------- a real full disk (tmpfs)
@pytest.fixture
def small_disk(tmp_path):
    """A real 3 MB tmpfs (root only; skipped where mount is not permitted)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    command = ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip() or 'mount failed'}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> Path:
    """Write a filler file until the disk is full."""
    filler = disk / "filler"
    with open(filler, "wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError as err:
            assert err.errno == errno.ENOSPC
    return filler


@pytest.mark.slow
def test_training_on_a_3_mb_tmpfs_is_one_line_a_record_and_the_rerun_recovers(runs, small_disk, tmpdir_env):
    run_dir = small_disk / "run"
    done = train(run_dir, runs.root, "logger=csv")
    one_disk_full_line(done, str(small_disk), preceded_by=LIGHTNING_WARNING)
    assert metrics(run_dir)["status"] == "failed"
    assert not leftovers(run_dir) and not files_in(run_dir / "checkpoints") and not files_in(tmpdir_env)
    subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
    again = train(run_dir, runs.root, "logger=csv")
    assert again.returncode == 0 and metrics(run_dir)["status"] == "ok", again.stderr[-3000:]
    assert logged_steps(run_dir) == once(run_dir), "the failed attempt's rows are not kept"


@pytest.mark.slow
def test_predict_on_a_full_tmpfs_is_one_line_and_leaves_nothing(runs, small_disk):
    fill(small_disk)
    out = small_disk / "p.csv"
    done = run_module("fakeid.predict", f"run={runs.C}", f"input={runs.root / 'test'}", f"out={out}")
    one_disk_full_line(done, str(small_disk))
    assert [path.name for path in files_in(small_disk)] == ["filler"]


# ----------------------------------------------------------------------------- SIGKILL during a checkpoint save
STALLING_TRAIN = """
import builtins, io, os, runpy, sys, time
from pathlib import Path

stall = [Path(p).resolve() for p in os.environ["FAKEID_TEST_STALL_UNDER"].split(os.pathsep)]
marker = Path(os.environ["FAKEID_TEST_MARKER"])
real_open = io.open


class Stalled:  # half the bytes written, then the process hangs: it is killed there
    def __init__(self, handle):
        self.handle = handle

    def write(self, data):
        self.handle.write(data[: len(data) // 2])
        self.handle.flush()
        marker.touch()
        time.sleep(600)

    def __getattr__(self, name):
        return getattr(self.handle, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.handle.close()


def stalling_open(file, mode="r", *args, **kwargs):
    handle = real_open(file, mode, *args, **kwargs)
    if any(flag in mode for flag in "wax+") and isinstance(file, (str, os.PathLike)):
        if any(Path(file).resolve().is_relative_to(folder) for folder in stall):
            return Stalled(handle)
    return handle


builtins.open = io.open = stalling_open
sys.argv = ["fakeid.train", *sys.argv[1:]]
runpy.run_module("fakeid.train", run_name="__main__", alter_sys=True)
"""


@pytest.mark.slow
def test_sigkill_during_a_checkpoint_save_leaves_nothing_and_the_rerun_works(runs, tmp_path):
    run_dir, tmpdir, marker = tmp_path / "run", tmp_path / "TMPDIR", tmp_path / "saving"
    tmpdir.mkdir()
    env = {
        **os.environ,
        "TMPDIR": str(tmpdir),
        "FAKEID_TEST_STALL_UNDER": os.pathsep.join([str(run_dir / "checkpoints"), str(tmpdir)]),
        "FAKEID_TEST_MARKER": str(marker),
        "HYDRA_FULL_ERROR": "0",
    }
    args = [*TINY, f"data.root={runs.root}", f"hydra.run.dir={run_dir}", f"paths.outputs={tmp_path / 'outputs'}"]
    process = subprocess.Popen(
        [sys.executable, "-c", STALLING_TRAIN, *args], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    started = time.time()
    while not marker.exists():
        assert process.poll() is None, process.communicate()[1].decode()[-3000:]
        assert time.time() - started < 600, "the checkpoint save never started"
        time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    assert not files_in(tmpdir), f"a killed save left {files_in(tmpdir)} in $TMPDIR"
    again = train(run_dir, runs.root)
    assert again.returncode == 0 and metrics(run_dir)["status"] == "ok", again.stderr[-3000:]
    assert not leftovers(run_dir), "the rerun did not remove the killed save's partial file"


# ----------------------------------------------------------------------------- a run folder is self-contained
@pytest.mark.slow
def test_the_two_seeds_score_differently(runs):
    """What makes the tests below able to fail: seed 1's weights do not give seed 0's scores."""
    ours, theirs = scores(runs.C / "scores.csv"), scores(runs.R / "scores.csv")
    assert ours.keys() == theirs.keys() and max(abs(ours[k] - theirs[k]) for k in ours) > 1e-3


@pytest.mark.slow
@pytest.mark.parametrize("which", ["C", "X"])
def test_eval_of_a_copied_or_moved_aside_run_uses_its_own_weights(runs, tmp_path, which):
    run_dir = getattr(runs, which)
    done = run_module("fakeid.eval", f"run={run_dir}", f"hydra.run.dir={tmp_path / 'eval'}")
    assert done.returncode == 0, done.stderr[-3000:]
    result = metrics(tmp_path / "eval")
    assert result["hparams"]["seed"] == 0 and Path(result["source"]["ckpt"]).is_relative_to(run_dir)
    again, own = scores(tmp_path / "eval" / "scores.csv"), scores(run_dir / "scores.csv")
    assert again.keys() == own.keys()
    for path, score in own.items():
        assert abs(again[path] - score) < 1e-6, path


@pytest.mark.slow
def test_predict_and_export_of_a_moved_aside_or_copied_run_use_its_own_weights(runs, tmp_path):
    own = scores(runs.X / "scores.csv")
    out = tmp_path / "p.csv"
    done = run_module("fakeid.predict", f"run={runs.X}", f"input={runs.root / 'test'}", f"out={out}")
    assert done.returncode == 0, done.stderr[-3000:]
    predicted = {line.split(",")[0]: float(line.split(",")[1]) for line in out.read_text().splitlines()[1:]}
    for path, score in own.items():
        assert abs(predicted[path] - score) < 1e-6, path
    exported = tmp_path / "c.pt"
    done = run_module("fakeid.export", f"run={runs.C}", "format=torchscript", f"out={exported}")
    assert done.returncode == 0, done.stderr[-3000:]
    out = tmp_path / "c.csv"
    done = run_module("fakeid.predict", f"exported={exported}", f"input={runs.root / 'test'}", f"out={out}")
    assert done.returncode == 0, done.stderr[-3000:]
    predicted = {line.split(",")[0]: float(line.split(",")[1]) for line in out.read_text().splitlines()[1:]}
    for path, score in scores(runs.C / "scores.csv").items():
        assert abs(predicted[path] - score) < 1e-4, path


@pytest.mark.slow
def test_a_recorded_checkpoint_elsewhere_is_used_only_if_it_is_this_runs(runs, tmp_path):
    """A copy without its checkpoints: the recorded path is used when the checkpoint there was written by
    this run (R's copy), refused in one line when it was not (C's record now points at seed 1's weights)."""
    ours = copy_run(runs.R, tmp_path / "R-copy")
    shutil.rmtree(ours / "checkpoints")
    assert trained.from_run(ours).checkpoint == (runs.R / "checkpoints" / "tested.ckpt").resolve()
    theirs = copy_run(runs.C, tmp_path / "C-copy")
    shutil.rmtree(theirs / "checkpoints")
    with pytest.raises(FakeidError, match="is not this run's"):
        trained.from_run(theirs)
    done = run_module("fakeid.predict", f"run={theirs}", f"input={runs.root / 'test'}", f"out={tmp_path / 'p.csv'}")
    assert_one_line_error(done, "is not this run's")


# ----------------------------------------------------------------------------- leftovers of dead attempts
@pytest.mark.slow
def test_a_retrain_after_a_corrupt_metrics_json_logs_each_epoch_once(runs, tmp_path):
    run_dir = tmp_path / "run"
    assert train(run_dir, runs.root, "logger=csv").returncode == 0
    (run_dir / "metrics.json").write_text("{")  # a corrupt result: the run trains again from the start
    again = train(run_dir, runs.root, "logger=csv")
    assert again.returncode == 0 and metrics(run_dir)["status"] == "ok", again.stderr[-3000:]
    steps = logged_steps(run_dir)
    assert steps == once(run_dir), f"logged (epoch, step) rows {steps}: the dead attempt's rows were kept"


@pytest.mark.slow
def test_a_last_checkpoint_without_its_best_is_set_aside_and_the_rerun_works(runs, tmp_path):
    """A kill between the unlinks of best.ckpt and last.ckpt once left last.ckpt naming a best.ckpt that is
    gone, and every rerun failed (FileNotFoundError)."""
    run_dir = tmp_path / "run"
    assert train(run_dir, runs.root, "keep_checkpoints=all").returncode == 0
    (run_dir / "metrics.json").unlink()
    (run_dir / "checkpoints" / "best.ckpt").unlink()
    again = train(run_dir, runs.root, "keep_checkpoints=all")
    assert again.returncode == 0 and metrics(run_dir)["status"] == "ok", again.stderr[-3000:]
    assert list((run_dir / "checkpoints").glob("last.ckpt.no-best-*"))
    assert "set aside" in metrics(run_dir)["data"]["resume_warning"]


@pytest.mark.slow
def test_a_run_without_resumable_checkpoints_scores_the_same_and_an_interrupted_one_starts_over(runs, tmp_path):
    """callbacks.checkpoint.resumable=false (make demo's): the checkpoints hold the weights only, the run tests
    the same weights (scores.csv equal to seed 0's run in C), and a rerun of one killed before metrics.json
    trains again from the start instead of failing on a last.ckpt Lightning cannot resume from."""
    run_dir, light = tmp_path / "run", "callbacks.checkpoint.resumable=false"
    assert train(run_dir, runs.root, "seed=0", light, "keep_checkpoints=all").returncode == 0
    for name in ("best.ckpt", "last.ckpt"):
        assert "optimizer_states" not in load_checkpoint_file(run_dir / "checkpoints" / name)
    assert metrics(run_dir)["scores_sha256"] == metrics(runs.C)["scores_sha256"]
    (run_dir / "metrics.json").unlink()  # as if killed during the test
    again = train(run_dir, runs.root, "seed=0", light, "keep_checkpoints=all")
    assert again.returncode == 0 and metrics(run_dir)["status"] == "ok", again.stderr[-3000:]
    assert "weights only" in metrics(run_dir)["data"]["resume_warning"] and "resumed_from_step" not in metrics(run_dir)
    assert metrics(run_dir)["scores_sha256"] == metrics(runs.C)["scores_sha256"]


@pytest.mark.slow
def test_a_grid_skips_a_run_without_weights_counted_in_one_line(runs, tmp_path):
    sweep = tmp_path / "sweep"
    assert train(sweep / "0", runs.root, "keep_checkpoints=none").returncode == 0
    copy_run(runs.C, sweep / "1")
    done = run_module(
        "fakeid.eval", f"sweep={sweep}", "levels=[{name:none}]", f"paths.outputs={tmp_path / 'outputs'}", "jobs=1"
    )
    assert done.returncode == 0, done.stderr[-3000:]
    (note,) = [line for line in done.stderr.splitlines() if "not evaluated" in line]
    assert note.startswith("fakeid: note: ") and str(sweep / "0") in note and "no weights" in note
    assert "evaluated 1 runs x 1 levels" in done.stderr and "skipped 1 runs without weights" in done.stderr
    grid = json.loads((tmp_path / "outputs" / "evals" / "adhoc" / "sweep" / "eval_grid.json").read_text())
    assert {run["run_dir"]: run["status"] for run in grid["runs"]} == {"0": "no weights", "1": "ok"}
