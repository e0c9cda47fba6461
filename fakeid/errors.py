"""User-facing errors: one line that names the file or key and what was expected.

Entry points catch `FakeidError` and print `fakeid: error: <message>` without a traceback;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Iterator


class FakeidError(Exception):
    """Bad input or configuration, explained in one line."""


@contextmanager
def one_line_errors(exit_code: int = 2) -> Iterator[None]:
    """Turn a FakeidError raised inside the block into one line on stderr and an exit code."""
    try:
        yield
    except FakeidError as err:
        print(f"fakeid: error: {err}", file=sys.stderr)
        raise SystemExit(exit_code) from None


def check_choice(key: str, value: object, choices: tuple[str, ...]) -> None:
    """An enumerated key: anything outside `choices` is one line naming the key and its choices."""
    if value not in choices:
        raise FakeidError(f"{key}={value} is not a choice (choices: {', '.join(choices)})")
