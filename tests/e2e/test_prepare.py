"""`python -m fakeid.prepare` as a user types it: LSUN LMDB values out byte-identical, CNNDetection trees
linked and counted, folders linked or copied, re-runs that write nothing, and every bad input as one line."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest

from fakeid.audit.inventory import walk_root
from fakeid.data.layout import CLASS_DIRS, category_sets, discover_test_sets
from fakeid.synth.quick import write_images
from tests.helpers.commands import assert_one_line_error, run_module
from tests.helpers.lsun import encoded, make_lmdb

lmdb = pytest.importorskip("lmdb")


def lsun_values(count: int, seed: int) -> dict[bytes, bytes]:
    """LSUN-like keys (40 hex digits) with JPEG and WebP values alternating."""
    return {
        f"{seed:08x}{index:032x}".encode(): encoded("JPEG" if index % 2 else "WEBP", seed * 100 + index)
        for index in range(count)
    }


def make_lsun(src: Path) -> dict[str, dict[bytes, bytes]]:
    values = {"church_outdoor": lsun_values(6, 1), "cat": lsun_values(6, 2)}
    make_lmdb(src / "church_outdoor_train_lmdb", {**values["church_outdoor"], b"junk": b"not an image at all"})
    make_lmdb(src / "cat", values["cat"])  # LSUN object categories: one folder named after the category
    return values


def prepare(*args: str):
    return run_module("fakeid.prepare", *args)


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_mtime_ns, p.stat().st_ino) for p in folder.rglob("*")}


def test_lsun_values_come_out_byte_identical_with_a_manifest(tmp_path):
    values = make_lsun(tmp_path / "lsun")
    out = tmp_path / "reals"
    # all 6 images of each database: the junk value of church_outdoor must be met, skipped and counted
    done = prepare("source=lsun", f"src={tmp_path / 'lsun'}", f"out={out}", "per_category=6", "seed=3")
    assert done.returncode == 0, done.stderr
    assert "church_outdoor: 6 images (6 written, 0 already there, 1 values skipped as not images)" in done.stdout
    with open(out / "manifest.csv") as manifest:
        rows = list(csv.DictReader(manifest))
    assert [r["category"] for r in rows] == ["cat"] * 6 + ["church_outdoor"] * 6
    formats = set()
    for row in rows:
        stored = values[row["category"]][row["key"].encode()]
        written = (out / row["file"]).read_bytes()
        assert written == stored and row["sha256"] == hashlib.sha256(stored).hexdigest()
        suffix = {"JPEG": ".jpg", "WEBP": ".webp"}[row["format"]]
        assert row["file"] == f"{row['category']}/0_real/{row['key']}{suffix}"
        assert (row["width"], row["height"]) == ("48", "40")
        formats.add(row["format"])
    assert formats == {"JPEG", "WEBP"}
    assert sorted(p.name for p in (out / "church_outdoor" / "0_real").iterdir()) == sorted(
        Path(r["file"]).name for r in rows if r["category"] == "church_outdoor"
    )


def test_lsun_rerun_writes_nothing_and_an_interrupted_run_continues(tmp_path):
    make_lsun(tmp_path / "lsun")
    args = (
        "source=lsun",
        f"src={tmp_path / 'lsun'}",
        f"out={tmp_path / 'reals'}",
        "per_category=3",
        "categories=[cat]",
    )
    assert prepare(*args).returncode == 0
    before = snapshot(tmp_path / "reals")
    again = prepare(*args)
    assert again.returncode == 0 and "nothing new in" in again.stdout
    assert snapshot(tmp_path / "reals") == before
    folder = tmp_path / "reals" / "cat" / "0_real"
    victim = sorted(folder.iterdir())[0]
    victim.unlink()  # an interrupted run: one file not yet renamed into place, a temporary left behind
    (folder / f".{victim.name}.partial-99999").write_bytes(b"half")
    resumed = prepare(*args)
    assert resumed.returncode == 0 and "1 written, 2 already there" in resumed.stdout
    assert "removed 1 partial files" in resumed.stdout
    assert snapshot(tmp_path / "reals").keys() == before.keys()


def test_lsun_takes_keys_in_a_seeded_order(tmp_path):
    make_lmdb(tmp_path / "lsun" / "bus", lsun_values(12, 5))
    chosen = {}
    for seed in (0, 0, 1):
        out = tmp_path / f"out{len(chosen)}"
        assert (
            prepare(
                "source=lsun", f"src={tmp_path / 'lsun' / 'bus'}", f"out={out}", "per_category=4", f"seed={seed}"
            ).returncode
            == 0
        )
        chosen[len(chosen)] = sorted(p.name for p in (out / "bus" / "0_real").iterdir())
    assert chosen[0] == chosen[1] != chosen[2]


def make_cnndetection(src: Path, skip: str | None = None) -> None:
    sets = [
        "progan_train/cat",
        "progan_train/sheep",
        "progan_train/horse",
        "progan_val/cat",
        "CNN_synth_testset/progan/cat",
        "CNN_synth_testset/progan/sheep",
        "CNN_synth_testset/stylegan2/horse",
        "CNN_synth_testset/whichfaceisreal",
    ]
    for index, name in enumerate(sets):
        for class_dir, label in CLASS_DIRS.items():
            if f"{name}/{class_dir}" != skip:
                write_images(src / name / class_dir, 2 + label, 8, bool(label), seed=10 * index + label)


def test_cnndetection_tree_is_linked_and_counted(tmp_path):
    make_cnndetection(tmp_path / "cnnd")
    root = tmp_path / "root"
    done = prepare("source=cnndetection", f"src={tmp_path / 'cnnd'}", f"out={root}")
    assert done.returncode == 0, done.stderr
    assert (root / "train" / "cat" / "0_real").is_symlink()
    assert (root / "train" / "cat" / "0_real").resolve() == (tmp_path / "cnnd" / "progan_train" / "cat" / "0_real")
    class_folders = [entry.path for entry in walk_root(root)]
    assert len(class_folders) == 16 and all(path.is_symlink() for path in class_folders)  # links, no copies
    assert "train on a mix of what is present with: data.categories=[cat] data.num_categories=1" in done.stdout
    assert "present cat (train, test/progan), sheep (train, test/progan); absent church_outdoor," in done.stdout
    lines = {tuple(line.split()[:2]): line.split()[2:] for line in done.stdout.splitlines()}
    assert lines[("train", "horse")] == ["2", "3"] and lines[("test", "whichfaceisreal")] == ["2", "3"]
    assert set(category_sets(root, "val", ["cat"], "progan")) == {"cat"}
    assert {s.name for s in discover_test_sets(root)} == {
        "progan/cat",
        "progan/sheep",
        "stylegan2/horse",
        "whichfaceisreal",
    }
    again = prepare("source=cnndetection", f"src={tmp_path / 'cnnd'}", f"out={root}")
    assert again.returncode == 0 and "0 class folders linked, 16 already there" in again.stdout


@pytest.mark.parametrize("mode", ["link", "copy"])
def test_folder_brings_a_generated_set_and_its_reals(tmp_path, mode):
    write_images(tmp_path / "reals", 3, 8, False, seed=1, suffix=".jpg")
    write_images(tmp_path / "fakes", 2, 8, True, seed=2)
    (tmp_path / "fakes" / "README.txt").write_text("not an image")
    out = tmp_path / "root" / "test" / "stylegan2" / "horse"
    done = prepare(
        "source=folder", f"real={tmp_path / 'reals'}", f"fake={tmp_path / 'fakes'}", f"out={out}", f"mode={mode}"
    )
    assert done.returncode == 0, done.stderr
    assert "1 non-image files left out" in done.stdout
    real = sorted((out / "0_real").iterdir())
    assert len(real) == 3 and len(list((out / "1_fake").iterdir())) == 2
    assert all(p.is_symlink() == (mode == "link") for p in real)
    assert real[0].read_bytes() == (tmp_path / "reals" / real[0].name).read_bytes()
    assert [s.name for s in discover_test_sets(tmp_path / "root")] == ["stylegan2/horse"]


def bad_inputs(tmp_path: Path) -> dict[str, tuple[list[str], str, Path]]:
    """name -> (arguments, the expected error, the output folder that must stay as it was)."""
    make_lsun(tmp_path / "lsun")
    (tmp_path / "notlmdb" / "x").mkdir(parents=True)
    (tmp_path / "notlmdb" / "x" / "data.mdb").write_bytes(b"this is no database")
    (tmp_path / "plain").mkdir()
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "notes.txt").write_text("someone else's")
    make_cnndetection(tmp_path / "cnnd", skip="CNN_synth_testset/stylegan2/horse/1_fake")
    out = tmp_path / "out"
    lsun = ["source=lsun", f"src={tmp_path / 'lsun'}", "per_category=2"]
    return {
        "src is not an LMDB": (
            ["source=lsun", f"src={tmp_path / 'notlmdb'}", f"out={out}", "per_category=1"],
            r"notlmdb/x is not an LMDB database",
            out,
        ),
        "src holds no LMDB": (
            ["source=lsun", f"src={tmp_path / 'plain'}", f"out={out}", "per_category=1"],
            r"plain is not an LMDB database and holds none",
            out,
        ),
        "N larger than a database": (
            lsun[:2] + [f"out={out}", "per_category=7"],
            r"cat holds 6 images, fewer than per_category=7",
            out,
        ),
        "out inside src": (lsun + [f"out={tmp_path / 'lsun' / 'reals'}"], r"lies inside src=", tmp_path / "lsun"),
        "out holds other files": (
            lsun + [f"out={tmp_path / 'used'}"],
            r"used already holds other files",
            tmp_path / "used",
        ),
        "missing class folder": (
            ["source=cnndetection", f"src={tmp_path / 'cnnd'}", f"out={out}"],
            r"stylegan2/horse/1_fake is missing: expected both 0_real and 1_fake",
            out,
        ),
        "unknown source": (
            ["source=imagenet", f"out={out}"],
            r"source=imagenet: expected one of lsun, "
            r"cnndetection, folder",
            out,
        ),
        "a key the source does not read": (
            ["source=cnndetection", f"src={tmp_path / 'cnnd'}", f"out={out}", "per_category=3"],
            r"key per_category is not read by source=cnndetection",
            out,
        ),
    }


@pytest.mark.parametrize(
    "name",
    [
        "src is not an LMDB",
        "src holds no LMDB",
        "N larger than a database",
        "out inside src",
        "out holds other files",
        "missing class folder",
        "unknown source",
        "a key the source does not read",
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, name):

    args, message, untouched = bad_inputs(tmp_path)[name]
    before = snapshot(untouched) if untouched.exists() else None
    done = prepare(*args)
    assert_one_line_error(done, message)
    assert done.stdout == ""
    assert (snapshot(untouched) if untouched.exists() else None) == before


def test_a_different_run_into_the_same_out_is_refused(tmp_path):
    make_lsun(tmp_path / "lsun")
    out = tmp_path / "reals"
    assert prepare("source=lsun", f"src={tmp_path / 'lsun'}", f"out={out}", "per_category=2").returncode == 0
    marker = json.loads((out / "prepare.json").read_text())
    done = prepare("source=lsun", f"src={tmp_path / 'lsun'}", f"out={out}", "per_category=3")
    assert_one_line_error(done, "holds a prepare run with other arguments")
    assert json.loads((out / "prepare.json").read_text()) == marker
