"""The project's one command-line dialect for tools: a Hydra app whose bad overrides are one-line errors.

Hydra reports an unknown key or a malformed override on several lines and exits 1. The tools that read
results (`fakeid.collect`, `fakeid.figures`) check their overrides first, with Hydra's own compose API on
their own primary config, and turn any problem into one `FakeidError` line (exit 2, `fakeid.errors`).
Keys a config does not have are refused even with `+` (a typo is never a new setting). Anything starting
with `-` (`--help`, `--cfg job`, ...) is left to Hydra.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable, Sequence

from omegaconf import DictConfig, OmegaConf

from fakeid.errors import FakeidError, one_line_errors

CONF_DIR = Path(__file__).resolve().parents[1] / "conf"  # absolute: works from `-m`, console scripts and imports


def _first_lines(err: BaseException, count: int = 2) -> str:
    lines = [line.strip() for line in str(err).strip().splitlines() if line.strip()]
    return "; ".join(lines[:count]) or type(err).__name__


def _compose(config_name: str, overrides: Sequence[str]) -> DictConfig:
    from hydra import compose, initialize_config_dir

    with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
        return compose(config_name, overrides=list(overrides))


def _override_keys(overrides: Sequence[str]) -> list[tuple[str, str]]:
    """(top-level key, override text) of each override that sets a key of the app (not of Hydra)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    try:
        parsed = OverridesParser.create().parse_overrides(list(overrides))
    except HydraException as err:
        raise FakeidError(f"cannot parse the command line {' '.join(overrides)}: {_first_lines(err, 1)}") from None
    keys = []
    for override, text in zip(parsed, overrides):
        key = override.key_or_group
        if not key.startswith("hydra"):
            keys.append((key.split(".")[0].split("/")[0], text))
    return keys


def check_overrides(config_name: str, overrides: Sequence[str]) -> DictConfig:
    """The config `conf/<config_name>.yaml` with `overrides`, or a FakeidError naming the bad override."""
    base = _compose(config_name, [])
    known = list(base.keys())
    for key, text in _override_keys(overrides):
        if key not in known:
            raise FakeidError(
                f"{text}: unknown key '{key}' for python -m fakeid.{config_name}; expected one of {', '.join(known)}"
            )
    try:
        return _compose(config_name, overrides)
    except Exception as err:  # noqa: BLE001 - any composition error is the user's override, told in one line
        raise FakeidError(f"{' '.join(overrides)}: {_first_lines(err)}") from None


def require(cfg: DictConfig, key: str, expected: str) -> Any:
    """`cfg[key]`, or a FakeidError saying what to pass when it is missing (`???`) or null."""
    if OmegaConf.is_missing(cfg, key) or cfg[key] is None:
        raise FakeidError(f"missing key '{key}': expected {expected}")
    return cfg[key]


def as_list(value: Any) -> list[Any]:
    """A list override (`key=[a,b]`) or a single value (`key=a`) as a plain list."""
    if OmegaConf.is_config(value):
        value = OmegaConf.to_container(value, resolve=True)
    return list(value) if isinstance(value, (list, tuple)) else [value]


def run_app(app: Callable[[], Any], config_name: str, argv: Sequence[str] | None = None) -> int:
    """Check the overrides (one line, exit 2, on a bad one), then run the `@hydra.main` function `app`.

    `argv` (default: the process's own arguments) lets Python callers and tests run the app in-process.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if not any(arg.startswith("-") for arg in args):
        with one_line_errors():
            check_overrides(config_name, args)
    saved = sys.argv
    sys.argv = [saved[0] if saved else f"fakeid.{config_name}", *args]
    try:
        app()
    finally:
        sys.argv = saved
    return 0


# ----------------------------------------------------------------------------- training and evaluation apps
def group_choices(group: str) -> list[str]:
    return sorted(path.stem for path in (CONF_DIR / group).glob("*.yaml"))


def check_group_choices(argv: Sequence[str]) -> None:
    """Raise for `group=choice` (or `+group=choice`) where conf/<group>/ exists but holds no choice.yaml.

    The training and evaluation apps take sweeps (`a=1,2`), `-m` and experiments, so they are not composed
    here like the tools; only what Hydra would report on several lines is caught: a missing group choice."""
    for argument in argv:
        key, sep, value = argument.lstrip("+~").partition("=")
        if not sep or "." in key or "/" in key or not (CONF_DIR / key).is_dir() or "," in value:
            continue
        if value and value != "null" and not (CONF_DIR / key / f"{value}.yaml").is_file():
            raise FakeidError(f"{key}={value} is not a choice of `{key}` (choices: {', '.join(group_choices(key))})")


def hydra_entry(hydra_main: Callable[[], None]) -> Callable[[], None]:
    """The console entry of the training and evaluation apps: group choices checked first, in one line."""
    def entry() -> None:
        with one_line_errors():
            check_group_choices(sys.argv[1:])
        hydra_main()

    entry.__doc__ = hydra_main.__doc__
    return entry
