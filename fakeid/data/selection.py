"""Which files a run uses: the training mix, the validation split and the capped test sets.

Everything here is decided before any training, written beside the run (`file_lists.csv`) and
summarised in `metrics.json`, so a run can be audited and repeated. Seeds:
- the training sample follows the run's `seed` (a different seed draws different images);
- validation and test samples follow `split_seed` (default 0), so every run of a sweep is validated
  and tested on the same images.
A file that does not decode is skipped, counted and listed, and the next file of the same seeded order
takes its place, so the budget holds; `strict` turns the first such file into an error. A file whose header
claims more pixels than `data.max_pixels` is skipped the same way, before anything decodes it
(`fakeid.data.images.header_check`).
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from fakeid.core.errors import FakeidError, check_choice
from fakeid.data.datasets import ErrorCheck
from fakeid.data.images import MAX_PIXELS, header_check
from fakeid.data.layout import ClassFolder, ImageSet, category_sets, discover_test_sets, has_split
from fakeid.data.mix import (
    categories_in_mix,
    even_shares,
    quotas,
    reserve_validation,
    seeded_order,
    take,
    validation_reserve,
)


@dataclass
class Selection:
    """The files of one split or test set, with what was skipped and what fell short."""

    name: str
    paths: list[Path] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    shortfall: dict[str, int] = field(default_factory=dict)  # "<category>/<class>" -> images missing
    enlarged: set[Path] = field(default_factory=set)  # used, but smaller than image_size (data.small_images)

    def count(self, label: int) -> int:
        return sum(1 for value in self.labels if value == label)

    def enlarged_per_class(self) -> dict[str, int]:
        return {
            name: sum(1 for p, lab in zip(self.paths, self.labels, strict=True) if lab == label and p in self.enlarged)
            for name, label in (("real", 0), ("fake", 1))
        }

    def enlarged_warning(self) -> str | None:
        """One line when real and fake images are enlarged at different rates (a resampling cue)."""
        counts = self.enlarged_per_class()
        rates = [counts[name] / max(1, self.count(label)) for name, label in (("real", 0), ("fake", 1))]
        if abs(rates[0] - rates[1]) <= 0.01:
            return None
        return (
            f"{self.name}: {counts['real']} real and {counts['fake']} fake images are smaller than "
            f"data.image_size and were enlarged ({rates[0]:.0%} vs {rates[1]:.0%}): a resampling cue "
            "(data.small_images=skip leaves them out)"
        )

    def summary(self) -> dict:
        return {
            "n_real": self.count(0),
            "n_fake": self.count(1),
            "n_skipped": len(self.skipped),
            "shortfall": dict(self.shortfall),
            "n_enlarged": self.enlarged_per_class(),
            "formats": dict(
                Counter(
                    f"{('real', 'fake')[lab]}:{p.suffix.lower().lstrip('.')}"
                    for p, lab in zip(self.paths, self.labels, strict=True)
                )
            ),
        }


@dataclass
class TestSelection(Selection):
    generator: str | None = None
    category: str | None = None


@dataclass
class DataPlan:
    categories_used: list[str]
    train: Selection
    val: Selection
    tests: list[TestSelection]

    def summary(self) -> dict:
        return {
            "train": self.train.summary(),
            "val": self.val.summary(),
            "test": {t.name: t.summary() for t in self.tests},
        }

    def write_file_lists(self, path: Path) -> None:
        write_file_lists(path, [("train", self.train), ("val", self.val)] + [("test", t) for t in self.tests])


def write_file_lists(path: Path, selections: Sequence[tuple[str, Selection]]) -> None:
    """One CSV row per file considered: split, set, label, path, status (`used` or `skipped: <why>`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["split", "set", "label", "path", "status"])
        for split, selection in selections:
            for file, label in zip(selection.paths, selection.labels, strict=True):
                status = "used (enlarged: smaller than image_size)" if file in selection.enlarged else "used"
                writer.writerow([split, selection.name, label, file, status])
            for file, reason in selection.skipped:
                writer.writerow([split, selection.name, "", file, f"skipped: {reason}"])


SMALL_IMAGE_CHOICES = ("enlarge", "skip", "error")


def pixel_size(path: Path) -> tuple[int, int]:
    """Width and height from the file's header (nothing is decoded)."""
    with Image.open(path) as image:
        return image.size


class Selector:
    """Draws quotas from class folders, replacing files over the pixel budget `max_pixels` (by their header,
    never decoded), files that fail `error_check`, and small images when `small_images=skip` (`enlarge` uses
    and marks them, `error` stops at the first one)."""

    def __init__(
        self,
        error_check: ErrorCheck,
        strict: bool,
        allow_shortfall: bool,
        image_size: int = 0,
        small_images: str = "enlarge",
        max_pixels: int = MAX_PIXELS,
    ):
        check_choice("data.small_images", small_images, SMALL_IMAGE_CHOICES)
        self.max_pixels = max_pixels
        self.error_check = error_check
        self.strict = strict
        self.allow_shortfall = allow_shortfall
        self.image_size = image_size
        self.small_images = small_images

    def note_non_images(self, into: Selection, folder: ClassFolder) -> None:
        if self.strict and (folder.non_image or folder.broken):
            raise FakeidError(f"{(folder.non_image + folder.broken)[0]} is not an image file (data.strict=true)")
        into.skipped += [(extra, "not an image file") for extra in folder.non_image]
        into.skipped += [(link, "broken or looping symbolic link") for link in folder.broken]

    def within_budget(self, into: Selection, files: Sequence[Path]) -> dict[Path, tuple[int, int] | None]:
        """`files` without those over the pixel budget, which are skipped (an error under `strict`), each with
        its size by the header (None when the header cannot be read: decoding reports it)."""
        kept = {}
        for file in files:
            size, reason = header_check(file, self.max_pixels, "data.max_pixels")
            if reason is None:
                kept[file] = size
            elif self.strict:
                raise FakeidError(f"{file} is {reason} (data.strict=true)")
            else:
                into.skipped.append((file, reason))
        return kept

    def usable(self, into: Selection, file: Path, size: tuple[int, int] | None = None) -> bool:
        """Whether a file that decodes may be used under `small_images`; marks the ones that get enlarged.
        `size`: its header's, when already read."""
        width, height = size or pixel_size(file)
        if min(width, height) >= self.image_size:
            return True
        if self.small_images == "error":
            raise FakeidError(
                f"{file} is {width}x{height}, smaller than data.image_size={self.image_size} "
                "(data.small_images=error; `enlarge` or `skip` allow it)"
            )
        if self.small_images == "skip":
            into.skipped.append((file, f"smaller than data.image_size ({width}x{height})"))
            return False
        into.enlarged.add(file)
        return True

    def draw(
        self,
        into: Selection,
        folder: ClassFolder,
        ordered: Sequence[Path],
        quota: int,
        key: str,
        cap: bool = False,
        record_shortfall: bool = False,
    ) -> None:
        """Add `quota` readable files of `ordered` (a seeded order of folder's images) to `into`.

        A budget (`cap=False`) must be met, or fall short only when allowed and recorded; a cap takes what exists
        (and records what it lacks when `record_shortfall`).
        """
        chosen: list[Path] = []
        position = 0
        while len(chosen) < quota and position < len(ordered):
            batch = ordered[position : position + quota - len(chosen)]
            position += len(batch)
            sizes = self.within_budget(into, batch)
            batch = list(sizes)
            for file, error in zip(batch, self.error_check(batch), strict=True):
                if error is None:
                    if self.usable(into, file, sizes[file]):
                        chosen.append(file)
                elif self.strict:
                    raise FakeidError(f"{file} cannot be decoded ({error}); data.strict=true")
                else:
                    into.skipped.append((file, f"unreadable: {error}"))
        chosen = take(chosen, quota, where=folder.path, allow_shortfall=cap or self.allow_shortfall)
        if len(chosen) < quota and (not cap or record_shortfall):
            into.shortfall[key] = quota - len(chosen)
        into.paths += chosen
        into.labels += [folder.label] * len(chosen)


def plan_data(
    root: Path,
    *,
    categories: Sequence[str],
    num_categories: int,
    holdout: Sequence[str],
    train_generator: str,
    train_per_class: int,
    val_per_class: int,
    test_per_class: int,
    seed: int,
    split_seed: int,
    selector: Selector,
) -> DataPlan:
    """Choose every file of the run (see the module docstring)."""
    used = categories_in_mix(categories, num_categories, holdout)
    train_sets = category_sets(root, "train", used, train_generator)
    val_sets = category_sets(root, "val", used, train_generator) if has_split(root, "val") else None
    train, val = Selection("train"), Selection("val")
    shares = zip(used, quotas(train_per_class, len(used)), even_shares(val_per_class, len(used)), strict=True)
    for position, (category, train_quota, val_quota) in enumerate(shares):
        for folder in (train_sets[category].real, train_sets[category].fake):
            key = f"{category}/{folder.path.name}"
            selector.note_non_images(train, folder)
            if val_sets is None:
                val_folder = folder
                # the same files of each category are reserved for validation at every n (and never trained
                # on), so validation has the same size at every n; the train part is reshuffled by the run seed
                reserve = validation_reserve(val_per_class, position, len(categories))
                train_pool, val_pool = reserve_validation(folder.images, reserve, split_seed, key)
            else:
                val_folder = (val_sets[category].real, val_sets[category].fake)[folder.label]
                selector.note_non_images(val, val_folder)
                train_pool, val_pool = list(folder.images), seeded_order(val_folder.images, "val", split_seed, key)
            selector.draw(train, folder, seeded_order(train_pool, "train", seed, key), train_quota, key)
            # validation quotas are caps like the test ones: a small val split is not an error, but recorded
            selector.draw(val, val_folder, val_pool, val_quota, key, cap=True, record_shortfall=True)
    return DataPlan(
        used,
        train,
        val,
        plan_tests(discover_test_sets(root), test_per_class=test_per_class, split_seed=split_seed, selector=selector),
    )


def plan_tests(
    test_sets: Sequence[ImageSet], *, test_per_class: int, split_seed: int, selector: Selector
) -> list[TestSelection]:
    """The capped, seeded sample of each test set: the same files for every run and every evaluation with
    the same `split_seed` and `test_per_class` (it depends on nothing else)."""
    tests = []
    for test_set in test_sets:
        selection = TestSelection(test_set.name, generator=test_set.generator, category=test_set.category)
        for folder in (test_set.real, test_set.fake):
            key = f"{test_set.name}/{folder.path.name}"
            ordered = seeded_order(folder.images, "test", split_seed, key)
            selector.note_non_images(selection, folder)
            quota = min(test_per_class, len(folder.images))  # a cap, not a budget: smaller sets are fine
            selector.draw(selection, folder, ordered, quota, key, cap=True)
        tests.append(selection)
    return tests
