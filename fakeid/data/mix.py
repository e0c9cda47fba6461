"""The category mix, the study's independent variable: which categories train, and how many images each.

The training budget is fixed per class (`train_per_class` images in total across the mix), split evenly
over the n categories. The remainder goes one image each to the earliest categories of the mixing
order, so the split is deterministic and the total is exact for every n. The paper's mixing order is
`fakeid.data.layout.PAPER_MIXING_ORDER`.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path

from fakeid.core.errors import FakeidError


def categories_in_mix(categories: Sequence[str], num_categories: int, holdout: Sequence[str]) -> list[str]:
    """The first `num_categories` of the mixing order; the held-out categories may never appear in it."""
    banned = sorted(set(categories) & set(holdout))
    if banned:
        raise FakeidError(
            f"data.categories lists held-out {', '.join(banned)} (data.holdout): "
            "a held-out category can never be trained on"
        )
    if len(set(categories)) != len(categories):
        raise FakeidError(f"data.categories has duplicates: {list(categories)}")
    if not 1 <= num_categories <= len(categories):
        raise FakeidError(
            f"data.num_categories={num_categories} is outside 1..{len(categories)} (the length of data.categories)"
        )
    return list(categories[:num_categories])


def quotas(total: int, num_categories: int) -> list[int]:
    """Split a training budget over the categories; every category must get at least one image."""
    if total < num_categories:
        raise FakeidError(f"a budget of {total} images per class cannot cover {num_categories} categories")
    return even_shares(total, num_categories)


def even_shares(total: int, num_categories: int) -> list[int]:
    """Equal shares of `total`, the remainder one each to the earliest categories."""
    share, remainder = divmod(total, num_categories)
    return [share + (index < remainder) for index in range(num_categories)]


def validation_reserve(val_per_class: int, position: int, mix_length: int) -> int:
    """How many files the category at `position` (0-based) of the mixing order keeps for validation: the most
    it ever supplies, at any number of categories that includes it (at n = position + 1 it supplies the most).
    Reserving it for every n keeps the validation set the same size for every n and training samples nested."""
    return max(even_shares(val_per_class, n)[position] for n in range(position + 1, mix_length + 1))


def seeded_order(files: Sequence[Path], *seed_parts: object) -> list[Path]:
    """A reproducible shuffle of `files` keyed by every part of the seed (split, category, class, seed)."""
    order = list(files)
    random.Random(":".join(map(str, seed_parts))).shuffle(order)
    return order


def take(files: Sequence[Path], quota: int, *, where: Path, allow_shortfall: bool) -> list[Path]:
    """The first `quota` files of an already shuffled list, or all of them when short and allowed."""
    if len(files) >= quota:
        return list(files[:quota])
    if not allow_shortfall:
        raise FakeidError(
            f"{where} has {len(files)} usable images, fewer than its quota of {quota} "
            "(add images, lower the budget, or set data.allow_shortfall=true to use what exists)"
        )
    return list(files)


def reserve_validation(files: Sequence[Path], reserved: int, *seed_parts: object) -> tuple[list[Path], list[Path]]:
    """Split a training folder into (train, val): the first `reserved` files of a seeded order (the same for
    every run with the same split_seed, whatever the number of categories) are kept for validation, and at
    least one file stays for training."""
    order = seeded_order(files, "val-split", *seed_parts)
    n_val = min(reserved, len(order) - 1)
    return order[n_val:], order[:n_val]
