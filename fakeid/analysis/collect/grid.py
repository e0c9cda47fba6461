"""A sweep's grid from its multirun.yaml, expanded the way Hydra's BasicSweeper does it.

The one place that knows how a sweep's grid is expanded: the rest of collect calls `grid_keys`,
`expected_grid` and `parse_overrides` only, so this body can become Hydra's own sweeper without touching them.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any, Sequence

import yaml

from fakeid.core.errors import FakeidError
from fakeid.runs.files import MULTIRUN_FILE


def parse_overrides(overrides: Sequence[str], source: str) -> list[Any]:
    # Imported here: Hydra's parser pulls in antlr, which only the grid needs.
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    try:
        return OverridesParser.create().parse_overrides(list(overrides))
    except HydraException as err:
        first_line = str(err).strip().splitlines()[0]
        raise FakeidError(f"{source}: cannot parse overrides {list(overrides)}: {first_line}") from None


def read_multirun(sweep_dir: Path) -> dict[str, Any]:
    path = sweep_dir / MULTIRUN_FILE
    try:
        conf = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise FakeidError(f"{path}: not valid YAML ({type(err).__name__})") from None
    hydra_conf = conf.get("hydra") if isinstance(conf, dict) else None
    if not isinstance(hydra_conf, dict):
        raise FakeidError(f"{path}: expected Hydra's multirun config with a top-level `hydra` key")
    return hydra_conf


def _grid_overrides(sweep_dir: Path) -> list[Any]:
    """The overrides that define the grid, in BasicSweeper's order, a later one replacing an earlier one."""
    hydra_conf = read_multirun(sweep_dir)
    source = str(sweep_dir / MULTIRUN_FILE)
    params = (hydra_conf.get("sweeper") or {}).get("params") or {}
    task = (hydra_conf.get("overrides") or {}).get("task") or []
    if not isinstance(params, dict) or not isinstance(task, list):
        raise FakeidError(f"{source}: expected hydra.sweeper.params to be a mapping and hydra.overrides.task a list")
    from_params = parse_overrides([f"{key}={value}" for key, value in params.items()], source)
    from_task = parse_overrides([str(item) for item in task], source)
    final: dict[str, tuple[Any, bool]] = {}
    for override in from_params:
        final[override.get_key_element()] = (override, True)
    for override in from_task:
        final[override.get_key_element()] = (override, override.is_sweep_override())
    return [override for override, is_grid in final.values() if is_grid]


def _override_values(override: Any, source: str) -> list[Any]:
    from hydra.errors import HydraException

    if not override.is_sweep_override():
        return [override.value()]
    try:
        return list(override.sweep_iterator())
    except HydraException as err:
        raise FakeidError(
            f"{source}: cannot enumerate the sweep of `{override.get_key_element()}`: {str(err).splitlines()[0]}"
        ) from None


def grid_keys(sweep_dir: str | Path) -> list[str]:
    """The hyper-parameters the sweep varies (or fixes through its sweeper params), in grid order."""
    return [override.key_or_group for override in _grid_overrides(Path(sweep_dir))]


def expected_grid(sweep_dir: str | Path) -> list[dict[str, Any]]:
    """Every grid point of the sweep as {key: value}, in the order Hydra launches the jobs."""
    sweep_dir = Path(sweep_dir)
    source = str(sweep_dir / MULTIRUN_FILE)
    overrides = _grid_overrides(sweep_dir)
    keys = [override.key_or_group for override in overrides]
    axes = [_override_values(override, source) for override in overrides]
    return [dict(zip(keys, point)) for point in itertools.product(*axes)]
