"""What every Hydra entry point shares before Hydra runs: a config-group choice that does not exist, or (for a
flat app such as fakeid.synth or fakeid.bench) a key its config does not have, is one line naming the group or
key and what was expected (Hydra's own message spans several lines and exits 1)."""
from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from fakeid.errors import FakeidError, one_line_errors

CONF = Path(__file__).resolve().parents[1] / "conf"


def group_choices(group: str) -> list[str]:
    return sorted(path.stem for path in (CONF / group).glob("*.yaml"))


def check_group_choices(argv: Sequence[str], groups: Sequence[str] | None = None) -> None:
    """Raise for `group=choice` (or `+group=choice`) where conf/<group>/ exists but holds no choice.yaml;
    `groups`: only these groups are the app's (a flat app's key may share a group's name, e.g. `model`)."""
    for argument in argv:
        key, sep, value = argument.lstrip("+~").partition("=")
        if groups is not None and key not in groups:
            continue
        if not sep or "." in key or "/" in key or not (CONF / key).is_dir() or "," in value:
            continue
        if value and value != "null" and not (CONF / key / f"{value}.yaml").is_file():
            raise FakeidError(f"{key}={value} is not a choice of `{key}` (choices: {', '.join(group_choices(key))})")


def config_groups(config_name: str) -> list[str]:
    """The config groups the defaults list of conf/<config_name>.yaml names (Hydra's own excluded)."""
    from omegaconf import OmegaConf

    defaults = OmegaConf.to_container(OmegaConf.load(CONF / f"{config_name}.yaml")).get("defaults", [])
    groups = [next(iter(item)) for item in defaults if isinstance(item, dict)]
    return [group for group in groups if not group.startswith("override ")]


def config_keys(config_name: str) -> list[str]:
    """The top-level keys of conf/<config_name>.yaml, and its config groups."""
    from omegaconf import OmegaConf

    config = OmegaConf.to_container(OmegaConf.load(CONF / f"{config_name}.yaml"))
    return [key for key in config if key not in ("defaults", "hydra")] + config_groups(config_name)


def check_known_keys(argv: Sequence[str], config_name: str) -> None:
    """Raise for a `key=value` whose key (its first dotted part) conf/<config_name>.yaml does not have."""
    keys = config_keys(config_name)
    for argument in argv:
        key, sep, value = argument.partition("=")
        if not sep or argument.startswith(("+", "~", "-")) or key.split(".")[0] == "hydra":
            continue
        if key.split(".")[0] not in keys:
            raise FakeidError(f"unknown key {key}: expected one of {', '.join(keys)} (conf/{config_name}.yaml)")
        if "," in value and value[:1] not in "[{'\"" and not {"-m", "--multirun"} & set(argv):
            raise FakeidError(f"{argument}: write a list as {key}=[{value}] (a bare comma means a sweep in Hydra)")


def hydra_entry(hydra_main: Callable[[], None], config_name: str | None = None) -> Callable[[], None]:
    """The console entry of a Hydra app: group choices (and, given `config_name`, every key) checked first,
    in one line."""
    def entry() -> None:
        with one_line_errors():
            check_group_choices(sys.argv[1:], config_groups(config_name) if config_name else None)
            if config_name:
                check_known_keys(sys.argv[1:], config_name)
        hydra_main()

    entry.__doc__ = hydra_main.__doc__
    return entry
