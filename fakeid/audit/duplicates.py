"""Exact duplicates (same sha256) and where they sit: within a split, across train/val/test, across labels.

An image in both train and test inflates test accuracy; an image under both `0_real` and `1_fake` is a
labelling error. Both block (`fakeid.check` exits 1). Other duplicates are warnings.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

BLOCKING_SPLIT_PAIRS = (frozenset({"train", "test"}),)


@dataclass(frozen=True)
class Placed:
    """One file and where the layout puts it."""

    split: str
    set_name: str
    class_dir: str
    path: Path
    sha256: str


@dataclass(frozen=True)
class DuplicateGroup:
    sha256: str
    files: tuple[Placed, ...]

    @property
    def splits(self) -> list[str]:
        return sorted({f.split for f in self.files})

    @property
    def classes(self) -> list[str]:
        return sorted({f.class_dir for f in self.files})

    @property
    def kinds(self) -> list[str]:
        """`cross_label`, `across:<split>+<split>` for each pair of splits, or `within:<split>`."""
        kinds = ["cross_label"] if len(self.classes) > 1 else []
        splits = self.splits
        if len(splits) == 1:
            kinds.append(f"within:{splits[0]}")
        kinds += [f"across:{a}+{b}" for i, a in enumerate(splits) for b in splits[i + 1 :]]
        return kinds

    @property
    def blocking(self) -> bool:
        splits = set(self.splits)
        return len(self.classes) > 1 or any(pair <= splits for pair in BLOCKING_SPLIT_PAIRS)

    def as_dict(self) -> dict:
        return {
            "sha256": self.sha256,
            "kinds": self.kinds,
            "blocking": self.blocking,
            "files": [
                {"split": f.split, "set": f.set_name, "class": f.class_dir, "path": str(f.path)} for f in self.files
            ],
        }


def find_duplicates(files: Iterable[Placed]) -> list[DuplicateGroup]:
    """Every sha256 held by more than one file, blocking groups first, then by hash."""
    by_hash: dict[str, list[Placed]] = defaultdict(list)
    for placed in files:
        by_hash[placed.sha256].append(placed)
    groups = [DuplicateGroup(sha, tuple(group)) for sha, group in by_hash.items() if len(group) > 1]
    return sorted(groups, key=lambda g: (not g.blocking, g.sha256))


def count_kinds(groups: Iterable[DuplicateGroup]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for group in groups:
        for kind in group.kinds:
            counts[kind] += 1
    return dict(sorted(counts.items()))
