"""Quota arithmetic, holdout enforcement and seeded sampling: the study's independent variable."""

from pathlib import Path

import pytest

from fakeid.core.errors import FakeidError
from fakeid.data.mix import categories_in_mix, quotas, reserve_validation, seeded_order, take
from tests.helpers.layouts import MIXING_ORDER


@pytest.mark.parametrize("n", range(1, 11))
def test_budget_is_fixed_and_split_evenly_for_every_n(n):
    shares = quotas(25000, n)
    assert len(shares) == n and sum(shares) == 25000
    assert max(shares) - min(shares) <= 1


def test_remainder_goes_to_the_earliest_categories():
    assert quotas(10, 3) == [4, 3, 3]
    assert quotas(25000, 3) == [8334, 8333, 8333]
    assert quotas(11, 4) == [3, 3, 3, 2]


def test_budget_smaller_than_the_number_of_categories_is_an_error():
    with pytest.raises(FakeidError, match="cannot cover"):
        quotas(2, 3)


def test_mix_is_a_prefix_of_the_mixing_order():
    assert categories_in_mix(MIXING_ORDER, 3, ["sheep"]) == ["cat", "church_outdoor", "train"]
    assert categories_in_mix(MIXING_ORDER, 10, ["sheep"]) == MIXING_ORDER


def test_holdout_can_never_enter_the_mix():
    with pytest.raises(FakeidError, match="held-out sheep"):
        categories_in_mix(MIXING_ORDER[:5] + ["sheep"], 2, ["sheep"])


@pytest.mark.parametrize("n", [0, 11, -1])
def test_num_categories_outside_the_order_is_an_error(n):
    with pytest.raises(FakeidError, match=f"data.num_categories={n} is outside 1..10"):
        categories_in_mix(MIXING_ORDER, n, ["sheep"])


def test_seeded_order_is_reproducible_and_depends_on_every_seed_part():
    files = [Path(f"{i}.png") for i in range(50)]
    assert seeded_order(files, "train", 1, "cat") == seeded_order(files, "train", 1, "cat")
    assert seeded_order(files, "train", 1, "cat") != seeded_order(files, "train", 2, "cat")
    assert seeded_order(files, "train", 1, "cat") != seeded_order(files, "train", 1, "bus")
    assert sorted(seeded_order(files, "x")) == sorted(files)


def test_shortfall_is_an_error_unless_allowed():
    files = [Path(f"{i}.png") for i in range(3)]
    with pytest.raises(FakeidError, match="fewer than its quota of 5.*allow_shortfall"):
        take(files, 5, where=Path("ROOT/train/cat/0_real"), allow_shortfall=False)
    assert take(files, 5, where=Path("x"), allow_shortfall=True) == files


def test_validation_reserve_is_disjoint_complete_and_independent_of_the_mix():
    files = [Path(f"{i}.png") for i in range(20)]
    train, val = reserve_validation(files, 5, 0, "cat/0_real")
    assert len(val) == 5 and not set(train) & set(val) and set(train) | set(val) == set(files)
    assert reserve_validation(files, 5, 0, "cat/0_real") == (train, val)
    assert reserve_validation(files, 50, 0, "cat/0_real")[0], "at least one file stays for training"


def test_validation_has_the_same_size_for_every_number_of_categories():
    from fakeid.data.mix import even_shares, validation_reserve

    for total in (4, 60, 2000):
        reserves = [validation_reserve(total, k, 10) for k in range(10)]
        for n in range(1, 11):
            shares = even_shares(total, n)
            assert sum(shares) == total and all(share <= reserves[k] for k, share in enumerate(shares))
