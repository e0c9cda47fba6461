"""Write a synthetic Hydra sweep folder (multirun.yaml + one metrics.json per job) for unit tests.

The multirun.yaml keeps the structure Hydra 1.3.8 writes (captured from a real `-m` run; the help
templates are left out), and the jobs are laid out as BasicSweeper launches them: sweeper params first,
then task overrides, cartesian product in that order, job folders `0..N-1`. Numbers are seeded-random
but plausible: accuracy on unseen content rises with the number of categories and peaks at dropout 0.5.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from fakeid.data.layout import HOLDOUT, PAPER_MIXING_ORDER, UNSEEN_GENERATOR, UNSEEN_GENERATOR_CATEGORIES

CATEGORY_ORDER = PAPER_MIXING_ORDER  # the vocabulary has one home: fakeid.data.layout
UNSEEN_GENERATOR_SETS = tuple((UNSEEN_GENERATOR, category) for category in UNSEEN_GENERATOR_CATEGORIES)
DEFAULTS = {"data.num_categories": 3, "model.drop_rate": 0.5, "seed": 0}
EXPERIMENT = "fake"
DATA_ROOT = "/data/fake_benchmark"
FAIL_ERROR = "RuntimeError: CUDA out of memory (fake)"


@dataclass
class FakeJob:
    index: int
    run_dir: Path
    point: dict[str, Any]
    status: str  # "ok" | "failed" | "missing"


@dataclass
class FakeSweep:
    path: Path
    jobs: list[FakeJob]


def _sweep_string(values: Sequence[Any] | range) -> str:
    if isinstance(values, range):
        return (
            f"range({values.start},{values.stop})"
            if values.step == 1
            else f"range({values.start},{values.stop},{values.step})"
        )
    return ",".join(str(value) for value in values)


def _multirun_yaml(sweep_dir: Path, params: dict[str, str], task: list[str]) -> dict[str, Any]:
    return {
        "hydra": {
            "run": {"dir": "outputs/${now:%Y-%m-%d}/${now:%H-%M-%S}"},
            "sweep": {"dir": str(sweep_dir), "subdir": "${hydra.job.num}"},
            "launcher": {"_target_": "hydra._internal.core_plugins.basic_launcher.BasicLauncher"},
            "sweeper": {
                "_target_": "hydra._internal.core_plugins.basic_sweeper.BasicSweeper",
                "max_batch_size": None,
                "params": params,
            },
            "env": {},
            "mode": "MULTIRUN",
            "searchpath": [],
            "callbacks": {},
            "output_subdir": ".hydra",
            "overrides": {"hydra": [f"hydra.sweep.dir={sweep_dir}"], "task": task},
            "job": {
                "name": "train",
                "chdir": None,
                "override_dirname": ",".join(sorted(task)),
                "id": "???",
                "num": "???",
                "config_name": "train",
                "env_set": {},
                "env_copy": [],
                "config": {"override_dirname": {"kv_sep": "=", "item_sep": ",", "exclude_keys": []}},
            },
            "runtime": {
                "version": "1.3.8",
                "version_base": "1.3",
                "cwd": str(sweep_dir.parent),
                "output_dir": "???",
                "choices": {"experiment": EXPERIMENT, "hydra/sweeper": "basic", "hydra/launcher": "basic"},
            },
            "verbose": False,
        },
        "data": {"root": DATA_ROOT, "num_categories": DEFAULTS["data.num_categories"], "image_size": 64},
        "model": {"name": "legacy_xception", "drop_rate": DEFAULTS["model.drop_rate"]},
        "seed": DEFAULTS["seed"],
        "experiment": EXPERIMENT,
    }


def _clip(value: float) -> float:
    return round(float(min(1.0, max(0.0, value))), 4)


def _test_entries(num_categories: int, drop_rate: float, rng: np.random.Generator) -> list[dict[str, Any]]:
    used = set(CATEGORY_ORDER[:num_categories])
    sets = [("progan", category) for category in (*CATEGORY_ORDER, HOLDOUT)] + list(UNSEEN_GENERATOR_SETS)
    dropout_gain = 0.3 * drop_rate * (1.0 - drop_rate)
    entries = []
    for generator, category in sets:
        seen_generator, seen_category = generator == "progan", category in used
        if seen_category:
            quality = 0.95
        elif seen_generator:
            quality = 0.62 + 0.025 * num_categories + dropout_gain
        else:
            quality = 0.55 + 0.01 * num_categories + dropout_gain - (0.03 if category == "ffhq" else 0.0)
        real_acc = _clip(quality + 0.08 + rng.normal(0, 0.02))
        fake_acc = _clip(quality - 0.08 + rng.normal(0, 0.02))
        entries.append(
            {
                "set": f"{generator}/{category}",
                "generator": generator,
                "category": category,
                "seen_generator": seen_generator,
                "seen_category": seen_category,
                "n_real": 200,
                "n_fake": 200,
                "acc": round((real_acc + fake_acc) / 2, 4),
                "real_acc": real_acc,
                "fake_acc": fake_acc,
                "ap": _clip(quality + 0.2 + rng.normal(0, 0.02)),
                "auroc": _clip(quality + 0.18 + rng.normal(0, 0.02)),
                "acc_cal": _clip(quality + 0.06 + rng.normal(0, 0.02)),
            }
        )
    return entries


def _metrics(
    point: dict[str, Any], job_overrides: list[str], status: str, dataset_kind: str, rng: np.random.Generator
) -> dict[str, Any]:
    values = {**DEFAULTS, **point}
    num_categories = int(values["data.num_categories"])
    hparams = {
        "data.num_categories": num_categories,
        "data.categories_used": list(CATEGORY_ORDER[:num_categories]),
        "seed": int(values["seed"]),
    }
    if status == "ok":  # a failed run may carry partial hparams only
        hparams.update(
            {
                "model.name": str(values.get("model.name", "legacy_xception")),
                "model.drop_rate": float(values["model.drop_rate"]),
                "data.image_size": 64,
                "data.root": DATA_ROOT,
                "data.dataset_kind": dataset_kind,
                "experiment": EXPERIMENT,
                "versions.torch": "2.4.0",
                "versions.timm": "1.0.31",
            }
        )
    ok = status == "ok"
    return {
        "status": status,
        "error": None if ok else FAIL_ERROR,
        "hparams": hparams,
        "overrides": job_overrides,
        "config_hash": hashlib.sha1(" ".join(job_overrides).encode()).hexdigest()[:12],
        "threshold": round(float(rng.uniform(0.3, 0.7)), 4) if ok else None,
        "wall_time_s": round(float(rng.uniform(5, 50)), 2),
        "test": _test_entries(num_categories, float(values["model.drop_rate"]), rng) if ok else [],
    }


def write_fake_sweep(
    root: Path,
    grid: dict[str, Sequence[Any] | range] | None = None,
    task_sweeps: Iterable[str] = ("seed",),
    fail: Iterable[int] = (),
    missing: Iterable[int] = (),
    dataset_kind: str = "synthetic",
    seed: int = 0,
) -> FakeSweep:
    """Write `root/multirun.yaml` and jobs `root/<i>/metrics.json` for the cartesian product of `grid`.

    Keys in `task_sweeps` go on the command line (`hydra.overrides.task`, e.g. `seed=0,1`), the others into
    `hydra.sweeper.params` (a `range` becomes Hydra's `range(a,b)`). Jobs whose index is in `fail` write a
    failed metrics.json; those in `missing` write none (a hard crash).
    """
    grid = grid if grid is not None else {"data.num_categories": [1, 2, 3], "seed": [0, 1]}
    task_sweeps = set(task_sweeps)
    fail, missing = set(fail), set(missing)
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    params = {key: _sweep_string(values) for key, values in grid.items() if key not in task_sweeps}
    task_keys = [key for key in grid if key in task_sweeps]
    task = [
        f"+experiment={EXPERIMENT}",
        *(f"{key}={_sweep_string(grid[key])}" for key in task_keys),
        f"data.root={DATA_ROOT}",
    ]
    (root / "multirun.yaml").write_text(yaml.safe_dump(_multirun_yaml(root, params, task), sort_keys=False))

    ordered_keys = [*params, *task_keys]  # BasicSweeper's order: sweeper params, then the command line
    points = [
        dict(zip(ordered_keys, combo, strict=True)) for combo in _product([list(grid[key]) for key in ordered_keys])
    ]
    jobs = []
    for index, point in enumerate(points):
        run_dir = root / str(index)
        (run_dir / ".hydra").mkdir(parents=True, exist_ok=True)
        job_overrides = [f"{key}={point[key]}" for key in params] + [f"+experiment={EXPERIMENT}"]
        job_overrides += [f"{key}={point[key]}" for key in task_keys] + [f"data.root={DATA_ROOT}"]
        (run_dir / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(job_overrides))
        status = "missing" if index in missing else "failed" if index in fail else "ok"
        if status != "missing":
            rng = np.random.default_rng([seed, index])
            metrics = _metrics(point, job_overrides, status, dataset_kind, rng)
            (run_dir / "metrics.json").write_text(json.dumps(metrics, indent=2))
        jobs.append(FakeJob(index, run_dir, point, status))
    return FakeSweep(root, jobs)


def _product(axes: list[list[Any]]) -> list[tuple[Any, ...]]:
    combos: list[tuple[Any, ...]] = [()]
    for axis in axes:
        combos = [(*combo, value) for combo in combos for value in axis]
    return combos
