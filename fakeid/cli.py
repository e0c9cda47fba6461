"""What every Hydra entry point shares before Hydra runs: a config-group choice that does not exist is one
line naming the group and its choices (Hydra's own message spans several lines and exits 1)."""
from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from fakeid.errors import FakeidError, one_line_errors

CONF = Path(__file__).resolve().parents[1] / "conf"


def group_choices(group: str) -> list[str]:
    return sorted(path.stem for path in (CONF / group).glob("*.yaml"))


def check_group_choices(argv: Sequence[str]) -> None:
    """Raise for `group=choice` (or `+group=choice`) where conf/<group>/ exists but holds no choice.yaml."""
    for argument in argv:
        key, sep, value = argument.lstrip("+~").partition("=")
        if not sep or "." in key or "/" in key or not (CONF / key).is_dir() or "," in value:
            continue
        if value and value != "null" and not (CONF / key / f"{value}.yaml").is_file():
            raise FakeidError(f"{key}={value} is not a choice of `{key}` (choices: {', '.join(group_choices(key))})")


def hydra_entry(hydra_main: Callable[[], None]) -> Callable[[], None]:
    """The console entry of a Hydra app: group choices checked first, in one line."""
    def entry() -> None:
        with one_line_errors():
            check_group_choices(sys.argv[1:])
        hydra_main()

    entry.__doc__ = hydra_main.__doc__
    return entry
