"""The folder layout of docs/study.md (the CNNDetection convention): its vocabulary, and finding it on disk.

    ROOT/train/<category>/{0_real,1_fake}/*
    ROOT/val/<category>/{0_real,1_fake}/*                     optional
    ROOT/test/<generator>/<category>/{0_real,1_fake}/*  or  ROOT/test/<generator>/{0_real,1_fake}/*

This module is the one home of the layout's names: the class folders and their labels (`CLASS_DIRS`:
`0_real` is label 0, `1_fake` is label 1) and the roles of the study's categories and generators (the
mixing order, the held-out category, the training generator, the paper's unseen generator). Data, the
synthetic benchmark, the bench and the tests import them from here.

Listing is cheap (no decoding); files whose suffix is not an image suffix are kept apart as `non_image`
so that the run can count and report them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fakeid.core.errors import FakeidError
from fakeid.data.images import is_image_name

CLASS_DIRS = {"0_real": 0, "1_fake": 1}  # class folder -> label
LABEL_DIRS = tuple(CLASS_DIRS)  # label -> class folder: LABEL_DIRS[1] is the fake folder
REAL_DIR, FAKE_DIR = LABEL_DIRS
LAYOUT_HINT = (
    f"expected ROOT/train/<category>/{{{REAL_DIR},{FAKE_DIR}}}, "
    f"ROOT/test/<generator>[/<category>]/{{{REAL_DIR},{FAKE_DIR}}}"
)

# The study's roles (Lee & Park 2021; conf/data/paper.yaml spells the same, tests/unit/conf/test_config.py checks).
# Training on n categories uses the first n of the mixing order.
PAPER_MIXING_ORDER = (
    "cat",
    "church_outdoor",
    "train",
    "airplane",
    "bus",
    "cow",
    "bridge",
    "bedroom",
    "classroom",
    "restaurant",
)
HOLDOUT = "sheep"  # held-out content: tested under the training generator, never trained on
TRAIN_GENERATOR = "progan"  # the generator of every training fake: its test sets are "seen generator"
UNSEEN_GENERATOR = "stylegan2"  # the paper's generator never trained on ...
UNSEEN_GENERATOR_CATEGORIES = ("horse", "ffhq")  # ... and its test sets, content never trained on either


def set_path(split: str, generator: str | None, category: str | None) -> str:
    """Where a set lives under ROOT: `train/<category>`, `val/<category>`, `test/<generator>[/<category>]`."""
    parts = (split, category) if split != "test" else (split, generator, category)
    return "/".join(part for part in parts if part)


@dataclass(frozen=True)
class ClassFolder:
    """The files of one class folder, sorted so that every listing of it is identical."""

    path: Path
    label: int
    images: tuple[Path, ...]
    non_image: tuple[Path, ...] = field(default=())
    broken: tuple[Path, ...] = field(default=())  # symbolic links that lead nowhere (or in a loop)


@dataclass(frozen=True)
class ImageSet:
    """A real/fake pair of class folders: one training category, or one test set."""

    split: str
    generator: str | None
    category: str | None
    real: ClassFolder
    fake: ClassFolder

    @property
    def name(self) -> str:
        return "/".join(part for part in (self.generator, self.category) if part) or self.real.path.parent.name


def list_class_folder(path: Path, label: int) -> ClassFolder:
    if not path.is_dir():
        raise FakeidError(f"missing class folder {path} ({LAYOUT_HINT})")
    entries = sorted(p for p in path.iterdir() if not p.name.startswith("."))
    files = [p for p in entries if p.is_file()]
    broken = tuple(p for p in entries if p.is_symlink() and not p.exists())
    images = tuple(p for p in files if is_image_name(p))
    if not images:
        raise FakeidError(f"class folder {path} holds no image files (png, jpg, webp, bmp, tif)")
    return ClassFolder(path, label, images, tuple(p for p in files if not is_image_name(p)), broken)


def image_set(folder: Path, split: str, generator: str | None, category: str | None) -> ImageSet:
    return ImageSet(
        split, generator, category, *(list_class_folder(folder / name, label) for name, label in CLASS_DIRS.items())
    )


def require_root(root: str | Path) -> Path:
    root = Path(root).expanduser()
    if not root.is_dir():
        raise FakeidError(f"data.root {root} does not exist ({LAYOUT_HINT})")
    return root


def category_sets(root: Path, split: str, categories: list[str], generator: str) -> dict[str, ImageSet]:
    """The per-category folders of `split` for the named categories; every one must exist."""
    split_dir = root / split
    if not split_dir.is_dir():
        raise FakeidError(f"missing split folder {split_dir} ({LAYOUT_HINT})")
    sets = {}
    for category in categories:
        folder = split_dir / category
        if not folder.is_dir():
            present = sorted(p.name for p in split_dir.iterdir() if p.is_dir())
            raise FakeidError(f"missing category folder {folder} (categories present: {', '.join(present) or 'none'})")
        sets[category] = image_set(folder, split, generator, category)
    return sets


def has_split(root: Path, split: str) -> bool:
    return (root / split).is_dir()


def has_class_dirs(folder: Path) -> bool:
    return any((folder / name).is_dir() for name in CLASS_DIRS)


def sets_under_test_dir(test_dir: Path) -> list[ImageSet]:
    """The sets of a folder laid out like ROOT/test: <generator>/[<category>/]{0_real,1_fake}."""
    sets = []
    for generator_dir in sorted(p for p in test_dir.iterdir() if p.is_dir()):
        if has_class_dirs(generator_dir):
            sets.append(image_set(generator_dir, "test", generator_dir.name, None))
            continue
        for category_dir in sorted(p for p in generator_dir.iterdir() if p.is_dir()):
            sets.append(image_set(category_dir, "test", generator_dir.name, category_dir.name))
    return sets


def discover_test_sets(root: Path) -> list[ImageSet]:
    """Every test set under ROOT/test, in either of the two layouts, sorted by name."""
    test_dir = root / "test"
    if not test_dir.is_dir():
        raise FakeidError(f"missing split folder {test_dir} ({LAYOUT_HINT})")
    sets = sets_under_test_dir(test_dir)
    if not sets:
        raise FakeidError(f"no test sets under {test_dir} ({LAYOUT_HINT})")
    return sets


def discover_eval_sets(root: Path) -> list[ImageSet]:
    """The test sets of any folder an evaluation may be pointed at (no train/ needed):

    - a full root, ROOT/test/...;
    - a bare {0_real,1_fake} folder: one set named after the folder, generator and category unknown;
    - a generator folder, <generator>/<category>/{0_real,1_fake}: one set per category;
    - a folder laid out like ROOT/test itself, <generator>/[<category>/]{0_real,1_fake}.
    """
    if (root / "test").is_dir():
        return discover_test_sets(root)
    if has_class_dirs(root):
        return [image_set(root, "test", None, None)]
    children = sorted(p for p in root.iterdir() if p.is_dir())
    if children and all(has_class_dirs(child) for child in children):
        return [image_set(child, "test", root.name, child.name) for child in children]
    sets = sets_under_test_dir(root)
    if not sets:
        raise FakeidError(
            f"no test sets under {root} (expected ROOT/test/..., <generator>/[<category>/]"
            "{0_real,1_fake} or a bare {0_real,1_fake} folder)"
        )
    return sets
