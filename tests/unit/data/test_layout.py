"""Folder discovery (both test layouts), label mapping and what a run selects."""

import numpy as np
import pytest

from fakeid.core.errors import FakeidError
from fakeid.data.layout import CLASS_DIRS, category_sets, discover_test_sets, require_root
from fakeid.synth.quick import write_images
from tests.helpers.layouts import MIXING_ORDER, make_datamodule, make_layout


def test_both_test_layouts_are_discovered(tmp_path):
    root = make_layout(tmp_path, categories=["cat"], test_sets=("progan/sheep", "stylegan2/ffhq", "wild"))
    found = {(s.generator, s.category): s for s in discover_test_sets(root)}
    assert set(found) == {("progan", "sheep"), ("stylegan2", "ffhq"), ("wild", None)}
    assert found[("wild", None)].name == "wild"
    assert found[("progan", "sheep")].name == "progan/sheep"


def test_label_mapping_0_real_is_0_and_1_fake_is_1(tiny_root):
    cat = category_sets(tiny_root, "train", ["cat"], "progan")["cat"]
    assert cat.real.label == 0 and cat.real.path.name == "0_real"
    assert cat.fake.label == 1 and cat.fake.path.name == "1_fake"
    dm = make_datamodule(tiny_root)
    plan = dm.plan()
    for path, label in zip(plan.train.paths, plan.train.labels, strict=True):
        assert label == (path.parent.name == "1_fake")
    _, labels = next(iter(dm.train_dataloader()))
    assert set(labels.tolist()) <= {0.0, 1.0}


def test_training_size_is_the_same_for_every_n_and_the_holdout_never_trains(tiny_root):
    for n in (1, 2, 3, 10):
        plan = make_datamodule(tiny_root, num_categories=n, train_per_class=10, val_per_class=2).plan()
        assert plan.train.count(0) == 10 and plan.train.count(1) == 10
        used = {p.parts[-3] for p in plan.train.paths}
        assert used == set(MIXING_ORDER[:n]) and "sheep" not in used
        assert not set(plan.train.paths) & set(plan.val.paths)


def test_selection_is_seeded_and_nested_across_n(tiny_root):
    first = make_datamodule(tiny_root, seed=1).plan().train.paths
    assert first == make_datamodule(tiny_root, seed=1).plan().train.paths
    assert first != make_datamodule(tiny_root, seed=2).plan().train.paths
    # validation and test images do not depend on the run's seed: every run is judged on the same images
    assert make_datamodule(tiny_root, seed=1).plan().val.paths == make_datamodule(tiny_root, seed=2).plan().val.paths
    assert [t.paths for t in make_datamodule(tiny_root, seed=1).plan().tests] == [
        t.paths for t in make_datamodule(tiny_root, seed=2).plan().tests
    ]


def test_val_folder_is_used_when_present(tiny_root):
    for label, fake in CLASS_DIRS.items():
        for category in MIXING_ORDER[:3]:
            write_images(tiny_root / "val" / category / label, 2, 32, bool(fake), seed=7)
    plan = make_datamodule(tiny_root).plan()
    assert all(p.parts[-4] == "val" for p in plan.val.paths) and len(plan.val.paths) == 12


def test_file_lists_name_every_file_used(tiny_root, tmp_path):
    plan = make_datamodule(tiny_root).plan()
    plan.write_file_lists(tmp_path / "file_lists.csv")
    rows = (tmp_path / "file_lists.csv").read_text().splitlines()
    assert rows[0] == "split,set,label,path,status"
    assert len(rows) - 1 == len(plan.train.paths) + len(plan.val.paths) + sum(len(t.paths) for t in plan.tests)


def test_corrupt_and_non_image_files_are_skipped_counted_and_replaced(tiny_root, tmp_path):
    folder = tiny_root / "train" / "cat" / "0_real"
    (folder / "0000.png").write_bytes((folder / "0000.png").read_bytes()[:60])  # truncated
    (folder / "zz_notes.txt").write_text("not an image")
    plan = make_datamodule(tiny_root, num_categories=1, train_per_class=10, val_per_class=1).plan()
    skipped = {p.name: reason for p, reason in plan.train.skipped}
    assert skipped["zz_notes.txt"] == "not an image file"
    truncated = [s for s in plan.train.skipped + plan.val.skipped if s[0].name == "0000.png"]
    assert len(truncated) == 1 and truncated[0][1].startswith("unreadable")
    assert plan.train.count(0) == 10, "the next file of the seeded order replaces it"
    plan.write_file_lists(tmp_path / "lists.csv")
    assert "skipped: not an image file" in (tmp_path / "lists.csv").read_text()
    with pytest.raises(FakeidError, match="data.strict=true"):
        make_datamodule(tiny_root, num_categories=1, train_per_class=10, strict=True).plan()


def test_missing_root_is_named(tmp_path):
    with pytest.raises(FakeidError, match="data.root .*nowhere does not exist"):
        make_datamodule(tmp_path / "nowhere")


def test_missing_category_is_named_with_the_categories_present(tiny_root):
    (tiny_root / "train" / "train").rename(tiny_root / "moved")
    with pytest.raises(FakeidError, match=r"missing category folder .*train/train \(categories present: airplane"):
        make_datamodule(tiny_root).plan()


def test_empty_class_folder_is_an_error(tiny_root):
    for image in (tiny_root / "train" / "cat" / "1_fake").iterdir():
        image.unlink()
    with pytest.raises(FakeidError, match="class folder .*cat/1_fake holds no image files"):
        make_datamodule(tiny_root).plan()


def test_categories_outside_the_mix_are_never_read(tiny_root):
    (tiny_root / "train" / "bus" / "0_real").rename(tiny_root / "x")
    assert make_datamodule(tiny_root, num_categories=3).plan().categories_used == MIXING_ORDER[:3]


def test_missing_class_folder_and_split_are_named(tiny_root):
    (tiny_root / "test" / "progan" / "cat" / "1_fake").rename(tiny_root / "elsewhere")
    with pytest.raises(FakeidError, match=r"missing class folder .*progan/cat/1_fake"):
        make_datamodule(tiny_root).plan()
    with pytest.raises(FakeidError, match="missing split folder .*train"):
        require_root(tiny_root) and category_sets(tiny_root / "test", "train", ["cat"], "progan")


def test_budget_larger_than_a_folder_is_an_error_unless_shortfall_allowed(tiny_root):
    with pytest.raises(FakeidError, match="fewer than its quota"):
        make_datamodule(tiny_root, num_categories=1, train_per_class=50).plan()
    plan = make_datamodule(tiny_root, num_categories=1, train_per_class=50, allow_shortfall=True).plan()
    assert plan.train.shortfall == {"cat/0_real": 50 - plan.train.count(0), "cat/1_fake": 50 - plan.train.count(1)}


def test_batches_are_uint8_images_of_the_configured_size(tiny_root):
    images, labels = next(iter(make_datamodule(tiny_root).train_dataloader()))
    assert images.dtype.is_floating_point is False and tuple(images.shape[1:]) == (3, 32, 32)
    assert np.issubdtype(images.numpy().dtype, np.uint8) and labels.dtype.is_floating_point
