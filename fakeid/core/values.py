"""Read an int or a boolean from a config value (Hydra passes `seed=x` on as the string 'x'), with a one-line
error that names the key. Used by the flat Hydra apps (fakeid.synth, fakeid.benchmark.speed, fakeid.check,
fakeid.prepare)."""

from __future__ import annotations

from fakeid.core.errors import FakeidError


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
