"""The one set of typed value checks (fakeid.core.values): what each accepts, and the line each refusal is."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fakeid.core.errors import FakeidError
from fakeid.core.values import (
    as_bool,
    as_float,
    as_int,
    as_interval,
    in_range,
    integer_problem,
    interval_text,
    number_problem,
)


def test_integers_come_typed_or_as_text():
    assert as_int("seed", 3) == 3 and as_int("seed", " 7") == 7 and as_int("seed", np.int64(2)) == 2
    assert as_int("n", 5, low=1, high=5) == 5


@pytest.mark.parametrize(
    "value, low, high, message",
    [
        ("x", None, None, "seed=x: expected an integer$"),
        (True, None, None, "seed=True: expected an integer$"),  # a bool is no count
        (3.0, None, None, "seed=3.0: expected an integer$"),
        ("3.5", None, None, "seed=3.5: expected an integer$"),
        (None, None, None, "seed=null: expected an integer$"),
        (0, 1, None, "seed=0: expected an integer of at least 1$"),
        (9, 0, 8, "seed=9: expected an integer from 0 to 8$"),
        (9, None, 8, "seed=9: expected an integer of at most 8$"),
    ],
)
def test_an_integer_refused_names_the_key_and_what_was_expected(value, low, high, message):
    with pytest.raises(FakeidError, match=message):
        as_int("seed", value, low, high)


def test_numbers_are_finite_and_within_their_interval():
    assert as_float("rate", "0.5") == 0.5 and as_float("rate", 1) == 1.0
    assert as_float("rate", 0.0, 0.0, 1.0, high_open=True) == 0.0
    for value, message in [
        ("abc", "rate=abc: expected a number$"),
        (math.nan, "rate=nan: expected a finite number$"),
        (math.inf, "rate=inf: expected a finite number$"),
        (False, "rate=False: expected a number$"),
    ]:
        with pytest.raises(FakeidError, match=message):
            as_float("rate", value)
    with pytest.raises(FakeidError, match=r"rate=1.0: expected a number in \[0.0, 1.0\)$"):
        as_float("rate", 1.0, 0.0, 1.0, high_open=True)


def test_the_problems_judge_typed_values_only():
    assert integer_problem("3") == "expected an integer" and integer_problem(3) is None
    assert number_problem("0.5", 0.0, 1.0) == "expected a number in [0.0, 1.0]"
    assert number_problem(0.0, 0.0, low_open=True) == "expected a number in (0.0, inf)"
    assert interval_text(0, 1e6) == "[0, 1000000.0]" and interval_text(0, math.inf) == "[0, inf)"


def test_booleans_come_typed_or_as_text():
    assert as_bool("cache", True) is True and as_bool("cache", "False") is False
    with pytest.raises(FakeidError, match="cache=maybe: expected true or false$"):
        as_bool("cache", "maybe")


def test_a_parameter_out_of_its_range_says_so():
    assert in_range("perturb.quality", 75, 1, 100, whole=True) == 75.0
    with pytest.raises(FakeidError, match=r"^p.x=2 is out of range for jpeg: expected a probability in \[0, 1\]$"):
        in_range("p.x", 2, 0, 1, what="a probability", context=" for jpeg")
    with pytest.raises(FakeidError, match=r"^p.x=0 is out of range: expected a number in \(0, 1\]$"):
        in_range("p.x", 0, 0, 1, low_open=True)
    with pytest.raises(FakeidError, match=r"^p.q=75.5 must be a whole number in \[1, 100\]$"):
        in_range("p.q", 75.5, 1, 100, whole=True)
    with pytest.raises(FakeidError, match="^p.x=nan: expected a finite number$"):
        in_range("p.x", math.nan, 0, 1)


def test_an_interval_is_ordered_within_bounds():
    assert as_interval("a.s", 0.5, 0, 1, low_open=True) == [0.5, 0.5]
    assert as_interval("a.q", [30, 90.0], 1, 100, whole=True) == [30, 90]
    for value, message in [
        ([3, 1], r"a.s=\[3, 1\] is inverted: expected \[low, high\] with low <= high, within \[0, 5\]"),
        ([0, 6], r"a.s=\[0, 6\] is out of range: expected both ends within \[0, 5\]"),
        ([0.5, 1.5, 2], r"a.s=\[0.5, 1.5, 2\]: expected an interval \[low, high\] within \[0, 5\]"),
        ([1, math.inf], "a.s=inf: expected a finite number"),
        ([1.5, 2], r"a.s=\[1.5, 2\]: expected whole numbers within \[0, 5\]"),
    ]:
        with pytest.raises(FakeidError, match=message):
            as_interval("a.s", value, 0, 5, whole=True)


@pytest.mark.parametrize("text", ["\n", "1\n2", "\t", "a\x00b"])
def test_a_value_with_a_newline_or_control_character_is_quoted_so_the_refusal_stays_one_line(text):
    """The property test of tests/unit/test_properties.py found `perturb.sigma='\\n'` printed over two lines."""
    for check in (lambda: as_float("p.sigma", text), lambda: as_int("seed", text), lambda: in_range("p.x", text, 0, 1)):
        with pytest.raises(FakeidError) as refused:
            check()
        message = str(refused.value)
        assert "\n" not in message and repr(text) in message, message
