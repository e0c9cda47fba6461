"""fakeid.audit without the command: the inventory of class folders, what `probe` reads from a file, the
duplicate kinds and which of them block, the verdict and its warnings, and the spectra's recipe."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fakeid.audit.duplicates import Placed, count_kinds, find_duplicates
from fakeid.audit.inventory import probe, walk_root
from fakeid.audit.report import audit, compare_classes, summary
from fakeid.audit.spectra import data_spectra, log_spectrum, mean_spectrum, residual, seeded_sample
from fakeid.core.errors import FakeidError
from fakeid.synth.quick import write_images
from tests.helpers.layouts import make_layout

MIX = {"categories": ["cat", "horse"], "holdout": ["sheep"], "train_generator": "progan"}


def small_root(root: Path) -> Path:
    return make_layout(root, categories=["cat", "horse"], train_per_class=3, test_per_class=2, size=16)


# ---- inventory -----------------------------------------------------------------------------------------------


def test_walk_finds_both_test_layouts_and_marks_missing_and_empty_classes(tmp_path):
    root = small_root(tmp_path)
    shutil.rmtree(root / "train" / "horse" / "1_fake")
    for image in (root / "test" / "stylegan2" / "horse" / "0_real").iterdir():
        image.unlink()
    write_images(root / "test" / "biggan" / "0_real", 2, 16, fake=False, seed=9)  # flat test set: no category
    write_images(root / "test" / "biggan" / "1_fake", 2, 16, fake=True, seed=9)
    (root / "train" / "cat" / "0_real" / "notes.txt").write_text("x")
    entries = {(e.split, e.set_name, e.class_dir): e for e in walk_root(root)}
    assert entries[("train", "horse", "1_fake")].problem == "missing"
    assert entries[("test", "stylegan2/horse", "0_real")].problem == "empty"
    assert (
        entries[("test", "biggan", "1_fake")].problem is None and len(entries[("test", "biggan", "1_fake")].images) == 2
    )
    cat = entries[("train", "cat", "0_real")]
    assert len(cat.images) == 3 and [p.name for p in cat.non_image] == ["notes.txt"]
    assert {name for split, name, _ in entries if split == "test"} == {
        "progan/sheep",
        "progan/cat",
        "stylegan2/horse",
        "biggan",
    }


def test_probe_reads_format_size_quality_and_says_why_a_file_is_unreadable(tmp_path):
    pixels = np.random.default_rng(0).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(tmp_path / "a.jpg", quality=75)
    facts = probe(tmp_path / "a.jpg")
    assert (facts.format, facts.width, facts.height, facts.mode, facts.error) == ("JPEG", 30, 20, "RGB", None)
    assert abs(facts.jpeg_quality - 75) <= 2
    (tmp_path / "empty.png").write_bytes(b"")
    assert probe(tmp_path / "empty.png").error == "empty file (0 bytes)"
    (tmp_path / "text.png").write_text("not an image")
    assert probe(tmp_path / "text.png").error == "not an image Pillow can identify"
    Image.fromarray(pixels).save(tmp_path / "a.png")
    data = (tmp_path / "a.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])  # header intact, pixels cut
    assert probe(tmp_path / "cut.png").error and probe(tmp_path / "cut.png", decode=False).error is None
    over = probe(tmp_path / "a.jpg", max_pixels=599)
    assert over.error.endswith("30x20 pixels, more than data.max_pixels=599") and over.width == 30
    assert probe(tmp_path / "a.jpg").sha256 == probe(tmp_path / "a.jpg", decode=False).sha256


# ---- duplicates ----------------------------------------------------------------------------------------------


def placed(split: str, class_dir: str, sha: str, name: str = "x.png") -> Placed:
    return Placed(split, "cat", class_dir, Path(split) / class_dir / name, sha)


def test_duplicate_kinds_and_which_block():
    groups = find_duplicates(
        [
            placed("train", "0_real", "a"),
            placed("test", "0_real", "a"),  # train+test: blocks
            placed("train", "0_real", "b"),
            placed("train", "1_fake", "b"),  # real and fake: blocks
            placed("train", "0_real", "c", "1.png"),
            placed("train", "0_real", "c", "2.png"),  # within train: a warning
            placed("val", "0_real", "d"),
            placed("test", "0_real", "d"),  # val+test: a warning
            placed("train", "0_real", "e"),  # alone: no group
        ]
    )
    by_hash = {group.sha256: group for group in groups}
    assert set(by_hash) == {"a", "b", "c", "d"}
    assert [group.sha256 for group in groups] == ["a", "b", "c", "d"]  # blocking first, then by hash
    assert by_hash["a"].kinds == ["across:test+train"] and by_hash["a"].blocking
    assert by_hash["b"].kinds == ["cross_label", "within:train"] and by_hash["b"].blocking
    assert by_hash["c"].kinds == ["within:train"] and not by_hash["c"].blocking
    assert by_hash["d"].kinds == ["across:test+val"] and not by_hash["d"].blocking
    assert count_kinds(groups) == {"across:test+train": 1, "across:test+val": 1, "cross_label": 1, "within:train": 2}


# ---- the verdict ---------------------------------------------------------------------------------------------


def test_a_clean_root_passes_with_its_counts(tmp_path):
    result = audit(small_root(tmp_path), **MIX)
    assert result.exit_code == 0 and result.blocking == [] and result.duplicates == []
    assert sum(count["images"] for count in result.counts) == 2 * 2 * 3 + 3 * 2 * 2
    assert result.mix["present_in_train"] == ["cat", "horse"] and result.mix["missing_from_train"] == []
    assert result.mix["holdout_missing_from_test"] == []  # test/progan/sheep exists
    assert summary(result).endswith("result: no blocking problem (0 blocking, 0 warnings)")


def test_a_train_image_in_test_and_an_image_under_both_labels_block(tmp_path):
    root = small_root(tmp_path)
    shutil.copy(root / "train" / "cat" / "0_real" / "0000.png", root / "test" / "progan" / "cat" / "0_real" / "x.png")
    shutil.copy(root / "train" / "horse" / "0_real" / "0000.png", root / "train" / "horse" / "1_fake" / "x.png")
    result = audit(root, **MIX)
    assert result.exit_code == 1
    assert result.blocking == [
        "1 images are in both train and test (see 'duplicates')",
        "1 images are under both 0_real and 1_fake (see 'duplicates')",
    ]
    assert "BLOCKING: 1 images are in both train and test" in summary(result)
    assert result.as_dict()["duplicates"]["by_kind"] == {"across:test+train": 1, "cross_label": 1, "within:train": 1}


def test_problems_that_only_warn_and_those_that_block(tmp_path):
    root = small_root(tmp_path)
    (root / "train" / "cat" / "0_real" / "0000.png").write_bytes(b"")  # unreadable: skipped by training
    (root / "train" / "cat" / "1_fake" / "0000.png").write_bytes(b"")  # same hash as the other empty file
    (root / "train" / "cat" / "0_real" / "README").write_text("x")
    shutil.rmtree(root / "test" / "progan" / "sheep")
    shutil.rmtree(root / "train" / "horse" / "0_real")
    result = audit(root, **{**MIX, "categories": ["cat", "horse", "bus"]})
    assert result.blocking == [f"{root / 'train' / 'horse' / '0_real'}: class folder missing"]
    assert result.duplicates == []  # two empty files are unreadable, never a cross-label duplicate
    assert "2 unreadable files (training skips them; see 'unreadable')" in result.warnings
    assert "1 non-image files in class folders (training skips them)" in result.warnings
    assert "mix categories missing from train/: bus" in result.warnings
    assert "held-out categories missing from test/progan/: sheep" in result.warnings


def test_real_and_fake_that_differ_in_format_size_or_quality_are_warned_about():
    real = {"formats": {"JPEG": 10}, "sizes": {"64x64": 10}, "jpeg_quality": {"median": 95, "min": 90, "max": 99}}
    same = compare_classes("train", real, real)
    assert same == []
    fake = {"formats": {"PNG": 10}, "sizes": {"256x256": 10}, "jpeg_quality": None}
    found = compare_classes("train", real, fake)
    assert [line.split(" (")[0] for line in found] == [
        "train: real and fake differ in format",
        "train: real and fake differ in size",
    ]
    lower = {**real, "jpeg_quality": {"median": 60, "min": 55, "max": 65}}
    assert compare_classes("test/progan/cat", real, lower) == [
        "test/progan/cat: real and fake differ in JPEG quality (median real 95, fake 60)"
    ]


def test_a_root_without_the_layout_is_one_error(tmp_path):
    with pytest.raises(FakeidError, match="does not exist"):
        audit(tmp_path / "nowhere", **MIX)
    (tmp_path / "other").mkdir()
    with pytest.raises(FakeidError, match="holds none of train/, val/, test/"):
        audit(tmp_path / "other", **MIX)


# ---- spectra -------------------------------------------------------------------------------------------------


def test_the_residual_removes_flat_content_and_the_checkerboard_peaks_at_nyquist():
    flat = np.full((16, 16), 100.0)
    assert np.allclose(residual(flat), 0.0)
    board = 24.0 * (np.indices((16, 16)).sum(0) % 2)
    spectrum = log_spectrum(residual(flat + board))
    assert np.unravel_index(np.argmax(spectrum), spectrum.shape) == (0, 0)  # (-8, -8) after fftshift: Nyquist
    assert np.allclose(mean_spectrum([flat + board, flat + board]), spectrum)
    with pytest.raises(FakeidError):
        mean_spectrum([])


def test_the_sample_depends_on_seed_and_name_only(tmp_path):
    paths = [tmp_path / f"{index}.png" for index in range(10)]
    first = seeded_sample(paths, 4, 0, "train/real")
    assert first == seeded_sample(list(reversed(paths)), 4, 0, "train/real") and len(set(first)) == 4
    assert first != seeded_sample(paths, 4, 1, "train/real") or first != seeded_sample(paths, 4, 0, "train/fake")
    assert sorted(seeded_sample(paths, 20, 0, "x")) == sorted(paths)


def test_data_spectra_sees_the_fakes_checkerboard_and_counts_skipped_files(tmp_path):
    root = make_layout(tmp_path, categories=["cat"], train_per_class=4, test_per_class=2, size=32, test_sets=())
    (root / "train" / "cat" / "1_fake" / "0003.png").write_text("broken")
    spectra = data_spectra(root, per_class=4, seed=0)
    assert spectra.size == 32 and [scope.scope for scope in spectra.scopes] == ["train"]
    train = spectra.scopes[0]
    assert train.counts == {"real": 4, "fake": 3} and [Path(path).name for path, _ in spectra.skipped] == ["0003.png"]
    # after fftshift the (Nyquist, Nyquist) frequency is index (0, 0): where the fakes' period-2 pattern lives
    assert np.unravel_index(np.argmax(train.difference), train.difference.shape) == (0, 0)
    with pytest.raises(FakeidError, match="spectra_per_class=0"):
        data_spectra(root, per_class=0)
