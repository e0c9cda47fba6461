"""A sweep's grid from its multirun.yaml: the jobs Hydra launched, as Hydra's own sweeper expands them.

The expansion is `fakeid.core.sweeps.jobs` (BasicSweeper.split_arguments on the sweeper's params, then the
command line's overrides), the same one the training command checks its jobs with before they start; what is
collect's own here is which keys make the grid: every key of `hydra.sweeper.params`, and each key the command
line swept, unless the command line fixed a params key to one value.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from fakeid.core.errors import FakeidError
from fakeid.core.sweeps import jobs, parse, values
from fakeid.runs.files import MULTIRUN_FILE


def parse_overrides(overrides: Sequence[str], source: str) -> list[Any]:
    return parse(overrides, source)


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


def _sweeper_inputs(sweep_dir: Path) -> tuple[dict[str, Any], list[str]]:
    """`hydra.sweeper.params` and `hydra.overrides.task` of a sweep's multirun.yaml, checked."""
    hydra_conf = read_multirun(sweep_dir)
    source = str(sweep_dir / MULTIRUN_FILE)
    params = (hydra_conf.get("sweeper") or {}).get("params") or {}
    task = (hydra_conf.get("overrides") or {}).get("task") or []
    if not isinstance(params, dict) or not isinstance(task, list):
        raise FakeidError(f"{source}: expected hydra.sweeper.params to be a mapping and hydra.overrides.task a list")
    return params, [str(item) for item in task]


def _grid_overrides(sweep_dir: Path) -> list[Any]:
    """The overrides that define the grid, in BasicSweeper's order, a later one replacing an earlier one."""
    source = str(sweep_dir / MULTIRUN_FILE)
    params, task = _sweeper_inputs(sweep_dir)
    from_params = parse_overrides([f"{key}={value}" for key, value in params.items()], source)
    from_task = parse_overrides(task, source)
    final: dict[str, tuple[Any, bool]] = {}
    for override in from_params:
        final[override.get_key_element()] = (override, True)
    for override in from_task:
        final[override.get_key_element()] = (override, override.is_sweep_override())
    return [override for override, is_grid in final.values() if is_grid]


def grid_keys(sweep_dir: str | Path) -> list[str]:
    """The hyper-parameters the sweep varies (or fixes through its sweeper params), in grid order."""
    return [override.key_or_group for override in _grid_overrides(Path(sweep_dir))]


def expected_grid(sweep_dir: str | Path) -> list[dict[str, Any]]:
    """Every grid point of the sweep as {key: value}, in the order Hydra launches the jobs."""
    sweep_dir = Path(sweep_dir)
    source = str(sweep_dir / MULTIRUN_FILE)
    keys = grid_keys(sweep_dir)
    params, task = _sweeper_inputs(sweep_dir)
    points = [values(job, source) for job in jobs(params, task, source)]
    return [{key: point[key] for key in keys} for point in points]
