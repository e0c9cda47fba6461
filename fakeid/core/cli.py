"""The project's one command-line dialect: every entry point is a Hydra app whose bad overrides are one line.

Every entry point is one shape: a `@hydra.main` function `hydra_main`, and
`main(argv=None) -> int` = `run_app(hydra_main, argv, ...)`, the console script (`fakeid-X`) and what
`python -m fakeid.X` runs; tests and Python callers pass `argv` to run a command in-process.

Hydra reports an unknown key, a malformed override or a missing group choice on several lines and exits 1.
Before Hydra runs, `run_app` turns each into one `FakeidError` line (exit 2, `fakeid.core.errors`):
- every app with its own flat config (`synth`, `bench`, `prepare`, `check`, `predict`, `export`, `collect`,
  `figures`, `report`, `demo_timing`, `eval`; `run_app(..., config_name=NAME)`): `check_app_overrides` composes
  the overrides on that config with Hydra's compose API and checks the result against its schema
  (`fakeid.core.schema`: unknown keys, also added with `+`, types, ranges), and refuses a bare comma (a sweep
  in Hydra's syntax);
- the training app (`fakeid.train`), which takes sweeps, `-m` and experiments: its own `check=`
  (`fakeid.training.checks`: the same schema check on every job, before a run folder exists).
Anything starting with `-` (`--help`, `--cfg job`, ...) is left to Hydra.

A sweep over experiments (`fakeid.train '+experiment=a,b' -m`) is one sweep per experiment, one after the other in
this process (`one_by_one=`, `commands_per_choice`): Hydra's sweeper would read `hydra.sweeper.params` from the
config composed before an experiment is chosen, and run each experiment's defaults as a single job, none of
their grids. In one process, the parallel launcher's workers (joblib's reusable executor) run the next sweep's
jobs without starting and importing again.

A path Hydra cannot read as a value (a sweep's job folder `.../data.num_categories=1,seed=0` holds `=` and `,`)
is taken as given when it exists (`quote_paths` quotes it for Hydra); one that does not exist gets a line
saying how to quote it.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from fakeid import CONF_DIR
from fakeid.core.errors import FakeidError, one_line_errors
from fakeid.core.sweeps import CHECKED_JOBS


def overridden_keys(overrides: list[str]) -> set[str]:
    """The keys (and config groups) a job's command-line overrides set."""
    return {item.lstrip("+~").split("=", 1)[0] for item in overrides if "=" in item}


def _compose(config_name: str, overrides: Sequence[str]) -> DictConfig:
    from hydra import compose, initialize_config_dir

    with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
        return compose(config_name, overrides=list(overrides))


@functools.cache
def base_config(config_name: str) -> DictConfig:
    """`conf/<config_name>.yaml` composed without overrides (once per process): what an unknown key is compared
    with to name the nearest valid one."""
    return _compose(config_name, [])


def parsed_or_hint(overrides: Sequence[str]) -> list[Any]:
    """Hydra's parse of the overrides; a path with `=` or `,` that does not exist gets the quoting hint."""
    from fakeid.core.sweeps import parse

    try:
        return parse(overrides, "the command line")
    except FakeidError:
        for text in overrides:
            if "=" in text.partition("=")[2] and not parses(text):
                raise FakeidError(quoting_hint(text)) from None
        raise


def check_overrides(config_name: str, overrides: Sequence[str]) -> DictConfig:
    """The config `conf/<config_name>.yaml` with `overrides`, checked by its schema (`fakeid.core.schema`), or a
    FakeidError naming the bad override."""
    from fakeid.core.schema import compose_error, config_problem, written_values

    parsed_or_hint(overrides)
    try:
        cfg = _compose(config_name, overrides)
    except Exception as err:  # noqa: BLE001 - any composition error is the user's override, told in one line
        raise FakeidError(compose_error(err, overrides, config_name, base_config(config_name))) from None
    problem = config_problem(cfg, config_name, written_values(overrides))
    if problem:
        raise FakeidError(problem)
    return cfg


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


# a sweep's exit status when it ran to its end with failed jobs (fakeid.runs.sweep_status), the status Hydra
# gives an app's uncaught error too
FAILED_SWEEP = 1


def run_app(
    app: Callable[[], Any],
    argv: Sequence[str] | None = None,
    *,
    config_name: str | None = None,
    check: Callable[[Sequence[str]], None] | None = None,
    one_by_one: str | None = None,
) -> int:
    """An entry point's `main`: check the command line (one line, exit 2, on a bad one), then run the
    `@hydra.main` function `app` on it; 0 when it returns (an app ends otherwise with SystemExit).

    With `config_name` (an app with a flat config) the check is `check_app_overrides`; without (train and eval,
    which take sweeps, `-m` and experiments) the config-group choices, then `check(args)` when given. `argv`
    (default: the process's own arguments) lets tests and Python callers run a command in-process; Hydra reads
    the arguments from sys.argv, which is put back afterwards.

    `one_by_one=GROUP` (train: `experiment`): a sweep over that group's choices runs as one command line per
    choice (`commands_per_choice`), each to its end, in order. A command whose sweep ran with failed jobs
    (exit 1) does not stop the next; the status is then 1. Any other stop (a one-line error, exit 2; Ctrl-C)
    stops there: what the check let through fails the same way for the next command.
    """
    args = quote_paths(flags_first(sys.argv[1:] if argv is None else argv))
    CHECKED_JOBS.clear()  # only this command line's check vouches for its jobs (`fakeid.core.sweeps`)
    with one_line_errors():
        if config_name is not None:
            check_app_overrides(config_name, args)
        elif check is not None:
            check(args)
    commands = commands_per_choice(args, one_by_one) if one_by_one else [args]
    status = 0
    for command in commands:
        try:
            run_hydra(app, command)
        except SystemExit as stop:
            if len(commands) == 1 or stop.code != FAILED_SWEEP:
                raise
            status = FAILED_SWEEP
    return status


def run_hydra(app: Callable[[], Any], args: Sequence[str]) -> None:
    """The `@hydra.main` function `app` on the command line `args`, and afterwards Hydra's process-wide state
    cleared: the one place it is, so that the next command line of the same process (`one_by_one`, tests)
    composes from its own arguments (Hydra clears it on its way out too; this keeps it so whatever Hydra does)."""
    from hydra.core.global_hydra import GlobalHydra

    saved = sys.argv
    sys.argv = [saved[0] if saved else "fakeid", *args]
    try:
        app()
    finally:
        sys.argv = saved
        GlobalHydra.instance().clear()


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
        readable = not sep or argument.startswith("-") or value[:1] in "[{'\"" or parses(argument)
        if not readable and ("=" in value or "/" in value) and Path(value).expanduser().exists() and quoted(value):
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


def is_group(key: str) -> bool:
    """Whether an override's key names a config group (`data`, `+experiment`), not a key."""
    return "." not in key and (CONF_DIR / key).is_dir()


def left_to_hydra(argv: Sequence[str]) -> bool:
    """Whether the command line holds one of Hydra's own flags (`--help`, `--cfg`, `--info`; not `-m`), which
    fakeid leaves to Hydra as typed."""
    return any(argument.startswith("-") and argument not in ("-m", "--multirun") for argument in argv)


def commands_per_choice(argv: Sequence[str], group: str) -> list[list[str]]:
    """The command lines `argv` stands for when it sweeps the config group `group` (`+experiment=a,b`,
    `+experiment=choice(a,b)`, `+experiment=glob(demo_*)`): one per choice, in the order written (a glob's in
    name order), each with that one override set to the one choice and every other argument as given, so that
    every other override applies to every choice. `[argv]` when it does not sweep `group`, or when Hydra's own
    flags are on it (`--cfg`, `--help` show the command line as typed)."""
    from hydra.core.override_parser.types import ValueType

    if left_to_hydra(argv):
        return [list(argv)]
    texts = [argument for argument in argv if not argument.startswith("-")]
    swept = [
        (text, override)
        for text, override in zip(texts, parsed_or_hint(texts), strict=True)
        if override.key_or_group == group and override.is_discrete_sweep()
    ]
    if len(swept) != 1:
        return [list(argv)]
    text, override = swept[0]
    if override.value_type == ValueType.GLOB_CHOICE_SWEEP:  # Hydra matches a glob against the group's files
        choices = override.value().filter(sorted(path.stem for path in (CONF_DIR / group).glob("*.yaml")))
    else:
        choices = list(override.sweep_string_iterator())
    written = text.partition("=")[0]
    return [[f"{written}={choice}" if argument == text else argument for argument in argv] for choice in choices]


def check_jobs(
    config_name: str, argv: Sequence[str], job_problem: Callable[[list[str], DictConfig], str | None] | None = None
) -> None:
    """The check of an app that takes sweeps, `-m` and experiments (train, eval): the schema's, on the composed
    config of every job the command line runs (`fakeid.core.sweeps`), then `job_problem(job, cfg)` for the rules
    that are not one key's. Hydra's own flags (`--help`, `--cfg`, `--info`) are left to Hydra; `-m` is checked
    like a run."""
    from fakeid.core.schema import compose_error, config_problem, written_values
    from fakeid.core.sweeps import composed_jobs, task_overrides

    if left_to_hydra(argv):
        return
    texts = [argument for argument in argv if not argument.startswith("-")]
    parsed_or_hint(texts)
    try:
        for job, cfg in composed_jobs(config_name, texts, is_group):
            problem = config_problem(
                cfg, config_name, {**written_values(job), **written_values([t for t in texts if parses(t)])}
            ) or (job_problem(job, cfg) if job_problem else None)
            if problem:
                raise FakeidError(problem)
            CHECKED_JOBS.add(task_overrides(job))
    except FakeidError:
        raise
    except Exception as err:  # noqa: BLE001 - any composition error is the user's override, told in one line
        raise FakeidError(compose_error(err, texts, config_name, base_config(config_name))) from None


# ----------------------------------------------------------------------------- flat apps
def check_app_overrides(config_name: str, argv: Sequence[str]) -> None:
    """The one check of an app with its own flat config (every app but train and eval): a bare comma (a sweep
    in Hydra's syntax) or anything the schema refuses (`check_overrides`) raises one FakeidError line. Flags
    (`--help`, `--cfg job`) are left to Hydra."""
    if any(argument.startswith("-") for argument in argv):
        return
    for argument in argv:
        key, _, value = argument.lstrip("+~").partition("=")
        if "," in value and value[:1] not in "[{'\"":
            if "=" in value or "/" in value:  # a path: a list of paths would not parse either
                raise FakeidError(quoting_hint(argument))
            raise FakeidError(f"{argument}: write a list as {key}=[{value}] (a bare comma means a sweep in Hydra)")
    check_overrides(config_name, argv)
