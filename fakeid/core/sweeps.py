"""A sweep's jobs as Hydra launches them: Hydra's own override parser and BasicSweeper, one place.

The pre-run check of `fakeid.train` (every job's config, before the first job starts) and `fakeid.collect` (the
grid a sweep folder should hold, from its multirun.yaml) both ask "which jobs does this command line run". Both
take the answer from `BasicSweeper.split_arguments`, the function Hydra's sweeper itself calls, on the same
list the sweeper builds: the experiment's `hydra.sweeper.params` first, then the command line's overrides (a
later one replaces an earlier one of the same key). BasicSweeper lives in `hydra._internal`; it is imported here
only, so a Hydra release that moves it breaks one line.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from omegaconf import DictConfig

from fakeid.core.errors import FakeidError


def parse(overrides: Sequence[str], source: str) -> list[Any]:
    """Hydra's parsed overrides, or one FakeidError line naming `source` (the command line, a multirun.yaml)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    try:
        return OverridesParser.create().parse_overrides(list(overrides))
    except HydraException as err:
        first_line = str(err).strip().splitlines()[0]
        raise FakeidError(f"cannot parse {source} {' '.join(overrides)}: {first_line}") from None


def sweeper_arguments(params: Mapping[str, Any] | None, task: Sequence[str]) -> list[str]:
    """What BasicSweeper expands: `hydra.sweeper.params` as `key=value`, then the command line's overrides."""
    return [*(f"{key}={value}" for key, value in (params or {}).items()), *task]


def jobs(params: Mapping[str, Any] | None, task: Sequence[str], source: str) -> list[list[str]]:
    """Each job's overrides, in the order Hydra launches them (one job for a command line without a sweep)."""
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.errors import HydraException

    parsed = parse(sweeper_arguments(params, task), source)
    for override in parsed:
        if override.is_sweep_override() and not override.is_discrete_sweep():
            raise FakeidError(
                f"{source}: {override.input_line}: Hydra's basic sweeper takes lists, range() and choice(), "
                "not an interval"
            )
    try:
        return BasicSweeper.split_arguments(parsed, None)[0]
    except HydraException as err:
        raise FakeidError(f"{source}: {str(err).strip().splitlines()[0]}") from None


def values(job: Sequence[str], source: str) -> dict[str, Any]:
    """A job's overrides as {key: value}, each value as Hydra parses it (3, 0.5, 'cat', [1, 2])."""
    return {override.get_key_element(): override.value() for override in parse(job, source)}


def fixed(task: Sequence[str]) -> list[str]:
    """The command line's overrides that are not sweeps: what every job of it shares."""
    return [
        text
        for text, override in zip(task, parse(task, "the command line"), strict=True)
        if not override.is_sweep_override()
    ]


# The jobs (their task overrides, `task_overrides`) whose composed config this process's command-line check read
# and accepted: Hydra's BasicSweeper composes every job of a batch again before launching it
# (`validate_batch_is_legal`, one full composition a job: 4 s before the demo's first job and 2 s between its two
# sweeps on the 2-core sandbox), and `CheckedSweeper` skips those. `fakeid.core.cli.run_app` empties it before
# each command line's check.
CHECKED_JOBS: set[tuple[str, ...]] = set()


def task_overrides(job: Sequence[str]) -> tuple[str, ...]:
    """A job's overrides as Hydra's sweeper hands them to the launcher: without those of Hydra's own config
    (`hydra.sweep.dir=...`), which Hydra keeps apart."""
    return tuple(
        text for text, override in zip(job, parse(job, "a job"), strict=True) if not override.is_hydra_override()
    )


def composed_jobs(config_name: str, task: Sequence[str], is_group: Any) -> Iterator[tuple[list[str], DictConfig]]:
    """(overrides, composed config) of every job of a command line. Hydra composes each distinct choice of
    config groups once; the job's other overrides are applied to a copy by Hydra's own
    `ConfigLoaderImpl._apply_overrides_to_config` (composing every job in full took about 1 s a job on the 2-core
    sandbox: 30 s before a 30-job sweep started). `is_group(key)`: whether an override's key is a config group."""
    from hydra import compose, initialize_config_dir
    from hydra._internal.config_loader_impl import ConfigLoaderImpl

    from fakeid import CONF_DIR

    with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
        base = compose(config_name, overrides=fixed(task), return_hydra_config=True)
        params = base.hydra.sweeper.get("params") if "sweeper" in base.hydra else None
        composed: dict[tuple[str, ...], DictConfig] = {}
        for job in jobs(params, task, "the command line"):
            parsed = parse(job, "the command line")
            groups = tuple(text for text, override in zip(job, parsed, strict=True) if is_group(override.key_or_group))
            if groups not in composed:
                composed[groups] = compose(config_name, overrides=list(groups))
            cfg = copy.deepcopy(composed[groups])
            keys = [o for o in parsed if not is_group(o.key_or_group) and not o.key_or_group.startswith("hydra")]
            ConfigLoaderImpl._apply_overrides_to_config(keys, cfg)
            yield job, cfg


def sweep_folder(config_name: str, task: Sequence[str]) -> str:
    """The folder a command line's sweep writes (`hydra.sweep.dir`, resolved), as Hydra composes it: from the
    overrides that are not sweeps (a sweep's folder is the same for all its jobs)."""
    from hydra import compose, initialize_config_dir

    from fakeid import CONF_DIR

    with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
        return str(compose(config_name, overrides=fixed(task), return_hydra_config=True).hydra.sweep.dir)
