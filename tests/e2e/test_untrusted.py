"""Files from other people cannot run code, escape their folder, destroy a user's files or hang a command
(issue 30, part A; the scores.csv and schema cases are in test_untrusted_scores.py).

Each case drives the command a user types and asserts the one line it now prints. Every case failed on the
main branch this was written against (6ddb7c2): the planted pickle wrote its marker through each command, the
crafted hash moved files out of the run folder, predict and export replaced files without asking, the FIFO
hung predict, one 1x1 PNG set the spectra's crop, and augment.quality was dropped silently.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path
from struct import pack
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from fakeid.core.atomic import PARTIAL_MARK, write_folder_atomically
from fakeid.runs.lifecycle import set_aside
from tests.helpers.commands import REPO, assert_one_line_error, run_module
from tests.helpers.layouts import make_layout

REFUSED = r"refused: it needs posix\.system to load, not only tensors and numbers"
# the overrides the shared trained_run was trained with (tests/conftest.py, tests/helpers/commands.py)
TRAINED_WITH = [
    "data=tiny",
    "model.name=test_resnet",
    "data.num_categories=3",
    "model.drop_rate=0.3",
    "trainer.max_epochs=1",
    "logger=none",
    "seed=0",
    "trainer.enable_progress_bar=false",
    "callbacks=checkpoint_only",
]


class Plant:
    """An object whose unpickling runs a shell command: what a crafted checkpoint carries."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def plant(source: Path, target: Path, marker: Path) -> Path:
    """`source`'s checkpoint with a Plant beside its real content: it looks like a fakeid checkpoint."""
    import torch

    payload = torch.load(source, map_location="cpu", weights_only=True)
    payload["plant"] = Plant(marker)
    target.parent.mkdir(parents=True, exist_ok=True)
    torch.save(payload, target)
    return target


def copy_run(run: Path, target: Path) -> Path:
    shutil.copytree(run, target, symlinks=True)
    return target


def checkpoint_of(run: Path) -> Path:
    return run / "checkpoints" / "tested.ckpt"


def image(path: Path, size: int = 32) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (size, size, 3), dtype=np.uint8)).save(path)
    return path


def leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if PARTIAL_MARK in p.name or ".old-" in p.name]


# ----------------------------------------------------------------------------- 1. checkpoints load as data
@pytest.mark.slow
def test_a_trained_runs_checkpoint_names_no_type_beyond_plain_data(trained_run):
    """What makes weights_only=True enough: fakeid's checkpoints need no allow-listed class."""
    import torch

    assert torch.serialization.get_unsafe_globals_in_checkpoint(checkpoint_of(trained_run)) == []


@pytest.mark.slow
@pytest.mark.parametrize("command", ["predict_ckpt", "predict_run", "export_ckpt", "eval_ckpt"])
def test_a_planted_checkpoint_is_refused_in_one_line_and_runs_nothing(trained_run, tmp_path, command):
    marker = tmp_path / "MARKER"
    photos = image(tmp_path / "photos" / "a.png").parent
    evil = plant(checkpoint_of(trained_run), tmp_path / "evil.ckpt", marker)
    if command == "predict_ckpt":
        done = run_module("fakeid.predict", f"ckpt={evil}", f"input={photos}", f"out={tmp_path / 'p.csv'}")
        named = re_path(f"ckpt={evil}")
    elif command == "predict_run":  # the run's own checkpoints/tested.ckpt, replaced
        run = copy_run(trained_run, tmp_path / "run")
        plant(checkpoint_of(trained_run), checkpoint_of(run), marker)
        done = run_module("fakeid.predict", f"run={run}", f"input={photos}", f"out={tmp_path / 'p.csv'}")
        named = re_path(f"ckpt={checkpoint_of(run)}")
    elif command == "export_ckpt":
        done = run_module("fakeid.export", f"ckpt={evil}", "format=onnx", f"out={tmp_path / 'd.onnx'}")
        named = re_path(f"ckpt={evil}")
    else:
        root = make_layout(tmp_path / "data", categories=[], test_sets=("progan/cat",))
        done = run_module(
            "fakeid.eval", f"ckpt={evil}", f"data.root={root / 'test' / 'progan'}", f"hydra.run.dir={tmp_path / 'ev'}"
        )
        named = re_path(f"ckpt={evil}")
    assert_one_line_error(done, named + " " + REFUSED)
    assert not marker.exists(), "the planted pickle ran"


@pytest.mark.slow
def test_resuming_from_a_planted_last_checkpoint_is_refused_in_one_line(trained_run, tmp_path):
    """An unfinished run folder whose last.ckpt was replaced: the rerun stops before unpickling it."""
    marker = tmp_path / "MARKER"
    run = copy_run(trained_run, tmp_path / "run")
    (run / "metrics.json").unlink()  # unfinished: the rerun resumes from checkpoints/last.ckpt
    last = plant(checkpoint_of(trained_run), run / "checkpoints" / "last.ckpt", marker)
    done = run_module(
        "fakeid.train",
        *TRAINED_WITH,
        f"data.root={trained_run.parent / 'data'}",
        f"paths.outputs={tmp_path / 'outputs'}",
        f"hydra.run.dir={run}",
    )
    assert_one_line_error(done, re_path(str(last)) + " " + REFUSED)
    assert not marker.exists(), "the planted pickle ran"
    assert last.is_file(), "the planted file is left for the user to look at, not set aside as corrupt"


def test_no_weights_only_false_outside_the_tests():
    found = subprocess.run(
        ["git", "grep", "-n", "weights_only=False", "--", ".", ":!tests"], cwd=REPO, text=True, capture_output=True
    )
    assert found.stdout == "", found.stdout


# ----------------------------------------------------------------------------- 2. names from files
def test_a_crafted_config_hash_never_leaves_the_run_folder(tmp_path):
    run = tmp_path / "sweep" / "run"
    run.mkdir(parents=True)
    (run / "metrics.json").write_text("{}")
    (run / "victim.txt").write_text("mine")
    target = set_aside(run, "another experiment", "x/../../../ESCAPED")
    assert target is not None and target.parent == run / ".replaced" and target.name.endswith("_unknown")
    assert (target / "victim.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.rglob("*") if "ESCAPED" in str(p)) == []
    assert sorted(p.name for p in (tmp_path / "sweep").iterdir()) == ["run"]


def test_setting_aside_twice_in_one_second_never_overwrites(tmp_path, monkeypatch):
    monkeypatch.setattr(time, "strftime", lambda *_: "20261206-000000")
    run = tmp_path / "run"
    run.mkdir()
    targets = []
    for content in ("first", "second"):
        (run / "notes.txt").write_text(content)
        targets.append(set_aside(run, "another experiment", "abc123"))
    assert targets[0] != targets[1] and targets[1].name == targets[0].name + "-2"
    assert [(t / "notes.txt").read_text() for t in targets] == ["first", "second"]


def test_a_replaced_folder_that_is_a_link_is_refused(tmp_path):
    from fakeid.core.errors import FakeidError

    run, elsewhere = tmp_path / "run", tmp_path / "elsewhere"
    run.mkdir()
    elsewhere.mkdir()
    (run / ".replaced").symlink_to(elsewhere)
    (run / "metrics.json").write_text("{}")
    with pytest.raises(FakeidError, match=r"\.replaced is not a folder"):
        set_aside(run, "another experiment", "abc")
    assert list(elsewhere.iterdir()) == [] and (run / "metrics.json").is_file()


@pytest.mark.parametrize(
    "value, expected",
    [("0123abcdef", "0123abcdef"), ("x/../../../ESCAPED", "unknown"), ("ABC", "unknown"), (None, "unknown")],
)
def test_a_hash_is_hexadecimal_or_unknown(value, expected):
    from fakeid.core.names import hex_name

    assert hex_name(value) == expected


@pytest.mark.parametrize("value", ["../../etc", "..", ".hidden", "a/b", "progan/cat", "x\0y", ""])
def test_a_set_or_job_name_becomes_one_safe_path_component(value):
    from fakeid.core.names import path_component

    component = path_component(value)
    assert "/" not in component and "\0" not in component and not component.startswith(".") and component


@pytest.mark.parametrize("value", ["..", ".", "a/b.ckpt", "", "x\\y"])
def test_a_recorded_checkpoint_name_must_be_a_plain_file_name(value):
    from fakeid.core.errors import FakeidError
    from fakeid.core.names import fresh_path, plain_file_name

    with pytest.raises(FakeidError, match="is not a plain file name"):
        plain_file_name(value, "metrics.json tested_checkpoint")
    assert plain_file_name("tested.ckpt", "x") == "tested.ckpt"
    assert fresh_path(Path("/nonexistent/x")) == Path("/nonexistent/x")


@pytest.mark.slow
def test_a_recorded_checkpoint_path_ending_in_dotdot_is_one_line(trained_run, tmp_path):
    run = copy_run(trained_run, tmp_path / "run")
    record = json.loads((run / "metrics.json").read_text())
    record["tested_checkpoint"] = str(tmp_path / "..")
    (run / "metrics.json").write_text(json.dumps(record))
    photos = image(tmp_path / "photos" / "a.png").parent
    done = run_module("fakeid.predict", f"run={run}", f"input={photos}", f"out={tmp_path / 'p.csv'}")
    assert_one_line_error(done, r"tested_checkpoint: '\.\.' is not a plain file name")


# ----------------------------------------------------------------------------- 3. no overwrite without consent
@pytest.mark.slow
def test_predict_never_replaces_a_file_or_explain_folder_without_overwrite(trained_run, tmp_path):
    photos = image(tmp_path / "photos" / "a.png").parent
    notes = tmp_path / "DIR" / "notes.txt"
    notes.parent.mkdir()
    notes.write_text("mine")
    done = run_module("fakeid.predict", f"run={trained_run}", f"input={photos}", f"out={notes}")
    assert_one_line_error(done, re_path(f"out={notes}") + " exists: pass overwrite=true to replace that file")
    assert notes.read_text() == "mine"
    thesis = tmp_path / "DIR" / "explain" / "thesis" / "ch1.tex"
    thesis.parent.mkdir(parents=True)
    thesis.write_text("chapter 1")
    out = tmp_path / "DIR" / "p.csv"
    done = run_module("fakeid.predict", f"run={trained_run}", f"input={photos}", f"out={out}", "explain=gradcam")
    assert_one_line_error(
        done, r"explain=gradcam writes .*explain, which exists: pass overwrite=true to replace that folder"
    )
    assert thesis.read_text() == "chapter 1" and not out.exists()
    again = run_module(
        "fakeid.predict", f"run={trained_run}", f"input={photos}", f"out={out}", "explain=gradcam", "overwrite=true"
    )
    assert again.returncode == 0, again.stderr[-2000:]
    assert not thesis.exists() and list((out.parent / "explain").glob("*.png")), "replaced, as asked"
    assert leftovers(tmp_path / "DIR") == []


@pytest.mark.slow
@pytest.mark.parametrize(
    "module, relative, extra",
    [
        ("fakeid.predict", "scores.csv", []),
        ("fakeid.predict", "metrics.json", []),
        ("fakeid.export", "checkpoints/tested.ckpt", ["format=onnx"]),
        ("fakeid.export", "checkpoints/other.onnx", ["format=onnx"]),
    ],
)
def test_a_run_folders_own_files_are_refused_even_with_overwrite(trained_run, tmp_path, module, relative, extra):
    run = copy_run(trained_run, tmp_path / "run")
    target = run / relative
    before = target.read_bytes() if target.is_file() else None
    photos = image(tmp_path / "photos" / "a.png").parent
    source = [f"input={photos}"] if module == "fakeid.predict" else []
    done = run_module(module, f"run={run}", *source, *extra, f"out={target}", "overwrite=true")
    assert_one_line_error(done, r"is the run folder .*'s own file: it is never replaced by another command")
    assert (target.read_bytes() if target.is_file() else None) == before


@pytest.mark.slow
def test_a_link_named_by_out_is_checked_where_it_points(trained_run, tmp_path):
    """out= a link to a run's scores.csv is that run's file; with overwrite=true a link elsewhere is replaced
    as a link: the file it pointed to keeps its content."""
    run = copy_run(trained_run, tmp_path / "run")
    photos = image(tmp_path / "photos" / "a.png").parent
    link = tmp_path / "link.csv"
    link.symlink_to(run / "scores.csv")
    done = run_module("fakeid.predict", f"run={run}", f"input={photos}", f"out={link}", "overwrite=true")
    assert_one_line_error(done, "is the run folder .*'s own file")
    kept = tmp_path / "kept.csv"
    kept.write_text("mine")
    link.unlink()
    link.symlink_to(kept)
    done = run_module("fakeid.predict", f"run={run}", f"input={photos}", f"out={link}", "overwrite=true")
    assert done.returncode == 0, done.stderr[-2000:]
    assert kept.read_text() == "mine" and not link.is_symlink() and link.read_text().startswith("path,")


@pytest.mark.slow
def test_export_replaces_an_existing_file_only_with_overwrite(trained_run, tmp_path):
    out = tmp_path / "detector.onnx"
    out.write_text("my other model")
    done = run_module("fakeid.export", f"run={trained_run}", "format=onnx", f"out={out}")
    assert_one_line_error(done, re_path(f"out={out}") + " exists: pass overwrite=true")
    assert out.read_text() == "my other model"
    done = run_module("fakeid.export", f"run={trained_run}", "format=onnx", f"out={out}", "overwrite=true")
    assert done.returncode == 0, done.stderr[-2000:]
    assert out.read_bytes() != b"my other model" and leftovers(tmp_path) == []


def test_folder_replacement_replaces_a_link_and_never_writes_through_it(tmp_path):
    """The issue's report out= as a link: rmtree on a link raised and left a partial site behind."""
    pointed = tmp_path / "elsewhere"
    pointed.mkdir()
    (pointed / "keep.txt").write_text("mine")
    target = tmp_path / "site"
    target.symlink_to(pointed)
    write_folder_atomically(target, lambda partial: (partial / "index.html").write_text("new"))
    assert not target.is_symlink() and (target / "index.html").read_text() == "new"
    assert (pointed / "keep.txt").read_text() == "mine" and leftovers(tmp_path) == []


# one writer process: THREADS threads, each replacing the folder ROUNDS times with 20 files of its own; it imports
# fakeid.core.atomic alone (not this module, which imports torch's users), so four of them start in a second
WRITER = """
import sys, threading
from pathlib import Path
from fakeid.core.atomic import write_folder_atomically

target, writer, failures = Path(sys.argv[1]), sys.argv[2], []

def rounds(thread):
    def write(partial):
        for index in range(20):
            (partial / f"{index}.txt").write_text(f"{writer}-{thread}")
    try:
        for _ in range(8):
            write_folder_atomically(target, write)
    except BaseException as err:
        failures.append(repr(err))

threads = [threading.Thread(target=rounds, args=(n,)) for n in range(3)]
[t.start() for t in threads]
[t.join() for t in threads]
sys.exit("; ".join(failures[:3]) or None)
"""


def test_four_concurrent_writers_of_one_folder_all_succeed_and_leave_no_partial(tmp_path):
    """Twelve of twenty such writers once failed with ENOTEMPTY and left their partial folders: four
    processes of three threads each replace one folder over and over."""
    target = tmp_path / "site"
    target.mkdir()
    (target / "old.txt").write_text("an earlier site")
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(target), str(n)], cwd=REPO, stderr=subprocess.PIPE)
        for n in range(4)
    ]
    errors = [(w.wait(timeout=300), w.stderr.read().decode()[-1000:]) for w in writers]
    assert all(code == 0 for code, _ in errors), errors
    contents = {(target / f"{i}.txt").read_text() for i in range(20)}
    assert len(contents) == 1 and not (target / "old.txt").exists(), "one writer's complete folder"
    assert leftovers(tmp_path) == []


def test_report_replaces_an_earlier_report_only_with_overwrite(tmp_path):
    from fakeid.core.errors import FakeidError
    from fakeid.reporting.site import REPORT_FILE, REPORT_KIND, check_out

    out = tmp_path / "report"
    out.mkdir()
    (out / REPORT_FILE).write_text(json.dumps({"kind": REPORT_KIND}))
    (out / "thesis.tex").write_text("mine")  # a crafted report.json does not make these the report's
    with pytest.raises(FakeidError, match="exists: pass overwrite=true to replace that earlier report"):
        check_out(out)
    check_out(out, overwrite=True)


# ----------------------------------------------------------------------------- 4. inputs
@pytest.mark.slow
def test_a_fifo_named_like_an_image_is_an_error_row_never_a_hang(trained_run, tmp_path):
    photos = tmp_path / "photos"
    image(photos / "a.png")
    fifo = photos / "x.png"
    os.mkfifo(fifo)
    out = tmp_path / "p.csv"
    with unblocked_after(fifo, seconds=120) as watchdog:  # in this process: a hang must end, as a failure
        done = run_module("fakeid.predict", f"run={trained_run}", f"input={photos}", f"out={out}")
    assert not watchdog.fired, "predict blocked on the FIFO until the test's writer opened it"
    assert done.returncode == 0, done.stderr[-2000:]
    rows = {Path(line.split(",")[0]).name: line for line in out.read_text().splitlines()[1:]}
    assert "a FIFO, not a regular file" in rows["x.png"] and "1 not scored: 1 a FIFO" in done.stdout


@contextlib.contextmanager
def unblocked_after(fifo: Path, seconds: float):
    """After `seconds`, open `fifo` for writing and close it (a reader blocked on it then sees its end), so a
    command that hangs on the FIFO returns and the test fails instead of hanging; `.fired` says it had to."""
    state = SimpleNamespace(fired=False, done=threading.Event())

    def unblock() -> None:
        if state.done.wait(seconds):
            return
        state.fired = True
        while not state.done.is_set():
            with contextlib.suppress(OSError):  # ENXIO: no reader yet
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
            time.sleep(0.1)

    thread = threading.Thread(target=unblock, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.done.set()
        thread.join()


def png16(path: Path, size: int = 40) -> Path:
    """A 16-bit-per-channel RGB PNG (Pillow writes none: the chunks by hand)."""
    rows = b"".join(b"\0" + np.full(size * 3, 40000, dtype=">u2").tobytes() for _ in range(size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return pack(">I", len(data)) + kind + data + pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = pack(">IIBBBBB", size, size, 16, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    )
    return path


@pytest.mark.slow
def test_a_16_bit_png_gets_a_note_counted_in_the_summary(trained_run, tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    png16(photos / "deep.png")
    out = tmp_path / "p.csv"
    done = run_module("fakeid.predict", f"run={trained_run}", f"input={photos}", f"out={out}")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "16 bits per channel reduced to 8-bit (RGB;16B)" in out.read_text()
    assert "1 16 bits per channel reduced to 8-bit" in done.stdout


def test_one_tiny_image_does_not_set_the_spectra_crop(tmp_path):
    root = make_layout(tmp_path / "data", categories=["cat", "church_outdoor"], train_per_class=4, test_per_class=4)
    Image.new("RGB", (1, 1)).save(root / "test" / "progan" / "cat" / "1_fake" / "tiny.png")
    out = tmp_path / "audit" / "check.json"
    done = run_module("fakeid.check", f"root={root}", f"out={out}", "spectra=true", "spectra_per_class=50")
    assert done.returncode == 0, done.stderr[-2000:]
    record = json.loads(out.read_text())["spectra"]
    assert record["size"] == 32, "the 1x1 PNG set the crop"
    assert [Path(s["path"]).name for s in record["skipped"]] == ["tiny.png"]
    assert "spectra: skipped 1 images smaller than the 32 px crop" in done.stdout


def test_an_augmentation_key_the_setting_does_not_use_is_refused(tmp_path):
    root = make_layout(tmp_path / "data", categories=["cat", "church_outdoor"], train_per_class=4)
    done = run_module(
        "fakeid.train",
        "data=tiny",
        f"data.root={root}",
        "data.num_categories=2",
        "augment=format",
        "augment.format=png",
        "augment.quality=[10,20]",
        f"hydra.run.dir={tmp_path / 'run'}",
        f"paths.outputs={tmp_path / 'outputs'}",
    )
    assert_one_line_error(done, r"augment.quality=\[10, 20\] is not used by augment.format=png")


def re_path(text: str) -> str:
    import re

    return re.escape(text)


# ----------------------------------------------------------------------------- 5. paths named by tables and cards
# A results.csv, an eval_grid.json or a dataset.json is a file anyone can edit; each value of it that becomes a
# path is checked (fakeid.core.names.inside, path_component). Each case below read or wrote outside its folder
# on the main branch this was written against (b3d05c2): the figures used the crafted run's copy outside the
# sweep, collect took a crafted run_dir, the contact sheet pasted images from elsewhere, a figure name left out=.
@pytest.mark.parametrize(
    "value, allowed",
    [("0", True), ("a/b", True), (".", True), ("a/../b", True), ("../x", False), ("a/../../x", False),
     ("/etc", False), ("", False), ("x\0y", False), ("link/inner", False)],
)  # fmt: skip
def test_a_recorded_folder_must_stay_inside_its_folder(tmp_path, value, allowed):
    from fakeid.core.errors import FakeidError
    from fakeid.core.names import inside

    (tmp_path / "sweep").mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "sweep" / "link").symlink_to(tmp_path / "elsewhere")  # a link that leads out counts as out
    if allowed:
        assert inside(tmp_path / "sweep", value, "results.csv run_dir") == tmp_path / "sweep" / value
    else:
        with pytest.raises(FakeidError, match=r"^results\.csv run_dir: .* (leads outside|is not a path inside) "):
            inside(tmp_path / "sweep", value, "results.csv run_dir")


@pytest.fixture(scope="module")
def results_table(tmp_path_factory):
    """A scored fake sweep, its results.csv, and a copy of its run 0 outside the sweep: where a crafted row
    points (a complete run with scores, so nothing but the check stops a command from using it)."""
    from tests.helpers.fake_scores import add_scores
    from tests.helpers.fake_sweep import write_fake_sweep

    root = tmp_path_factory.mktemp("tables")
    sweep = write_fake_sweep(root / "sweep", grid={"model.drop_rate": [0.0, 0.5], "seed": [0, 1]})
    add_scores(sweep)
    csv = root / "results.csv"
    done = run_module("fakeid.collect", f"sweeps={sweep.path}", f"out={csv}", "n_boot=20")
    assert done.returncode == 0, done.stderr[-2000:]
    shutil.copytree(sweep.jobs[0].run_dir, root / "outside" / "0")
    return SimpleNamespace(root=root, sweep=sweep.path, csv=csv)


def crafted_table(table: SimpleNamespace, target: Path, **columns: str) -> Path:
    """`table`'s results.csv with run 0's rows given `columns`, every field kept as the text it was."""
    import pandas as pd

    df = pd.read_csv(table.csv, dtype=str, keep_default_na=False)
    first = df["run_dir"] == "0"
    for column, value in columns.items():
        df.loc[first, column] = value
    df.to_csv(target, index=False)
    return target


@pytest.mark.parametrize("figure", ["compare", "calibration"])
@pytest.mark.parametrize(
    "columns, message",
    [
        ({"run_dir": "../outside/0", "scores_file": ""}, r"run_dir of sweep .*: '\.\./outside/0' leads outside "),
        ({"scores_file": "OUTSIDE"}, r"scores_file '.*/outside/0/scores\.csv' is not the scores\.csv of run_dir 0"),
        ({"scores_file": "NOTES"}, r"scores_file '.*/notes\.txt' is not the scores\.csv of run_dir 0"),
    ],
    ids=["run_dir", "scores_file", "scores_file_not_scores"],
)
def test_a_results_row_names_no_scores_outside_its_run_folder(results_table, tmp_path, figure, columns, message):
    places = {"OUTSIDE": str(results_table.root / "outside" / "0" / "scores.csv"), "NOTES": str(tmp_path / "notes.txt")}
    (tmp_path / "notes.txt").write_text("set,path,label,score\nprivate,secret,1,0.5\n")
    columns = {key: places.get(value, value) for key, value in columns.items()}
    csv = crafted_table(results_table, tmp_path / "results.csv", **columns)
    out = tmp_path / "figures"
    done = run_module("fakeid.figures", f"figure={figure}", f"csv={csv}", "n_boot=20", f"out={out}")
    line = assert_one_line_error(done, re_path(str(csv)) + ": " + message)
    assert "secret" not in line and not out.exists()


def test_a_results_table_collect_wrote_is_read_from_any_working_directory(results_table, tmp_path):
    """The check refuses nothing collect writes: a sweep collected by a relative path keeps its absolute
    scores_file, which the figures find from another working directory."""
    csv = tmp_path / "results.csv"
    done = run_module("fakeid.collect", "sweeps=sweep", f"out={csv}", "n_boot=20", cwd=results_table.root)
    assert done.returncode == 0, done.stderr[-2000:]
    done = run_module("fakeid.figures", "figure=compare", f"csv={csv}", "n_boot=20", f"out={tmp_path / 'f'}")
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "f" / "compare.csv").is_file()


def test_an_eval_grid_names_no_run_outside_its_source_sweep(tmp_path):
    from tests.helpers.fake_evals import write_fake_evals
    from tests.helpers.fake_sweep import write_fake_sweep

    source = write_fake_sweep(tmp_path / "sweep", grid={"model.drop_rate": [0.0, 0.5], "seed": [0]})
    evals = write_fake_evals(tmp_path / "evals", source).path
    grid = json.loads((evals / "eval_grid.json").read_text())
    grid["runs"][1]["run_dir"] = "../../outside"
    (evals / "eval_grid.json").write_text(json.dumps(grid))
    out = tmp_path / "results.csv"
    done = run_module("fakeid.collect", f"sweeps=[{evals}]", f"out={out}", "n_boot=20")
    assert_one_line_error(done, r"eval_grid\.json: runs\[1\]\.run_dir: '\.\./\.\./outside' leads outside ")
    assert not out.exists()


def test_a_dataset_card_names_no_set_outside_the_dataset(tmp_path):
    from fakeid.core.errors import FakeidError
    from fakeid.data.layout import LABEL_DIRS
    from fakeid.synth.preview import save_grid

    for label in LABEL_DIRS:
        image(tmp_path / "private" / label / "photo.png")
    card = {
        "sets": [{"split": "test", "path": "../private", "category": "cat"}],
        "settings": {"image_size": 32},
        "categories": [{"folder": "cat", "family": "animal"}],
    }
    (tmp_path / "bench").mkdir()
    (tmp_path / "bench" / "dataset.json").write_text(json.dumps(card))
    with pytest.raises(FakeidError, match=r"dataset\.json: a test set's path: '\.\./private' leads outside "):
        save_grid(tmp_path / "bench", tmp_path / "sheet.png")
    assert not (tmp_path / "sheet.png").exists()


def test_a_figure_name_never_leaves_the_figure_folder(tmp_path):
    import pandas as pd
    from matplotlib.figure import Figure

    from fakeid.analysis.pictures import write_figure_files

    out = tmp_path / "figures" / "out"
    paths = write_figure_files(Figure(), pd.DataFrame({"x": [1]}), out, "../escaped", meta={})
    assert sorted(path.parent for path in paths.values()) == [out] * 4
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()) == [
        f"figures/out/_escaped.{suffix}" for suffix in ("csv", "json", "pdf", "png")
    ]
