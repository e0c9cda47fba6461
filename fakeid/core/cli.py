"""The project's one command-line dialect: every entry point is a Hydra app whose bad overrides are one line.

Every entry point is one shape: a `@hydra.main` function `hydra_main`, and
`main(argv=None) -> int` = `run_app(hydra_main, argv, ...)`, the console script (`fakeid-X`) and what
`python -m fakeid.X` runs; tests and Python callers pass `argv` to run a command in-process.

Hydra reports an unknown key, a malformed override or a missing group choice on several lines and exits 1.
Before Hydra runs, `run_app` turns each into one `FakeidError` line (exit 2, `fakeid.core.errors`):
- every app with its own flat config (`synth`, `bench`, `prepare`, `check`, `predict`, `export`, `collect`,
  `figures`, `report`, `demo_timing`; `run_app(..., config_name=NAME)`): `check_app_overrides` composes the
  overrides on that config with Hydra's compose API (keys it does not have are refused even with `+`) and
  refuses a bare comma (a sweep in Hydra's syntax);
- the training and evaluation apps (`fakeid.train`, `fakeid.eval`), which take sweeps, `-m` and experiments:
  the config-group choices, then the app's own `check=` (training: `fakeid.training.checks`, every key and
  value of every job, before a run folder exists).
Anything starting with `-` (`--help`, `--cfg job`, ...) is left to Hydra.

A path Hydra cannot read as a value (a sweep's job folder `.../data.num_categories=1,seed=0` holds `=` and `,`)
is taken as given when it exists (`quote_paths` quotes it for Hydra); one that does not exist gets a line
saying how to quote it.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast

from omegaconf import DictConfig, OmegaConf

from fakeid import CONF_DIR
from fakeid.core.errors import FakeidError, one_line_errors


def overridden_keys(overrides: Sequence[str]) -> set[str]:
    """The keys (and config groups) a job's command-line overrides set."""
    return {item.lstrip("+~").split("=", 1)[0] for item in overrides if "=" in item}


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
        for text in overrides:
            if "=" in text.partition("=")[2] and not parses(text):
                raise FakeidError(quoting_hint(text)) from None
        raise FakeidError(f"cannot parse the command line {' '.join(overrides)}: {_first_lines(err, 1)}") from None
    keys = []
    for override, text in zip(parsed, overrides, strict=True):
        key = override.key_or_group
        if not key.startswith("hydra"):
            keys.append((key.split(".")[0].split("/")[0], text))
    return keys


@functools.cache
def known_keys(config_name: str) -> tuple[str, ...]:
    """The top-level keys of `conf/<config_name>.yaml` as composed without overrides (once per process)."""
    return tuple(str(key) for key in _compose(config_name, []))


def check_overrides(config_name: str, overrides: Sequence[str]) -> DictConfig:
    """The config `conf/<config_name>.yaml` with `overrides`, or a FakeidError naming the bad override."""
    known = known_keys(config_name)
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


def run_app(
    app: Callable[[], Any],
    argv: Sequence[str] | None = None,
    *,
    config_name: str | None = None,
    check: Callable[[Sequence[str]], None] | None = None,
) -> int:
    """An entry point's `main`: check the command line (one line, exit 2, on a bad one), then run the
    `@hydra.main` function `app` on it; 0 when it returns (an app ends otherwise with SystemExit).

    With `config_name` (an app with a flat config) the check is `check_app_overrides`; without (train and eval,
    which take sweeps, `-m` and experiments) the config-group choices, then `check(args)` when given. `argv`
    (default: the process's own arguments) lets tests and Python callers run a command in-process; Hydra reads
    the arguments from sys.argv, which is put back afterwards.
    """
    args = quote_paths(flags_first(sys.argv[1:] if argv is None else argv))
    with one_line_errors():
        if config_name is not None:
            check_app_overrides(config_name, args)
        else:
            check_group_choices(args)
            if check is not None:
                check(args)
    saved = sys.argv
    sys.argv = [saved[0] if saved else "fakeid", *args]
    try:
        app()
    finally:
        sys.argv = saved
    return 0


# ----------------------------------------------------------------------------- paths Hydra cannot read
def parses(override: str) -> bool:
    """Whether Hydra reads `override` as a single value (not a sweep, not a syntax error)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    try:
        return not OverridesParser.create().parse_override(override).is_sweep_override()
    except HydraException:
        return False


def quoted(value: str) -> str | None:
    """`value` as a Hydra quoted string, or None when it holds both kinds of quote."""
    if "'" not in value:
        return f"'{value}'"
    if '"' not in value:
        return f'"{value}"'
    return None


def quote_paths(argv: Sequence[str]) -> list[str]:
    """`argv` with each `key=PATH` that Hydra cannot read but names an existing path quoted for Hydra."""
    result = []
    for argument in argv:
        prefix, sep, value = argument.partition("=")
        if (
            sep
            and not argument.startswith("-")
            and value[:1] not in "[{'\""
            and not parses(argument)
            and ("=" in value or "/" in value)
            and Path(value).expanduser().exists()
            and quoted(value)
        ):
            argument = f"{prefix}={quoted(value)}"
        result.append(argument)
    return result


def quoting_hint(argument: str) -> str:
    """The one line for a path value Hydra cannot read (`=` or `,` in it) that does not exist here."""
    key, _, value = argument.partition("=")
    written = f"{key}={quoted(value) or value}"
    shell = f'"{written}"' if "'" in written else f"'{written}'"
    return (
        f"{argument}: no such path, and Hydra reads '=' and ',' in a value as syntax: an existing path is taken "
        f"as given; to pass this one anyway, quote it for Hydra and the shell: {shell}"
    )


# ----------------------------------------------------------------------------- flags in any order
# Hydra's argparse takes the overrides as one positional list, so an override after a flag
# (`+experiment=categories -m data.root=ROOT`) is refused ("unrecognized arguments"). Flags move to the front.
VALUE_FLAGS = (
    "-c",
    "--cfg",
    "-p",
    "--package",
    "-cp",
    "--config-path",
    "-cn",
    "--config-name",
    "-cd",
    "--config-dir",
    "--experimental-rerun",
)
OPTIONAL_VALUE_FLAGS = ("-i", "--info")
INFO_TOPICS = ("all", "config", "defaults", "defaults-tree", "plugins", "searchpath")


def flags_first(argv: Sequence[str]) -> list[str]:
    """`argv` with Hydra's flags (and their values) first and the overrides after, each in their own order."""
    flags: list[str] = []
    overrides: list[str] = []
    index = 0
    while index < len(argv):
        argument = argv[index]
        takes_value = argument in VALUE_FLAGS or (
            argument in OPTIONAL_VALUE_FLAGS and index + 1 < len(argv) and argv[index + 1] in INFO_TOPICS
        )
        if argument.startswith("-") and "=" not in argument:
            flags += argv[index : index + 2] if takes_value else [argument]
            index += 2 if takes_value else 1
        else:
            overrides.append(argument)
            index += 1
    return flags + overrides


# ----------------------------------------------------------------------------- group choices and flat apps
def group_choices(group: str) -> list[str]:
    return sorted(path.stem for path in (CONF_DIR / group).glob("*.yaml"))


def check_group_choices(argv: Sequence[str], groups: Sequence[str] | None = None) -> None:
    """Raise for `group=choice` (or `+group=choice`) where conf/<group>/ exists but holds no choice.yaml;
    `groups`: only these groups are the app's (a flat app's key may share a group's name, e.g. `model`)."""
    for argument in argv:
        key, sep, value = argument.lstrip("+~").partition("=")
        if groups is not None and key not in groups:
            continue
        if not sep or "." in key or "/" in key or not (CONF_DIR / key).is_dir() or "," in value:
            continue
        if value and value != "null" and not (CONF_DIR / key / f"{value}.yaml").is_file():
            raise FakeidError(f"{key}={value} is not a choice of `{key}` (choices: {', '.join(group_choices(key))})")


def config_groups(config_name: str) -> list[str]:
    """The config groups the defaults list of conf/<config_name>.yaml names (Hydra's own excluded)."""
    loaded = cast(dict, OmegaConf.to_container(OmegaConf.load(CONF_DIR / f"{config_name}.yaml")))  # a mapping
    defaults = loaded.get("defaults", [])
    groups = [next(iter(item)) for item in defaults if isinstance(item, dict)]
    return [group for group in groups if not group.startswith("override ")]


def check_app_overrides(config_name: str, argv: Sequence[str]) -> None:
    """The one check of an app with its own flat config (every app but train and eval): a group choice that
    does not exist, a bare comma (a sweep in Hydra's syntax), a key conf/<config_name>.yaml does not have (with
    `+` too) or a value Hydra cannot compose raises one FakeidError line. Flags (`--help`, `--cfg job`) are
    left to Hydra."""
    check_group_choices(argv, config_groups(config_name))
    if any(argument.startswith("-") for argument in argv):
        return
    for argument in argv:
        key, _, value = argument.lstrip("+~").partition("=")
        if "," in value and value[:1] not in "[{'\"":
            if "=" in value or "/" in value:  # a path: a list of paths would not parse either
                raise FakeidError(quoting_hint(argument))
            raise FakeidError(f"{argument}: write a list as {key}=[{value}] (a bare comma means a sweep in Hydra)")
    check_overrides(config_name, argv)
