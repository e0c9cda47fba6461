"""Faults of the inputs (issue 24): a decompression bomb, a folder tree deeper than Python's recursion limit,
a symbolic link that loops, an animated GIF, and configuration values that used to train, crash or run
forever. Each is an error row, a counted skip or one line before any run folder exists; never an OOM, a
traceback or a silent change."""

from __future__ import annotations

import csv
import json
import os
import shlex
import struct
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fakeid import CONF_DIR
from fakeid.core.errors import FakeidError
from fakeid.data.fingerprint import link_blind_fingerprint, root_identity, tree_files
from fakeid.data.images import MAX_PIXELS, OVER_BUDGET
from fakeid.data.selection import Selection, Selector
from fakeid.inference.inputs import expand_inputs
from fakeid.inference.scoring import CropRule, prepare, score_files
from fakeid.runs.lifecycle import refuse_other_data
from fakeid.runs.record import RunRecord
from fakeid.synth.quick import write_images
from tests.helpers.commands import assert_one_line_error, run_module
from tests.helpers.layouts import make_datamodule, make_layout

BOMB_SIDE = 9500  # 90.25 M pixels: above Pillow's limit (89.5 M), below twice it (where Pillow refuses by itself)


def write_bomb(path: Path, width: int = BOMB_SIDE, height: int = BOMB_SIDE) -> Path:
    """A valid all-black 1-bit PNG whose header claims width x height pixels, a few KB on disk (streamed: the
    test never holds the image in memory)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed bits
    packer = zlib.compressobj(9)
    data = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b""))
    return path


def constant_scorer(batch: np.ndarray) -> np.ndarray:
    return np.full(len(batch), 0.25)


# ----------------------------------------------------------------------------- the decompression bomb
def test_the_bomb_is_small_on_disk_and_large_by_its_header(tmp_path):
    bomb = write_bomb(tmp_path / "bomb.png")
    assert bomb.stat().st_size < 100_000 and BOMB_SIDE * BOMB_SIDE > MAX_PIXELS
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(bomb) as image:
            assert image.size == (BOMB_SIDE, BOMB_SIDE)


@pytest.mark.parametrize("crop", ["center", "none"])
def test_predict_makes_a_bomb_an_error_row_without_decoding_it(tmp_path, crop):
    bomb, fine = write_bomb(tmp_path / "bomb.png"), write_images(tmp_path / "ok", 1, 48, False, seed=0)[0]
    results = list(score_files([bomb, fine], CropRule(crop=crop, image_size=32), constant_scorer, 4))
    assert results[0].score is None and results[0].error.startswith(f"{OVER_BUDGET}: {BOMB_SIDE}x{BOMB_SIDE}")
    assert f"max_pixels={MAX_PIXELS}" in results[0].error and results[1].score == 0.25
    low = prepare(fine, CropRule(image_size=32, max_pixels=48 * 48 - 1))  # the budget is the config's
    assert low.error.startswith(OVER_BUDGET) and "max_pixels=2303" in low.error


@pytest.mark.slow
def test_predict_cli_counts_the_bomb_in_its_summary(trained_run, tmp_path):
    folder = tmp_path / "in"
    write_bomb(folder / "bomb.png")
    write_images(folder, 2, 40, True, seed=1)
    out = tmp_path / "p.csv"
    done = run_module("fakeid.predict", f"run={trained_run}", f"input={folder}", "crop=none", f"out={out}")
    assert done.returncode == 0, done.stderr[-2000:]
    rows = {Path(line.split(",")[0]).name: line for line in out.read_text().splitlines()[1:]}
    assert OVER_BUDGET in rows["bomb.png"] and len(rows) == 3
    assert f"1 not scored: 1 {OVER_BUDGET}" in done.stdout, done.stdout


def test_training_and_evaluation_skip_a_bomb_counted_and_listed(tmp_path):
    root = make_layout(tmp_path / "data", categories=["cat", "church_outdoor"], train_per_class=8)
    bomb = write_bomb(root / "test" / "progan" / "sheep" / "0_real" / "9999.png")
    plan = make_datamodule(root, num_categories=2, train_per_class=8, val_per_class=2, test_per_class=10).plan()
    sheep = next(test for test in plan.tests if test.name == "progan/sheep")
    assert bomb not in sheep.paths and sheep.summary()["n_skipped"] == 1
    assert sheep.skipped[0][0] == bomb and sheep.skipped[0][1].startswith(f"{OVER_BUDGET}: {BOMB_SIDE}x{BOMB_SIDE}")
    plan.write_file_lists(tmp_path / "file_lists.csv")
    with open(tmp_path / "file_lists.csv", newline="") as handle:
        statuses = {row["path"]: row["status"] for row in csv.DictReader(handle)}
    assert statuses[str(bomb)].startswith(f"skipped: {OVER_BUDGET}")
    # the evaluation's selector (fakeid.evaluation.job.plan) has the same default budget, and strict refuses
    selection = Selection("x")
    Selector(lambda paths: [None] * len(paths), strict=False, allow_shortfall=True).draw(
        selection, sheep_folder(root), [bomb, *sorted(sheep.paths)[:1]], 2, "k", cap=True
    )
    assert [file for file, _ in selection.skipped] == [bomb]
    with pytest.raises(FakeidError, match="over the pixel budget.*data.strict=true"):
        Selector(lambda paths: [None] * len(paths), strict=True, allow_shortfall=True).draw(
            Selection("y"), sheep_folder(root), [bomb], 1, "k", cap=True
        )


def sheep_folder(root: Path):
    from fakeid.data.layout import discover_test_sets

    return next(s for s in discover_test_sets(root) if s.name == "progan/sheep").real


# ----------------------------------------------------------------------------- deep trees, loops, GIFs
@pytest.fixture
def deep_trees():
    """Where the test makes its deep trees; removed bottom-up afterwards (pytest's own clean-up of old
    temporary folders recurses, and a tree left behind would break every later session's clean-up)."""
    made: list[Path] = []
    yield made
    for top in (top for top in made if top.is_dir()):
        folders, stack = [], [top]
        while stack:
            folder = stack.pop()
            folders.append(folder)
            for entry in os.scandir(folder):
                if entry.is_dir(follow_symlinks=False):
                    stack.append(Path(entry.path))
                else:
                    os.unlink(entry.path)
        for folder in reversed(folders):
            os.rmdir(folder)


def deep_folder(top: Path, depth: int = 1100) -> Path:
    """top/d/d/.../d (depth levels), made with relative steps so no path grows past the OS limit per call."""
    top.mkdir(parents=True, exist_ok=True)
    here = os.getcwd()
    try:
        os.chdir(top)
        for _ in range(depth):
            os.mkdir("d")
            os.chdir("d")
        return Path(os.getcwd())
    finally:
        os.chdir(here)


def test_a_folder_tree_deeper_than_the_recursion_limit_is_walked(tmp_path, deep_trees):
    deep_trees += [tmp_path / "in", tmp_path / "data" / "train" / "cat" / "extra"]
    bottom = deep_folder(tmp_path / "in")
    write_images(bottom, 1, 40, False, seed=0)
    assert [path.name for path in expand_inputs(str(tmp_path / "in")).files] == ["0000.png"]
    root = make_layout(tmp_path / "data", categories=["cat"], train_per_class=2, test_sets=("progan/sheep",))
    write_images(deep_folder(root / "train" / "cat" / "extra"), 1, 16, False, seed=1)
    identity = root_identity(root)
    assert len(identity["fingerprint"]) == 16 and sum(p.name == "0000.png" for p in tree_files(root, ["train"])) == 3


def test_the_walk_lists_files_in_the_order_os_walk_did(tmp_path):
    """The fingerprints of existing runs must not change: same files, same order as the recursive os.walk (with
    followlinks: a linked folder is read, as training reads it)."""
    root = make_layout(tmp_path / "data", categories=["cat", "bus"], train_per_class=3, test_sets=("a/b", "c"))
    (root / "train" / ".hidden").mkdir()
    (root / "train" / ".hidden" / "x.png").write_bytes(b"")
    (root / "train" / "cat" / ".DS_Store").write_bytes(b"")
    (root / "train" / "link").symlink_to(root / "test")  # a link to a folder: walked, as os.walk(followlinks) does
    expected = []
    for split in ("train", "val", "test"):
        for folder, subfolders, names in os.walk(root / split, followlinks=True):
            subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
            expected += [Path(folder) / name for name in sorted(names) if not name.startswith(".")]
    assert tree_files(root, ("train", "val", "test")) == expected and expected
    assert any("link" in path.parts for path in expected)


def linked_root(tmp_path: Path, name: str, seed: int) -> tuple[Path, Path]:
    """A root whose every class folder is a link into a source tree, as `prepare source=cnndetection` makes it."""
    source = make_layout(tmp_path / f"{name}_source", categories=["cat"], train_per_class=2, test_sets=("a/b",))
    root = tmp_path / name
    for folder in (source / "train" / "cat", source / "test" / "a" / "b"):
        for class_dir in ("0_real", "1_fake"):
            target = root / folder.relative_to(source) / class_dir
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(folder / class_dir, target_is_directory=True)
    write_images(source / "train" / "cat" / "1_fake", 1, 16, True, seed=seed)  # the sources differ in one image
    return root, source


def test_a_root_of_linked_class_folders_is_fingerprinted_by_the_files_behind_the_links(tmp_path):
    """The walk used to stop at links: every root of linked class folders had the fingerprint of no file, so two
    datasets shared it and regenerating the linked files changed nothing."""
    one, one_source = linked_root(tmp_path, "one", seed=1)
    two, _ = linked_root(tmp_path, "two", seed=2)
    assert {path.name for path in tree_files(one, ["train"])} == {"0000.png", "0001.png"}
    (tmp_path / "two").rename(tmp_path / "moved")
    moved = tmp_path / "moved"
    assert link_blind_fingerprint(one) == link_blind_fingerprint(moved)  # the old fingerprint: blind to both
    assert root_identity(one)["fingerprint"] != root_identity(moved)["fingerprint"]
    before = root_identity(one)["fingerprint"]
    write_images(one_source / "test" / "a" / "b" / "0_real", 1, 16, False, seed=7)  # regenerated behind the link
    assert root_identity(one)["fingerprint"] != before


def test_a_run_fingerprinted_by_the_link_blind_walk_is_refused_with_the_reason(tmp_path):
    root, _ = linked_root(tmp_path, "data", seed=1)
    identity = root_identity(root)
    old = RunRecord(data_identity={"root": identity["root"], "fingerprint": link_blind_fingerprint(root)})
    with pytest.raises(FakeidError, match="predates fakeid reading linked class folders"):
        refuse_other_data(tmp_path / "run", old, identity)
    other = RunRecord(data_identity={"root": identity["root"], "fingerprint": "0" * 16})
    with pytest.raises(FakeidError, match="results of two datasets never share a folder"):
        refuse_other_data(tmp_path / "run", other, identity)
    refuse_other_data(tmp_path / "run", RunRecord(data_identity=dict(identity)), identity)  # the same: no refusal


def test_a_looping_or_broken_link_in_a_predict_folder_is_a_counted_error_row(tmp_path):
    folder = tmp_path / "in"
    write_images(folder, 1, 40, False, seed=0)
    (folder / "loop.png").symlink_to(folder / "loop.png")
    (folder / "gone.png").symlink_to(tmp_path / "nowhere.png")
    (folder / "up").symlink_to(folder)  # a link back up the tree: walked once, never in a loop
    files = expand_inputs(str(folder)).files
    assert sorted(path.name for path in files) == ["0000.png", "gone.png", "loop.png"]
    errors = {
        result.path.name: result.error for result in score_files(files, CropRule(image_size=32), constant_scorer, 4)
    }
    assert errors == {"0000.png": "", "gone.png": "broken symbolic link", "loop.png": "looping symbolic link"}
    identity = root_identity(tmp_path)  # the training fingerprint reads such a link by its own stat
    assert len(identity["fingerprint"]) == 16


def test_an_animated_gif_is_scored_from_its_first_frame_with_a_note(tmp_path):
    frames = [Image.new("RGB", (48, 48), (40 * index, 0, 0)) for index in range(3)]
    gif = tmp_path / "moving.gif"
    frames[0].save(gif, save_all=True, append_images=frames[1:], duration=50, loop=0)
    result = prepare(gif, CropRule(image_size=32))
    assert not result.error and "animated (first frame of 3)" in result.notes
    assert result.crops[0][0, 0].tolist() == [0, 0, 0]  # the first frame's pixels
    still = tmp_path / "still.gif"
    frames[0].save(still)
    assert prepare(still, CropRule(image_size=32)).notes == []


# ----------------------------------------------------------------------------- configuration holes
@pytest.mark.parametrize(
    "override, message",
    [
        ("data.image_size=7", r"data.image_size=7: expected at least 32 for model.name=legacy_xception"),
        ("data.image_size=0", r"data.image_size=0: expected an integer of at least 1"),
        ("data.batch_size=0", r"data.batch_size=0: expected an integer of at least 1"),
        ("data.batch_size=-1", r"data.batch_size=-1: expected"),
        ("trainer.max_epochs=-1", r"trainer.max_epochs=-1: expected an integer of at least 1"),
        ("trainer.max_epochs=0", r"trainer.max_epochs=0: expected an integer of at least 1"),
        ("data.num_workers=-1", r"data.num_workers=-1: expected an integer of at least 0"),
        ("model.lr=0", r"model.lr=0: expected a number in \(0.0, inf\)"),
        ("model.drop_rate=1.0", r"model.drop_rate=1.0: expected a number in \[0.0, 1.0\)"),
        ("data.val_per_class=0", r"data.val_per_class=0: expected"),
        ("data.num_categories=0", r"data.num_categories=0: expected an integer of at least 1"),
        ("data.max_pixels=0", r"data.max_pixels=0: expected"),
        ("data.strict=maybe", r"data.strict=maybe: expected true or false"),
        ("+foo=1", r"\+foo=1: unknown key 'foo' for python -m fakeid.train"),
        ("+data.foo=1", r"\+data.foo=1: unknown key 'data.foo'"),
        ("data.foo=1", r"data.foo=1: unknown key 'data.foo'"),
        ("+trainer.no_such_argument=1", r"unknown key 'trainer.no_such_argument'"),
        # the schema's choices refuse before a run folder exists (these were the run's to refuse, recorded)
        ("select=bset", r"select=bset: expected one of best, last"),
        ("data.small_images=shrink", r"data.small_images=shrink: expected one of enlarge, skip, error"),
        (
            "data.num_categoris=3",
            r"unknown key 'data.num_categoris' for python -m fakeid.train; did you mean 'data.num",
        ),
        ("augment.blur_prob=0.5", r"augment.blur_prob=0.5: a key of augment=blur_jpeg, not of the chosen augment"),
    ],
)
def test_a_config_hole_is_one_line_before_any_run_folder(tmp_path, override, message):
    root = make_layout(tmp_path / "data", categories=["cat"], train_per_class=2, test_sets=("progan/sheep",))
    run_dir = tmp_path / "run"
    done = run_module(
        "fakeid.train", "data=tiny", f"data.root={root}", f"hydra.run.dir={run_dir}", "logger=none", override
    )
    assert_one_line_error(done, message)
    assert not run_dir.exists(), "the run folder was created before the check"


def test_a_sweep_value_out_of_range_stops_before_the_first_job(tmp_path):
    sweep_dir = tmp_path / "sweep"
    done = run_module(
        "fakeid.train",
        "-m",
        "data=tiny",
        f"data.root={tmp_path / 'absent'}",
        f"hydra.sweep.dir={sweep_dir}",
        "model.drop_rate=0.0,1.5",
    )
    assert_one_line_error(done, r"model.drop_rate=1.5: expected a number in \[0.0, 1.0\)")
    assert not sweep_dir.exists()


def test_every_conf_experiment_passes_the_check_of_its_command():
    from fakeid.core.cli import check_jobs
    from fakeid.core.errors import FakeidError
    from fakeid.training.checks import check_train_command

    evaluation = {"robustness", "robustness_demo", "robustness_demo_augment", "format_check", "baselines"}  # levels
    for experiment in sorted(p.stem for p in (CONF_DIR / "experiment").glob("*.yaml")):
        if experiment in evaluation:
            check_jobs("eval", [f"+experiment={experiment}", "sweep=/sweep"])
            with pytest.raises(FakeidError, match="unknown key 'levels' for python -m fakeid.train"):
                check_train_command([f"+experiment={experiment}", "data.root=/data"])
        else:
            check_train_command([f"+experiment={experiment}", "data.root=/data"])


@pytest.mark.slow
@pytest.mark.parametrize("name", ["legacy_xception", "resnet50.tv_in1k", "efficientnet_b0"])
def test_the_minimum_image_size_is_the_backbone_total_stride(name):
    """The table of fakeid.training.checks against timm: the last stage's reduction, and a forward pass at it."""
    import timm
    import torch

    from fakeid.training.checks import MIN_IMAGE_SIZE, asked_of_timm

    model = timm.create_model(name, pretrained=False, num_classes=0).eval()
    assert MIN_IMAGE_SIZE[name] == model.feature_info[-1]["reduction"] == asked_of_timm(name)
    with torch.no_grad():
        assert model(torch.zeros(1, 3, MIN_IMAGE_SIZE[name], MIN_IMAGE_SIZE[name])).shape[0] == 1


# ----------------------------------------------------------------------------- paths Hydra cannot read
def test_a_sweep_job_folder_is_taken_as_given_and_a_missing_one_is_told_how_to_quote(tmp_path):
    from fakeid.core.cli import check_app_overrides, check_overrides, quote_paths

    job = tmp_path / "sweep" / "data.num_categories=1,seed=0"
    job.mkdir(parents=True)
    given = quote_paths([f"run={job}", f"input={tmp_path}"])
    check_app_overrides("predict", given)
    assert check_overrides("predict", given).run == str(job)
    missing = f"run={tmp_path / 'sweep' / 'data.num_categories=2,seed=0'}"
    with pytest.raises(FakeidError, match="no such path.*quote it for Hydra and the shell") as caught:
        check_app_overrides("predict", quote_paths([missing]))
    printed = shlex.split(str(caught.value).rsplit(": ", 1)[1])  # the quoting the line prints, as a shell reads it
    assert check_overrides("predict", printed).run == missing.partition("=")[2]


def test_predict_cli_reads_a_job_folder_with_equals_and_commas(tmp_path):
    job = tmp_path / "data.num_categories=1,seed=0"
    job.mkdir()
    image = write_images(tmp_path / "in", 1, 40, False, seed=0)[0]
    done = run_module("fakeid.predict", f"run={job}", f"input={image}", f"out={tmp_path / 'p.csv'}")
    assert_one_line_error(done, "metrics.json")  # the run folder is read (and found unfinished), not misparsed


# ----------------------------------------------------------------------------- other inputs
def test_a_corrupt_prepare_marker_is_one_line_naming_it(tmp_path):
    real, fake = write_images(tmp_path / "r", 2, 32, False, seed=0), write_images(tmp_path / "f", 2, 32, True, seed=1)
    out = tmp_path / "out"
    out.mkdir()
    (out / "prepare.json").write_text('{"source": "folder", "argu')
    done = run_module(
        "fakeid.prepare", "source=folder", f"real={real[0].parent}", f"fake={fake[0].parent}", f"out={out}"
    )
    assert_one_line_error(done, f"{out / 'prepare.json'} is not a prepare.json fakeid.prepare wrote")


def test_a_failed_grid_evaluation_points_to_a_file_that_exists(tmp_path):
    from omegaconf import OmegaConf

    from fakeid.evaluation.runner import evaluate_run_levels
    from fakeid.runs.failures import where_to_read

    cfg = OmegaConf.create({"threshold": None})
    failures = evaluate_run_levels(cfg, tmp_path / "no_run", tmp_path / "out", [], [], "cpu")
    assert [job.run_dir for job in failures] == [tmp_path / "no_run"] and "not evaluated" in failures[0].reason
    assert not (tmp_path / "out").exists()
    (tmp_path / "level").mkdir()
    (tmp_path / "level" / "metrics.json").write_text(json.dumps({"status": "failed"}))
    assert where_to_read(tmp_path / "level") == f"error in {tmp_path / 'level' / 'metrics.json'}"
