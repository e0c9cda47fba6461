"""What an integer, a number or a boolean within a range is, in words: the vocabulary of every refusal.

`integer_problem`, `number_problem`, `boolean_problem`: what was expected of a value as a composed config holds
it (typed: the string '3' is not an integer, a bool is not a count, nan and inf are not numbers), or None when it
is fine. The one generic check of the schema (`fakeid.core.schema`) writes each refusal's line with them.

Intervals read as written: `[0, 1]`, `(0.0, inf)`; each end shown as the caller gave it (0 or 0.0).
"""

from __future__ import annotations

import math
import numbers


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
