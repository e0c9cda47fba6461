"""Tiny image folders in fakeid's data layout (docs/study.md), made of fakeid.synth.quick's plain labelled images."""

from __future__ import annotations

from pathlib import Path

from fakeid.data.datamodule import CategoryMixDataModule
from fakeid.data.layout import CLASS_DIRS, PAPER_MIXING_ORDER
from fakeid.synth.quick import write_images

MIXING_ORDER = list(PAPER_MIXING_ORDER)


def make_layout(
    root: Path,
    categories=MIXING_ORDER,
    train_per_class: int = 12,
    test_per_class: int = 4,
    size: int = 32,
    test_sets=("progan/sheep", "progan/cat", "stylegan2/horse"),
    test_size: int | None = None,
) -> Path:
    """Train and test folders of quick images; the test images are `test_size` px (default: `size`)."""
    for index, category in enumerate(categories):
        for class_dir, fake in CLASS_DIRS.items():
            write_images(
                root / "train" / category / class_dir, train_per_class, size, bool(fake), seed=2 * index + fake
            )
    for index, name in enumerate(test_sets):
        for class_dir, fake in CLASS_DIRS.items():
            write_images(
                root / "test" / name / class_dir,
                test_per_class,
                test_size or size,
                bool(fake),
                seed=1000 + 2 * index + fake,
            )
    return root


def make_datamodule(root: Path, **overrides) -> CategoryMixDataModule:
    """A CategoryMixDataModule on `root` with small test settings; `overrides` replace any of them."""
    settings = dict(
        root=str(root),
        num_categories=3,
        train_per_class=12,
        val_per_class=6,
        test_per_class=3,
        image_size=32,
        batch_size=4,
        num_workers=0,
        seed=0,
    )
    return CategoryMixDataModule(**{**settings, **overrides})
