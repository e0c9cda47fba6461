"""`key=value` command lines (fakeid.synth, fakeid.bench): split them, and read ints and booleans, with
one-line errors that name the key. (fakeid.train uses Hydra instead.)"""
from __future__ import annotations

from collections.abc import Sequence

from fakeid.errors import FakeidError


def parse_key_values(argv: Sequence[str], keys: Sequence[str]) -> dict[str, str]:
    """['a=1', 'b=x'] -> {'a': '1', 'b': 'x'}; a word without '=' or a repeated key is an error. Unknown keys
    are the caller's to reject; `keys` only says what was expected."""
    parsed: dict[str, str] = {}
    for argument in argv:
        key, sep, value = argument.partition("=")
        if not sep or not key:
            raise FakeidError(f"argument {argument!r}: expected key=value, key one of {', '.join(keys)}")
        if key in parsed:
            raise FakeidError(f"key {key!r} given twice: expected each key at most once")
        parsed[key] = value
    return parsed


def as_int(key: str, value: object) -> int:
    if isinstance(value, bool):
        raise FakeidError(f"{key}={value!r}: expected an integer")
    if isinstance(value, int):
        return value
    try:
        return int(str(value))
    except ValueError:
        raise FakeidError(f"{key}={value!r}: expected an integer") from None


def as_bool(key: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).lower()
    if text not in ("true", "false"):
        raise FakeidError(f"{key}={value!r}: expected true or false")
    return text == "true"
