"""What an integer, a number or a boolean within a range is, in words (fakeid.core.values): the vocabulary of
every refusal of the schema's generic check."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fakeid.core.values import boolean_problem, integer_problem, interval_text, number_problem, shown


@pytest.mark.parametrize(
    "value, low, high, expected",
    [
        (3, None, None, None),
        (np.int64(2), 0, None, None),
        ("x", None, None, "expected an integer"),
        (True, None, None, "expected an integer"),  # a bool is no count
        (3.0, None, None, "expected an integer"),
        (None, None, None, "expected an integer"),
        (0, 1, None, "expected an integer of at least 1"),
        (9, 0, 8, "expected an integer from 0 to 8"),
        (9, None, 8, "expected an integer of at most 8"),
    ],
)
def test_an_integer_is_typed_and_within_its_bounds(value, low, high, expected):
    assert integer_problem(value, low, high) == expected


def test_numbers_are_finite_and_within_their_interval():
    assert number_problem(0.5, 0.0, 1.0) is None and number_problem(1, 0.0, 1.0) is None
    assert number_problem("0.5", 0.0, 1.0) == "expected a number in [0.0, 1.0]"
    assert number_problem(0.0, 0.0, low_open=True) == "expected a number in (0.0, inf)"
    assert number_problem(1.0, 0.0, 1.0, high_open=True) == "expected a number in [0.0, 1.0)"
    assert (
        number_problem(math.nan) == "expected a finite number"
        and number_problem(math.inf) == "expected a finite number"
    )
    assert number_problem(False) == "expected a number" and number_problem("abc") == "expected a number"
    assert interval_text(0, 1e6) == "[0, 1000000.0]" and interval_text(0, math.inf) == "[0, inf)"


def test_a_boolean_is_true_or_false_not_its_text():
    assert boolean_problem(True) is None and boolean_problem("true") == "expected true or false"


@pytest.mark.parametrize("text", ["\n", "1\n2", "\t", "a\x00b"])
def test_a_value_with_a_newline_or_control_character_is_quoted_so_the_refusal_stays_one_line(text):
    """The property test of tests/unit/test_properties.py found `perturb.sigma='\\n'` printed over two lines."""
    assert shown(text) == repr(text) and "\n" not in shown(text)
    assert shown(None) == "null" and shown(3) == "3"
