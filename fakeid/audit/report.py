"""The audit of a data root (`fakeid.check`): what `check.json` holds, the readable summary, and the verdict.

Blocking (exit 1): a missing or empty class folder, an image in both train and test, an image under both
labels. Warnings (exit 0): real and fake differing in format, size or JPEG quality within a split or test set
(the shortcut a detector can learn instead of the generator), other duplicates, unreadable or non-image files
(training skips them; an empty, undecodable or oversized file is listed as unreadable, never as a duplicate),
categories of the mix or held-out categories missing.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fakeid.audit.duplicates import Placed, count_kinds, find_duplicates
from fakeid.audit.inventory import ClassEntry, FileFacts, probe_all, walk_root
from fakeid.core.errors import FakeidError
from fakeid.data.formats import DIFFERENCE_THRESHOLD, QUALITY_GAP, distribution_gap, shares
from fakeid.data.images import MAX_PIXELS
from fakeid.data.layout import FAKE_DIR, LAYOUT_HINT, REAL_DIR

LISTED = 10  # items of each kind the summary lists; check.json lists all


@dataclass
class Audit:
    root: Path
    counts: list[dict] = field(default_factory=list)
    classes: dict[str, dict] = field(default_factory=dict)
    duplicates: list[dict] = field(default_factory=list)
    unreadable: list[dict] = field(default_factory=list)
    non_image: list[str] = field(default_factory=list)
    mix: dict = field(default_factory=dict)
    blocking: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if self.blocking else 0

    def as_dict(self) -> dict:
        return {
            "root": str(self.root),
            "ok": not self.blocking,
            "blocking": self.blocking,
            "warnings": self.warnings,
            "counts": self.counts,
            "classes": self.classes,
            "duplicates": {
                "groups": len(self.duplicates),
                "by_kind": count_kinds_of(self.duplicates),
                "list": self.duplicates,
            },
            "unreadable": self.unreadable,
            "non_image": self.non_image,
            "mix": self.mix,
        }


def count_kinds_of(groups: list[dict]) -> dict[str, int]:
    return dict(sorted(Counter(kind for g in groups for kind in g["kinds"]).items()))


def scope_of(entry: ClassEntry) -> str:
    """Where real and fake are compared: a whole split for train and val (what one model sees), each test set."""
    return entry.split if entry.split != "test" else f"test/{entry.set_name}"


def class_stats(facts: Sequence[FileFacts]) -> dict:
    readable = [f for f in facts if f.error is None]
    qualities = [f.jpeg_quality for f in readable if f.jpeg_quality is not None]
    return {
        "n": len(facts),
        "formats": dict(Counter(f.format or "unknown" for f in readable)),
        "sizes": dict(Counter(f"{f.width}x{f.height}" for f in readable)),
        "modes": dict(Counter(f.mode for f in readable)),
        "jpeg_quality": (
            {"median": statistics.median(qualities), "min": min(qualities), "max": max(qualities)}
            if qualities
            else None
        ),
    }


def compare_classes(scope: str, real: dict, fake: dict) -> list[str]:
    """Warnings where the real and fake class of one scope differ (format, size, JPEG quality)."""
    found = []
    for key, what in (("formats", "format"), ("sizes", "size")):
        if distribution_gap(real[key], fake[key]) > DIFFERENCE_THRESHOLD:
            found.append(
                f"{scope}: real and fake differ in {what} (real: {shares(real[key])}; fake: {shares(fake[key])})"
            )
    quality_real, quality_fake = real["jpeg_quality"], fake["jpeg_quality"]
    if quality_real and quality_fake and abs(quality_real["median"] - quality_fake["median"]) > QUALITY_GAP:
        found.append(
            f"{scope}: real and fake differ in JPEG quality (median real {quality_real['median']}, "
            f"fake {quality_fake['median']})"
        )
    return found


def mix_report(
    entries: Sequence[ClassEntry], categories: Sequence[str], holdout: Sequence[str], train_generator: str
) -> dict:
    train = sorted({e.set_name for e in entries if e.split == "train"})
    val = {e.set_name for e in entries if e.split == "val"}
    seen_tests = {e.set_name for e in entries if e.split == "test"}
    test_categories = sorted(name.split("/", 1)[1] for name in seen_tests if name.startswith(f"{train_generator}/"))
    return {
        "categories": list(categories),
        "present_in_train": [c for c in categories if c in train],
        "missing_from_train": [c for c in categories if c not in train],
        "missing_from_val": [c for c in categories if val and c in train and c not in val],
        "holdout_missing_from_test": [c for c in holdout if c not in test_categories],
        "train_generator": train_generator,
    }


def audit(
    root: Path,
    *,
    categories: Sequence[str],
    holdout: Sequence[str],
    train_generator: str,
    decode: bool = True,
    workers: int = 1,
    max_pixels: int = MAX_PIXELS,
) -> Audit:
    """Inventory, probe and judge every file under ROOT (see the module docstring)."""
    if not root.is_dir():
        raise FakeidError(f"root={root} does not exist ({LAYOUT_HINT})")
    entries = walk_root(root)
    if not entries:
        raise FakeidError(f"root={root} holds none of train/, val/, test/ ({LAYOUT_HINT})")
    paths = [p for e in entries for p in e.images]
    facts = dict(zip(paths, probe_all(paths, decode, workers, max_pixels), strict=True))
    result = Audit(root)
    by_scope: dict[str, dict[str, list[FileFacts]]] = {}
    for entry in entries:
        entry_facts = [facts[p] for p in entry.images]
        bad = [(p, facts[p].error) for p in entry.images if facts[p].error]
        result.counts.append(
            {
                "split": entry.split,
                "set": entry.set_name,
                "class": entry.class_dir,
                "images": len(entry.images),
                "unreadable": len(bad),
                "non_image": len(entry.non_image),
                "problem": entry.problem,
            }
        )
        if entry.problem:
            result.blocking.append(f"{entry.path}: class folder {entry.problem}")
        result.unreadable += [{"path": str(p), "error": error} for p, error in bad]
        result.non_image += [str(p) for p in entry.non_image]
        by_scope.setdefault(scope_of(entry), {}).setdefault(entry.class_dir, []).extend(entry_facts)
    for scope, per_class in by_scope.items():
        stats = {class_dir: class_stats(files) for class_dir, files in per_class.items()}
        result.classes[scope] = stats
        if all(s["n"] for s in stats.values()) and len(stats) == 2:
            result.warnings += compare_classes(scope, *stats.values())
    # a file training skips (empty, undecodable, over the pixel budget) is reported as unreadable, not as a
    # duplicate: every empty file has the same hash, and no skipped file can leak between splits or labels
    placed = [
        Placed(e.split, e.set_name, e.class_dir, p, facts[p].sha256)
        for e in entries
        for p in e.images
        if not facts[p].error
    ]
    groups = find_duplicates(placed)
    result.duplicates = [g.as_dict() for g in groups]
    add_duplicate_verdicts(result, groups)
    if result.unreadable:
        result.warnings.append(f"{len(result.unreadable)} unreadable files (training skips them; see 'unreadable')")
    if result.non_image:
        result.warnings.append(f"{len(result.non_image)} non-image files in class folders (training skips them)")
    result.mix = mix_report(entries, categories, holdout, train_generator)
    if result.mix["missing_from_train"]:
        result.warnings.append(f"mix categories missing from train/: {', '.join(result.mix['missing_from_train'])}")
    if result.mix["missing_from_val"]:
        result.warnings.append(
            f"val/ exists but lacks {', '.join(result.mix['missing_from_val'])}: a mix with "
            "these categories stops (add them to val/, or remove val/ to split train)"
        )
    if result.mix["holdout_missing_from_test"]:
        result.warnings.append(
            f"held-out categories missing from test/{train_generator}/: "
            f"{', '.join(result.mix['holdout_missing_from_test'])}"
        )
    return result


def add_duplicate_verdicts(result: Audit, groups: list) -> None:
    kinds = count_kinds(groups)
    cross_label = kinds.get("cross_label", 0)
    train_test = sum(1 for g in groups if {"train", "test"} <= set(g.splits))
    if train_test:
        result.blocking.append(f"{train_test} images are in both train and test (see 'duplicates')")
    if cross_label:
        result.blocking.append(f"{cross_label} images are under both {REAL_DIR} and {FAKE_DIR} (see 'duplicates')")
    others = sum(1 for g in groups if not g.blocking)
    if others:
        by_kind = ", ".join(f"{kind} {n}" for kind, n in kinds.items())
        result.warnings.append(f"{others} other groups of exact duplicates ({by_kind})")


def summary(result: Audit) -> str:
    """The readable summary `fakeid.check` prints."""
    lines = [f"fakeid.check {result.root}", "images per class (unreadable, non-image in brackets when any):"]
    rows: dict[tuple[str, str], list[str]] = {}
    for count in result.counts:
        extra = [f"{count[k]} {k.replace('_', '-')}" for k in ("unreadable", "non_image") if count[k]]
        text = f"{count['class']} {count['problem'] or count['images']}" + (f" ({', '.join(extra)})" if extra else "")
        rows.setdefault((count["split"], count["set"]), []).append(text)
    lines += [f"  {split:<5} {name:<28} {'  '.join(texts)}" for (split, name), texts in rows.items()]
    lines.append("formats, sizes, JPEG quality per class:")
    for scope, stats in result.classes.items():
        lines.append(f"  {scope}: " + " | ".join(f"{c}: {describe_class(s)}" for c, s in stats.items()))
    lines.append(f"duplicates: {len(result.duplicates)} groups of identical files")
    for group in result.duplicates[:LISTED]:
        where = " = ".join(f"{f['split']}/{f['set']}/{f['class']}/{Path(f['path']).name}" for f in group["files"][:4])
        lines.append(f"  {'BLOCKING ' if group['blocking'] else ''}{', '.join(group['kinds'])}: {where}")
    lines.append(f"unreadable: {len(result.unreadable)} files")
    lines += [f"  {u['path']}: {u['error']}" for u in result.unreadable[:LISTED]]
    mix = result.mix
    lines.append(
        f"mix: present in train/ {', '.join(mix['present_in_train']) or 'none'}; "
        f"missing {', '.join(mix['missing_from_train']) or 'none'}"
    )
    lines += [f"warning: {w}" for w in result.warnings]
    lines += [f"BLOCKING: {b}" for b in result.blocking]
    verdict = "blocking problems found" if result.blocking else "no blocking problem"
    lines.append(f"result: {verdict} ({len(result.blocking)} blocking, {len(result.warnings)} warnings)")
    return "\n".join(lines)


def describe_class(stats: dict) -> str:
    if not stats["n"]:
        return "no images"
    quality = stats["jpeg_quality"]
    text = f"{shares(stats['formats']) or 'unreadable'}; {shares(stats['sizes'])}"
    return text + (f"; JPEG q {quality['median']:g} ({quality['min']}-{quality['max']})" if quality else "")
