"""Typed values and their ranges, checked one way for every command, each refusal one line naming the key.

- `integer_problem`, `number_problem`, `boolean_problem`: what was expected of a value as a composed config
  holds it (typed: the string '3' is not an integer), or None when it is fine; for callers that write the
  line themselves (`fakeid.training.checks` adds what the key means).
- `as_int`, `as_float`, `as_bool`: the value, also from its text (Hydra hands `seed=x` on as the string 'x'),
  or `KEY=VALUE: expected ...` (a bool is not a number, nor 3.5 an integer, nor nan or inf a number).
- `in_range`, `as_interval`: a number or an interval `[low, high]` within bounds, strict types, refused as
  `KEY=VALUE is out of range: expected ...` (the augmentation and perturbation parameters).

Intervals read as written: `[0, 1]`, `(0.0, inf)`; each end shown as the caller gave it (0 or 0.0).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

from fakeid.core.errors import FakeidError


def is_real(value: object) -> bool:
    """An int or float, numpy's too, finite or not; bools are not numbers here (`true` for a count is a
    mistake, not 1)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def is_number(value: object) -> bool:
    """A finite `is_real` number."""
    return is_real(value) and math.isfinite(value)  # type: ignore[arg-type]  # is_real: a real number


def interval_text(low: float, high: float | None, *, low_open: bool = False, high_open: bool = False) -> str:
    """`[low, high]` with `(` / `)` for an open end; a missing or infinite high end is `inf)`."""
    infinite = high is None or (isinstance(high, float) and math.isinf(high))
    right = "inf)" if infinite else f"{high}{')' if high_open else ']'}"
    return f"{'(' if low_open else '['}{low}, {right}"


def shown(value: object) -> str:
    """A value as the command line writes it: null for None; a text with a newline, tab or other unprintable
    character quoted (`'\\n'`), so that the refusal stays one line."""
    if isinstance(value, str) and not value.isprintable():
        return repr(value)
    return "null" if value is None else str(value)


# ----------------------------------------------------------------------------- problems (typed values)
def integer_problem(value: object, low: int | None = None, high: int | None = None) -> str | None:
    """None for an int (not a bool) from `low` to `high` (either end open when None); else what was expected."""
    if (
        isinstance(value, numbers.Integral)
        and not isinstance(value, bool)
        and (low is None or int(value) >= low)
        and (high is None or int(value) <= high)
    ):
        return None
    if low is not None and high is not None:
        return f"expected an integer from {low} to {high}"
    if low is not None:
        return f"expected an integer of at least {low}"
    return f"expected an integer of at most {high}" if high is not None else "expected an integer"


def number_problem(
    value: object,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> str | None:
    """None for a finite number in the interval (unbounded where `low` and `high` are None); else what was
    expected: `a number`, `a finite number` (nan, inf), or `a number in [low, high)`."""
    bounded = low is not None or high is not None
    if is_number(value):
        below = low is not None and (value <= low if low_open else value < low)  # type: ignore[operator]  # a number
        above = high is not None and (value >= high if high_open else value > high)  # type: ignore[operator]  # a number
        if not (below or above):
            return None
    if bounded:
        start = low if low is not None else -math.inf
        return f"expected a number in {interval_text(start, high, low_open=low_open, high_open=high_open)}"
    return "expected a finite number" if is_real(value) else "expected a number"


def boolean_problem(value: object) -> str | None:
    return None if isinstance(value, bool) else "expected true or false"


# ----------------------------------------------------------------------------- values from a config or its text
def _refuse(key: str, value: object, problem: str | None) -> None:
    if problem:
        raise FakeidError(f"{key}={shown(value)}: {problem}")


def _from_text(value: object, parse: Callable[[str], Any]) -> Any:
    """`parse(value)` for a text such as Hydra hands on ('3', ' 0.5'); the value itself when it is not text or
    does not parse (the check that follows then names what was expected)."""
    if isinstance(value, str):
        try:
            return parse(value.strip())
        except ValueError:
            pass
    return value


def as_int(key: str, value: object, low: int | None = None, high: int | None = None) -> int:
    """An integer from `low` to `high`, also from its text ('3'); `KEY=VALUE: expected an integer ...` else."""
    number = _from_text(value, int)
    _refuse(key, value, integer_problem(number, low, high))
    return int(number)


def as_float(
    key: str,
    value: object,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """A finite number in the interval, also from its text ('0.5'); `KEY=VALUE: expected a number ...` else."""
    number = _from_text(value, float)
    _refuse(key, value, number_problem(number, low, high, low_open=low_open, high_open=high_open))
    return float(number)


def as_bool(key: str, value: object) -> bool:
    """true or false, also as text in any case ('True'); `KEY=VALUE: expected true or false` else."""
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    _refuse(key, value, boolean_problem(value))
    return bool(value)


# ----------------------------------------------------------------------------- parameters within bounds
def in_range(
    key: str,
    value: object,
    low: float,
    high: float,
    *,
    low_open: bool = False,
    what: str = "a number",
    context: str = "",
    whole: bool = False,
) -> float:
    """A finite number (strict type) from `low` to `high` (`low` excluded when `low_open`), and with `whole`
    a whole one: `KEY=VALUE: expected a finite number`, `KEY=VALUE is out of range{context}: expected {what} in
    [low, high]` or `KEY=VALUE must be a whole number in [low, high]`."""
    if not is_number(value):
        _refuse(key, value, number_problem(value))
    bounds = interval_text(low, high, low_open=low_open)
    if number_problem(value, low, high, low_open=low_open) is not None:
        raise FakeidError(f"{key}={shown(value)} is out of range{context}: expected {what} in {bounds}")
    if whole and value != int(value):  # type: ignore[call-overload]  # is_number above: a real number
        raise FakeidError(f"{key}={shown(value)} must be a whole number in {bounds}")
    return float(value)  # type: ignore[arg-type]  # is_number above: a real number


def as_interval(key: str, value: object, low: float, high: float, *, low_open: bool = False, whole: bool = False):
    """[a, b] with low <= a <= b <= high (low < a when `low_open`), whole numbers with `whole` (returned as
    ints); a single number means [a, a]. Each refusal names the key, the value and the bounds."""
    bounds = interval_text(low, high, low_open=low_open)
    if is_real(value):
        value = [value, value]
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise FakeidError(f"{key}={shown(value)}: expected an interval [low, high] within {bounds}")
    for item in value:
        if not is_number(item):
            _refuse(key, item, number_problem(item))
    a, b = (float(item) for item in value)
    if a > b:
        raise FakeidError(f"{key}={list(value)} is inverted: expected [low, high] with low <= high, within {bounds}")
    if number_problem(a, low, high, low_open=low_open) or number_problem(b, low, high, low_open=low_open):
        raise FakeidError(f"{key}={list(value)} is out of range: expected both ends within {bounds}")
    if whole and (a != int(a) or b != int(b)):
        raise FakeidError(f"{key}={list(value)}: expected whole numbers within {bounds}")
    return [int(a), int(b)] if whole else [a, b]
