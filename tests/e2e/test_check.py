"""`python -m fakeid.check` finds the field's traps (planted here), JPEG quality from quantisation tables, the
one-line format warning training can print, and prepare -> check -> train end to end."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fakeid.data.formats import FORMAT_SUFFIX, SUFFIX_FORMAT, estimate_jpeg_quality, format_mismatch, sniff_format
from fakeid.data.images import IMAGE_SUFFIXES
from fakeid.synth.quick import write_images
from tests.helpers.commands import assert_one_line_error, run_module
from tests.helpers.layouts import make_layout

CATEGORIES = ["cat", "church_outdoor"]


def check(root: Path, *args: str):
    return run_module("fakeid.check", f"root={root}", *args)


def test_format_vocabulary_matches_what_fakeid_decodes():
    assert set(SUFFIX_FORMAT) == IMAGE_SUFFIXES and set(FORMAT_SUFFIX.values()) <= IMAGE_SUFFIXES


@pytest.mark.parametrize("format_name", ["JPEG", "PNG", "WEBP", "BMP", "TIFF"])
def test_formats_are_read_from_the_bytes(format_name):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format_name)
    assert sniff_format(buffer.getvalue()[:16]) == format_name
    assert sniff_format(b"GIF89a..........") is None


@pytest.mark.parametrize("quality", [20, 50, 75, 90, 95])
def test_jpeg_quality_is_recovered_from_the_quantisation_tables(quality):
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (32, 32, 3), dtype=np.uint8)).save(
        buffer, "JPEG", quality=quality
    )
    with Image.open(buffer) as image:
        assert estimate_jpeg_quality(image) == quality
    assert estimate_jpeg_quality(Image.new("RGB", (4, 4))) is None


def test_jpeg_quality_is_the_nearest_table_with_ties_to_the_higher_quality():
    """The vectorised estimate (tables built once, not per file) against the definition, written out: the least
    sum of absolute differences to an IJG table, the higher quality on a tie; on every IJG table, on tables
    between two of them and on noisy ones."""
    from fakeid.data.formats import ijg_table

    def by_definition(own: list[int]) -> int:
        return min(range(1, 101), key=lambda q: (sum(abs(a - b) for a, b in zip(own, ijg_table(q), strict=True)), -q))

    class Quantised:
        format = "JPEG"

        def __init__(self, table: list[int]):
            self.quantization = {0: table, 1: [1] * 64}

    rng = np.random.default_rng(0)
    tables = [ijg_table(q) for q in range(1, 101)]
    tables += [[(a + b) // 2 for a, b in zip(ijg_table(q), ijg_table(q + 1), strict=True)] for q in range(1, 100)]
    tables += [
        [int(v) for v in np.clip(np.array(ijg_table(q)) + rng.integers(-3, 4, 64), 1, 255)] for q in range(1, 101)
    ]
    tables += [[int(v) for v in rng.integers(1, 256, 64)] for _ in range(50)]
    for table in tables:
        assert estimate_jpeg_quality(Quantised(table)) == by_definition(table), table
    assert estimate_jpeg_quality(Quantised([1] * 64)) == 100 and estimate_jpeg_quality(Quantised([255] * 64)) == 1


def test_format_mismatch_is_one_line_when_real_and_fake_differ(tmp_path):
    reals = write_images(tmp_path / "real", 4, 16, False, seed=0, suffix=".jpg")
    fakes = write_images(tmp_path / "fake", 4, 16, True, seed=1)
    more_reals = write_images(tmp_path / "real_png", 4, 16, False, seed=2)
    warning = format_mismatch(reals + fakes, [0] * 4 + [1] * 4)
    assert warning is not None and "\n" not in warning
    assert "real: JPEG 100%" in warning and "fake: PNG 100%" in warning
    assert format_mismatch(more_reals + fakes, [0] * 4 + [1] * 4) is None
    shutil.copy(reals[0], tmp_path / "disguised.png")  # the bytes decide, not the suffix
    assert format_mismatch([tmp_path / "disguised.png"] + fakes[:1], [0, 1]) is not None


def test_check_finds_every_planted_problem(tmp_path):
    root = make_layout(tmp_path / "data", categories=CATEGORIES, train_per_class=4, test_per_class=3)
    leaked = root / "test" / "progan" / "cat" / "0_real" / "leaked.png"
    shutil.copy(root / "train" / "cat" / "0_real" / "0000.png", leaked)  # train/test duplicate
    shutil.copy(
        root / "train" / "church_outdoor" / "0_real" / "0001.png",
        root / "train" / "church_outdoor" / "1_fake" / "mislabelled.png",
    )  # under both labels
    for path in (root / "test" / "stylegan2" / "horse" / "0_real").iterdir():  # PNG fakes vs JPEG reals
        Image.open(path).save(path.with_suffix(".jpg"), quality=75)
        path.unlink()
    (root / "test" / "progan" / "sheep" / "1_fake" / "0000.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    out = tmp_path / "check.json"
    done = check(root, f"out={out}")
    assert done.returncode == 1, done.stdout + done.stderr
    report = json.loads(out.read_text())
    assert report["ok"] is False
    blocking = " | ".join(report["blocking"])
    assert "1 images are in both train and test" in blocking and "1 images are under both 0_real and 1_fake" in blocking
    kinds = {tuple(group["kinds"]) for group in report["duplicates"]["list"]}
    assert kinds == {("across:test+train",), ("cross_label", "within:train")}
    warnings = " | ".join(report["warnings"])
    assert "test/stylegan2/horse: real and fake differ in format (real: JPEG 100%; fake: PNG 100%)" in warnings
    assert report["classes"]["test/stylegan2/horse"]["0_real"]["jpeg_quality"]["median"] == 75
    assert [u["path"] for u in report["unreadable"]] == [str(root / "test/progan/sheep/1_fake/0000.png")]
    assert report["mix"]["present_in_train"] == CATEGORIES and "train" in report["mix"]["missing_from_train"]
    assert "BLOCKING: 1 images are in both train and test" in done.stdout
    assert "BLOCKING across:test+train: train/cat/0_real/0000.png = test/progan/cat/0_real/leaked.png" in done.stdout


def test_a_clean_root_passes_and_an_empty_class_blocks(tmp_path):
    root = make_layout(
        tmp_path / "data", categories=CATEGORIES, train_per_class=3, test_per_class=2, test_sets=("progan/sheep",)
    )
    done = check(root, "data.categories=[cat,church_outdoor]", "workers=2")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((root / "check.json").read_text())
    assert report["ok"] and report["warnings"] == [] and report["duplicates"]["groups"] == 0
    counts = {(c["split"], c["set"], c["class"]): c["images"] for c in report["counts"]}
    assert counts[("train", "cat", "1_fake")] == 3 and counts[("test", "progan/sheep", "0_real")] == 2
    for path in (root / "train" / "cat" / "1_fake").iterdir():
        path.unlink()
    (root / "check.json").unlink()
    emptied = check(root, "data.categories=[cat,church_outdoor]")
    assert emptied.returncode == 1 and "train/cat/1_fake: class folder empty" in emptied.stdout


def test_bad_root_is_one_line(tmp_path):
    done = check(tmp_path / "missing")
    expected = (
        f"fakeid: error: root={tmp_path / 'missing'} does not exist "
        "(expected ROOT/train/<category>/{0_real,1_fake}, ROOT/test/<generator>[/<category>]/{0_real,1_fake})"
    )
    assert_one_line_error(done, f"^{re.escape(expected)}$")
    assert "missing key root" in run_module("fakeid.check").stderr


def test_empty_undecodable_and_oversized_files_are_unreadable_never_duplicates(tmp_path):
    """Every 0-byte file has the same sha256: they used to be BLOCKING train/test and cross-label duplicates,
    though training skips all of them. The same for two copies of one undecodable file."""
    root = make_layout(
        tmp_path / "data", categories=CATEGORIES, train_per_class=3, test_per_class=2, test_sets=("progan/sheep",)
    )
    empty = [root / "train/cat/0_real/empty.png", root / "test/progan/sheep/1_fake/empty.png"]
    broken = [root / "train/cat/1_fake/broken.png", root / "test/progan/sheep/0_real/broken.png"]
    for path in empty:
        path.write_bytes(b"")
    for path in broken:
        path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    big = root / "train/church_outdoor/0_real/big.png"
    Image.new("L", (60, 60)).save(big)
    shutil.copy(big, root / "test/progan/sheep/1_fake/big.png")  # a duplicate too, but over the budget
    out = tmp_path / "check.json"
    done = check(root, f"out={out}", "data.categories=[cat,church_outdoor]", "data.max_pixels=3000")
    assert done.returncode == 0 and "BLOCKING" not in done.stdout, done.stdout + done.stderr
    report = json.loads(out.read_text())
    assert report["duplicates"]["groups"] == 0 and report["ok"]
    reasons = {Path(u["path"]).relative_to(root).as_posix(): u["error"] for u in report["unreadable"]}
    assert {reasons[str(p.relative_to(root))] for p in empty} == {"empty file (0 bytes)"}
    assert all(reasons[str(p.relative_to(root))] for p in broken)
    assert reasons["train/church_outdoor/0_real/big.png"].startswith("over the pixel budget: 60x60")
    assert "6 unreadable files (training skips them" in " | ".join(report["warnings"])


@pytest.mark.slow
def test_prepare_check_train_end_to_end(tmp_path):
    """LSUN-like LMDBs + folders of fakes -> a data root -> check passes -> one epoch of training at 32 px."""
    from tests.helpers.lsun import encoded, make_lmdb

    pytest.importorskip("lmdb")
    categories = ["cat", "church_outdoor", "sheep"]
    for index, category in enumerate(categories):
        values = {
            f"{index:04x}{n:036x}".encode(): encoded("JPEG" if n % 2 else "WEBP", 100 * index + n, (40, 40))
            for n in range(12)
        }
        make_lmdb(tmp_path / "lsun" / f"{category}_train_lmdb", values)
    pool = tmp_path / "reals"
    done = run_module(
        "fakeid.prepare", "source=lsun", f"src={tmp_path / 'lsun'}", f"out={pool}", "per_category=12", "seed=0"
    )
    assert done.returncode == 0, done.stderr
    root = tmp_path / "root"
    for index, category in enumerate(categories):
        fakes = tmp_path / "fakes" / category
        for n in range(12):  # fakes carry the same JPEG/WebP mix as the reals: no format shortcut
            (fakes / f"{n:03d}{'.jpg' if n % 2 else '.webp'}").parent.mkdir(parents=True, exist_ok=True)
            (fakes / f"{n:03d}{'.jpg' if n % 2 else '.webp'}").write_bytes(
                encoded("JPEG" if n % 2 else "WEBP", 5000 + 100 * index + n, (40, 40))
            )
        out = root / ("test/progan" if category == "sheep" else "train") / category
        done = run_module(
            "fakeid.prepare", "source=folder", f"real={pool / category / '0_real'}", f"fake={fakes}", f"out={out}"
        )
        assert done.returncode == 0, done.stderr
    checked = run_module("fakeid.check", f"root={root}", "data.categories=[cat,church_outdoor]")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert json.loads((root / "check.json").read_text())["warnings"] == []
    trained = run_module(
        "fakeid.train",
        "data=tiny",
        f"data.root={root}",
        "data.categories=[cat,church_outdoor]",
        "data.num_categories=2",
        "data.train_per_class=16",
        "trainer.max_epochs=1",
        "logger=none",
        "callbacks=checkpoint_only",
        f"paths.outputs={tmp_path / 'outputs'}",
        f"hydra.run.dir={tmp_path / 'run'}",
    )
    assert trained.returncode == 0, trained.stderr[-3000:]
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["status"] == "ok" and [t["set"] for t in metrics["test"]] == ["progan/sheep"]
    assert metrics["data"]["train"]["formats"].keys() == {"real:jpg", "real:webp", "fake:jpg", "fake:webp"}
