"""fakeid.ingest without the command: LSUN's LMDB databases (made here; skipped without the `lmdb` package),
the CNNDetection trees, two plain folders, and the marker and manifest that let a re-run continue."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest

from fakeid.core.errors import FakeidError
from fakeid.ingest.cnndetection import Mix, find_sets, link_sets, mix_lines, prepare_cnndetection
from fakeid.ingest.folders import prepare_folder
from fakeid.ingest.lsun import category_of, file_name, find_databases, image_facts, prepare_lsun
from fakeid.ingest.manifest import MARKER, check_out, mark_out
from fakeid.synth.quick import write_images
from tests.helpers.lsun import encoded, make_lmdb

# ---- lsun ----------------------------------------------------------------------------------------------------


def test_database_names_and_key_names():
    assert [category_of(n) for n in ("church_outdoor_train_lmdb", "bedroom_val_lmdb", "cat")] == [
        "church_outdoor",
        "bedroom",
        "cat",
    ]
    assert file_name(b"0a1b_c-2.d") == "0a1b_c-2.d"
    assert file_name(b"../etc/passwd") == b"../etc/passwd".hex()  # never a path
    assert file_name(b"\xff\x00") == "ff00"
    assert image_facts(encoded("PNG", 0)) == ("PNG", 48, 40)
    assert image_facts(b"hello") == "not a JPEG, PNG, WebP, BMP or TIFF image"
    assert image_facts(encoded("JPEG", 0)[:40]).startswith("unreadable JPEG")


@pytest.fixture
def lsun_src(tmp_path) -> Path:
    pytest.importorskip("lmdb")
    src = tmp_path / "lsun"
    church = {f"c{index:02d}".encode(): encoded("WEBP" if index % 2 else "JPEG", index) for index in range(6)}
    church[b"c99"] = b"not an image"
    make_lmdb(src / "church_outdoor_train_lmdb", church)
    make_lmdb(src / "church_outdoor_val_lmdb", {b"v0": encoded("JPEG", 50)})
    make_lmdb(src / "cat", {f"k{index}".encode(): encoded("PNG", 100 + index) for index in range(3)})
    return src


def test_a_train_database_is_used_and_its_val_twin_ignored(lsun_src):
    databases, ignored = find_databases(lsun_src)
    assert [(db.category, db.path.name) for db in databases] == [
        ("cat", "cat"),
        ("church_outdoor", "church_outdoor_train_lmdb"),
    ]
    assert [path.name for path in ignored] == ["church_outdoor_val_lmdb"]
    assert find_databases(lsun_src / "cat")[0][0].category == "cat"  # one database given directly


def test_prepare_lsun_writes_the_bytes_unchanged_with_a_manifest_and_continues_on_rerun(lsun_src, tmp_path):
    out = tmp_path / "out"
    report = prepare_lsun(lsun_src, out, per_category=3, seed=0, categories=None)
    with (out / "manifest.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 6 and {row["category"] for row in rows} == {"cat", "church_outdoor"}
    for row in rows:
        data = (out / row["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == row["sha256"]
        assert Path(row["file"]).parent.as_posix() == f"{row['category']}/0_real"
        assert Path(row["file"]).suffix == {"JPEG": ".jpg", "WEBP": ".webp", "PNG": ".png"}[row["format"]]
    assert "ignored" in report and "church_outdoor_val_lmdb" in report
    again = prepare_lsun(lsun_src, out, per_category=3, seed=0, categories=None)
    assert "cat: 3 images (0 written, 3 already there)" in again and again.endswith(
        f"nothing new in {out} (manifest: {out / 'manifest.csv'})"
    )
    with pytest.raises(FakeidError, match="holds a prepare run with other arguments"):
        prepare_lsun(lsun_src, out, per_category=3, seed=1, categories=None)


def test_the_seeded_choice_skips_values_that_are_not_images(lsun_src, tmp_path):
    """Every key of church is drawn (7 > 6 usable would fail): the one non-image value is skipped and counted."""
    with pytest.raises(FakeidError, match="holds 6 usable images, fewer than per_category=7 .1 values skipped"):
        prepare_lsun(lsun_src, tmp_path / "a", per_category=7, seed=0, categories=["church_outdoor"])
    first = prepare_lsun(lsun_src, tmp_path / "b", per_category=2, seed=3, categories=["church_outdoor"])
    second = prepare_lsun(lsun_src, tmp_path / "c", per_category=2, seed=3, categories=["church_outdoor"])
    assert sorted(p.name for p in (tmp_path / "b").rglob("c*.*")) == sorted(
        p.name for p in (tmp_path / "c").rglob("c*.*")
    )
    assert first.splitlines()[0] == second.splitlines()[0]
    with pytest.raises(FakeidError, match="no database for bus"):
        prepare_lsun(lsun_src, tmp_path / "d", per_category=1, seed=0, categories=["bus"])


# ---- cnndetection --------------------------------------------------------------------------------------------


def cnndetection_tree(src: Path) -> Path:
    for name, fake in (("0_real", False), ("1_fake", True)):
        write_images(src / "progan_train" / "cat" / name, 2, 16, fake, seed=1)
        write_images(src / "progan_train" / "horse" / name, 2, 16, fake, seed=2)
        write_images(src / "CNN_synth_testset" / "progan" / "cat" / name, 1, 16, fake, seed=3)
        write_images(src / "CNN_synth_testset" / "biggan" / name, 3, 16, fake, seed=4)  # no category level
    return src


def test_cnndetection_sets_of_both_test_layouts_are_linked_once(tmp_path):
    src = cnndetection_tree(tmp_path / "src")
    assert [(s.split, s.name) for s in find_sets(src)] == [
        ("train", "cat"),
        ("train", "horse"),
        ("test", "biggan"),
        ("test", "progan/cat"),
    ]
    out = tmp_path / "out"
    report = prepare_cnndetection(src, out, Mix(categories=("cat", "horse", "bus"), holdout=("sheep",)))
    assert (out / "test" / "biggan" / "1_fake").resolve() == (src / "CNN_synth_testset" / "biggan" / "1_fake").resolve()
    assert len(list((out / "train" / "horse" / "0_real").iterdir())) == 2
    assert report.endswith("8 class folders linked, 0 already there")
    assert "train on a mix of what is present with: data.categories=[cat,horse] data.num_categories=2" in report
    assert link_sets(out, find_sets(src)) == (0, 8)


def test_cnndetection_refuses_a_set_with_one_class_and_a_src_without_trees(tmp_path):
    src = cnndetection_tree(tmp_path / "src")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FakeidError, match="holds none of progan_train"):
        find_sets(tmp_path / "empty")
    write_images(src / "progan_val" / "cat" / "0_real", 1, 16, False, seed=5)
    with pytest.raises(FakeidError, match=r"progan_val/cat/1_fake is missing"):
        find_sets(src)


def test_mix_lines_say_where_each_study_category_is():
    sets = find_sets_like([("train", "cat"), ("test", "progan/sheep")])
    lines = mix_lines(sets, Mix(categories=("cat", "bus"), holdout=("sheep",)))
    assert lines[0] == "the study's 3 categories: present cat (train), sheep (test/progan); absent bus"


def find_sets_like(pairs):
    from fakeid.ingest.cnndetection import LinkedSet

    return [LinkedSet(split, name, Path("/nowhere")) for split, name in pairs]


# ---- folders -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["link", "copy"])
def test_two_folders_become_a_layout_and_a_rerun_adds_nothing(tmp_path, mode):
    real = write_images(tmp_path / "mine", 3, 16, False, seed=1)[0].parent
    fake = write_images(tmp_path / "gan", 2, 16, True, seed=2)[0].parent
    (fake / "notes.txt").write_text("x")
    out = tmp_path / "out"
    report = prepare_folder(real, fake, out, mode)
    verb = "linked" if mode == "link" else "copied"
    assert f"0_real: 3 images from {real} (3 {verb}, 0 already there)" in report
    assert f"1_fake: 2 images from {fake} (2 {verb}, 0 already there; 1 non-image files left out)" in report
    made = out / "1_fake" / "0000.png"
    assert made.is_symlink() == (mode == "link") and made.read_bytes() == (fake / "0000.png").read_bytes()
    assert "(0 " + verb + ", 3 already there)" in prepare_folder(real, fake, out, mode)


def test_folder_inputs_that_cannot_make_a_layout(tmp_path):
    real = write_images(tmp_path / "mine", 1, 16, False, seed=1)[0].parent
    (tmp_path / "blank").mkdir()
    with pytest.raises(FakeidError, match="are the same folder"):
        prepare_folder(real, real, tmp_path / "out", "link")
    with pytest.raises(FakeidError, match=r"fake=.*blank holds no image files"):
        prepare_folder(real, tmp_path / "blank", tmp_path / "out", "link")
    with pytest.raises(FakeidError, match="lies inside real="):
        prepare_folder(real, tmp_path / "blank", real / "out", "link")
    with pytest.raises(FakeidError, match="mode=move: expected one of link, copy"):
        prepare_folder(real, tmp_path / "blank", tmp_path / "out", "move")


# ---- the marker ----------------------------------------------------------------------------------------------


def test_out_is_new_empty_or_the_same_run(tmp_path):
    out = tmp_path / "out"
    check_out(out, "folder", {"a": 1})  # new: fine, nothing written
    assert not out.exists()
    mark_out(out, "folder", {"a": 1})
    assert json.loads((out / MARKER).read_text()) == {"source": "folder", "arguments": {"a": 1}}
    check_out(out, "folder", {"a": 1})  # the same run continues
    with pytest.raises(FakeidError, match=r"holds a prepare run with other arguments \(source=folder a=1\)"):
        check_out(out, "folder", {"a": 2})
    (out / MARKER).write_text("[1, 2]")
    with pytest.raises(FakeidError, match="is not a prepare.json fakeid.prepare wrote"):
        check_out(out, "folder", {"a": 1})
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "thesis.tex").write_text("x")
    with pytest.raises(FakeidError, match="already holds other files"):
        check_out(tmp_path / "busy", "folder", {})
    with pytest.raises(FakeidError, match="is a file"):
        check_out(tmp_path / "busy" / "thesis.tex", "folder", {})
