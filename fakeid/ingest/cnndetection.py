"""`source=cnndetection`: arrange the extracted CNNDetection trees (Wang et al. 2020) into fakeid's layout
by symbolic links, no copying.

    src/progan_train/<category>/{0_real,1_fake}         -> ROOT/train/<category>/{0_real,1_fake}
    src/progan_val/<category>/{0_real,1_fake}           -> ROOT/val/<category>/{0_real,1_fake}
    src/CNN_synth_testset/<generator>[/<category>]/...  -> ROOT/test/<generator>[/<category>]/...

Each class folder becomes one link to the extracted folder. Any of the three trees may be absent (not all
at once). The report counts images per category and class, says which of the paper's 11 categories are
there (CNNDetection's 20 LSUN object categories hold 5 of the paper's 10 plus sheep), and prints the
`data.categories=[...]` override of a mix made of those present.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from fakeid.core.atomic import remove_partials, symlink_atomically
from fakeid.core.errors import FakeidError
from fakeid.data.images import is_image_name
from fakeid.data.layout import CLASS_DIRS, HOLDOUT, PAPER_MIXING_ORDER, TRAIN_GENERATOR
from fakeid.ingest.manifest import check_out, mark_out, refuse_out_inside

TREES = {"progan_train": "train", "progan_val": "val", "CNN_synth_testset": "test"}


@dataclass(frozen=True)
class LinkedSet:
    split: str
    name: str  # category (train/val) or generator[/category] (test)
    source: Path  # the folder holding 0_real and 1_fake


def has_classes(folder: Path) -> bool:
    return any((folder / name).is_dir() for name in CLASS_DIRS)


def sets_of_tree(tree: Path, split: str) -> list[LinkedSet]:
    """The sets of one tree; a folder with only one of the class folders is an error (nothing written yet)."""
    sets = []
    for child in sorted(p for p in tree.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if split == "test" and not has_classes(child):
            sets += [
                LinkedSet(split, f"{child.name}/{p.name}", p)
                for p in sorted(q for q in child.iterdir() if q.is_dir() and not q.name.startswith("."))
            ]
        else:
            sets.append(LinkedSet(split, child.name, child))
    for linked in sets:
        missing = [name for name in CLASS_DIRS if not (linked.source / name).is_dir()]
        if missing:
            raise FakeidError(
                f"{linked.source / missing[0]} is missing: expected both "
                f"{' and '.join(CLASS_DIRS)} in every set of the CNNDetection tree"
            )
    if not sets:
        raise FakeidError(f"{tree} holds no sets: expected {tree}/<name>/{{{','.join(CLASS_DIRS)}}}")
    return sets


def find_sets(src: Path) -> list[LinkedSet]:
    if not src.is_dir():
        raise FakeidError(f"src={src} does not exist: expected the folder holding {', '.join(TREES)}")
    trees = [(src / name, split) for name, split in TREES.items() if (src / name).is_dir()]
    if not trees:
        raise FakeidError(f"src={src} holds none of {', '.join(TREES)}: expected the extracted CNNDetection trees")
    return [linked for tree, split in trees for linked in sets_of_tree(tree, split)]


def count_images(folder: Path) -> int:
    return sum(1 for p in folder.iterdir() if p.is_file() and is_image_name(p))


def link_sets(out: Path, sets: Sequence[LinkedSet]) -> tuple[int, int]:
    """Link every class folder; returns (links made, links already there)."""
    made = present = 0
    for linked in sets:
        for class_dir in CLASS_DIRS:
            target, source = out / linked.split / linked.name / class_dir, linked.source / class_dir
            if target.is_symlink() and target.resolve() == source.resolve():
                present += 1
                continue
            symlink_atomically(source, target)
            made += 1
    return made, present


@dataclass(frozen=True)
class Mix:
    """The study's categories (the mixing order, the held-out ones) and its training generator."""

    categories: tuple[str, ...] = PAPER_MIXING_ORDER
    holdout: tuple[str, ...] = (HOLDOUT,)
    train_generator: str = TRAIN_GENERATOR


def where_present(sets: Sequence[LinkedSet], mix: Mix) -> dict[str, list[str]]:
    """For each of the study's categories (mix, then held out), where it exists: `train`, `test/<generator>`."""
    names = {(s.split, s.name) for s in sets}
    return {
        category: [
            place
            for place, key in (
                ("train", ("train", category)),
                (f"test/{mix.train_generator}", ("test", f"{mix.train_generator}/{category}")),
            )
            if key in names
        ]
        for category in (*mix.categories, *mix.holdout)
    }


def mix_lines(sets: Sequence[LinkedSet], mix: Mix) -> list[str]:
    places = where_present(sets, mix)
    present = [f"{c} ({', '.join(p)})" for c, p in places.items() if p]
    absent = [c for c, p in places.items() if not p]
    lines = [
        f"the study's {len(places)} categories: present {', '.join(present) or 'none'}; "
        f"absent {', '.join(absent) or 'none'}"
    ]
    trainable = [c for c in mix.categories if "train" in places[c]]
    if trainable:
        lines.append(
            f"train on a mix of what is present with: data.categories=[{','.join(trainable)}] "
            f"data.num_categories={len(trainable)}"
        )
    return lines


def prepare_cnndetection(src: Path, out: Path, mix: Mix = Mix()) -> str:
    """Validate the trees, then link them; returns the report to print."""
    refuse_out_inside(out, {"src": src})
    sets = find_sets(src)
    arguments = {"src": str(src.resolve())}
    check_out(out, "cnndetection", arguments)
    mark_out(out, "cnndetection", arguments)
    removed = remove_partials(out)
    made, present = link_sets(out, sets)
    return cnndetection_report(out, sets, mix, (made, present, removed))


def cnndetection_report(out: Path, sets: Sequence[LinkedSet], mix: Mix, done: tuple[int, int, int]) -> str:
    made, present, removed = done
    lines = [f"{'split':<5} {'set':<28} " + "  ".join(f"{c:>8}" for c in CLASS_DIRS)]
    for linked in sets:
        counts = "  ".join(f"{count_images(linked.source / c):>8}" for c in CLASS_DIRS)
        lines.append(f"{linked.split:<5} {linked.name:<28} {counts}")
    lines += mix_lines(sets, mix)
    if removed:
        lines.append(f"removed {removed} partial links an interrupted run left")
    lines.append(f"linked {out}: {made} class folders linked, {present} already there")
    return "\n".join(lines)
