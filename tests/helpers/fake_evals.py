"""Write a synthetic evaluation folder of `python -m fakeid.eval +experiment=robustness` for unit tests.

It follows the contract `fakeid.analysis.collect` reads (see its module docstring): `EVALS/eval_grid.json` and one
`EVALS/<run_dir>/<level_id>/metrics.json` (with file_lists.csv beside it; no scores.csv, which a test that needs
one writes, since a header-only one is a corrupt file fakeid.analysis.scores refuses) per ok job of the
source sweep and level. Each evaluation copies its source run's hparams and test sets and lowers the metrics
by a seeded, level-dependent amount; one extra test set (`grip_pairs`) has unknown seen generator/category.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tests.helpers.fake_sweep import FAIL_ERROR, FakeSweep

DEFAULT_LEVELS: tuple[dict[str, Any], ...] = (
    {"name": "none"},
    {"name": "jpeg", "quality": 90},
    {"name": "jpeg", "quality": 50},
    {"name": "blur", "sigma": 1.0},
    {"name": "format", "format": "jpeg", "quality": 75},
)
UNKNOWN_SET = {"set": "grip_pairs", "generator": None, "category": None, "seen_generator": None, "seen_category": None}
EVAL_ROOT = "/data/fake_eval_benchmark"


@dataclass
class FakeEvaluation:
    run_dir: str  # of the source job, relative to the source sweep
    level_id: str
    path: Path  # the metrics.json (absent when status is "missing")
    status: str  # "ok" | "failed" | "missing"


@dataclass
class FakeEvals:
    path: Path
    source: FakeSweep
    level_ids: list[str]
    evaluations: list[FakeEvaluation]


def level_id(level: dict[str, Any]) -> str:
    """`none`, `jpeg_quality=95`, `format_format=jpeg,quality=75`: name, then its parameters in order."""
    params = [f"{key}={value}" for key, value in level.items() if key != "name"]
    return level["name"] if not params else f"{level['name']}_{','.join(params)}"


def _drop(level: dict[str, Any]) -> float:
    """How much a level lowers the metrics: more for lower quality and more blur."""
    if level["name"] == "jpeg":
        return 0.4 * (100 - level["quality"]) / 100
    if level["name"] == "blur":
        return 0.1 * level["sigma"]
    if level["name"] == "format":
        return 0.15
    return 0.0


def _entries(source_tests: Sequence[dict[str, Any]], level: dict[str, Any], rng: np.random.Generator) -> list[dict]:
    entries = []
    for entry in [*source_tests, {**source_tests[0], **UNKNOWN_SET}]:
        changed = dict(entry)
        for metric in ("acc", "real_acc", "fake_acc", "ap", "auroc", "acc_cal"):
            changed[metric] = round(float(np.clip(entry[metric] - _drop(level) + rng.normal(0, 0.03), 0, 1)), 4)
        changed["perturbation"] = dict(level)
        entries.append(changed)
    return entries


def _metrics(
    source_metrics: dict[str, Any], source_run: Path, level: dict[str, Any], status: str, rng: np.random.Generator
) -> dict[str, Any]:
    identity = level_id(level)
    ok = status == "ok"
    return {
        "kind": "eval",
        "status": status,
        "error": None if ok else FAIL_ERROR,
        "config_hash": hashlib.sha1(f"{source_run}|{identity}".encode()).hexdigest()[:12],
        "threshold": source_metrics["threshold"],
        "wall_time_s": round(float(rng.uniform(0.5, 3)), 2),
        "hparams": {**source_metrics["hparams"], "eval.data.root": EVAL_ROOT, "eval.perturbation": identity},
        "source": {
            "run": str(source_run),
            "ckpt": str(source_run / "checkpoints" / "tested.ckpt"),
            "config_hash": source_metrics["config_hash"],
        },
        "perturbation": dict(level),
        "overrides": [f"run={source_run}", f"perturbation={level['name']}"],
        "test": _entries(source_metrics["test"], level, rng) if ok else [],
    }


def write_fake_evals(
    evals_dir: Path,
    source: FakeSweep,
    levels: Sequence[dict[str, Any]] = DEFAULT_LEVELS,
    missing: Iterable[tuple[str, str]] = (),
    fail: Iterable[tuple[str, str]] = (),
    seed: int = 0,
) -> FakeEvals:
    """Evaluate every ok job of `source` at every level; (run_dir, level_id) pairs in `missing` write nothing,
    those in `fail` a failed metrics.json."""
    missing, fail = set(missing), set(fail)
    evals_dir = Path(evals_dir)
    evals_dir.mkdir(parents=True, exist_ok=True)
    ids = [level_id(level) for level in levels]
    runs = [{"run_dir": job.run_dir.name, "status": job.status} for job in source.jobs]
    grid = {
        "kind": "eval_grid",
        "sweep": str(source.path.resolve()),
        "experiment_name": "robustness",
        "levels": [dict(level) for level in levels],
        "level_ids": ids,
        "runs": runs,
    }
    (evals_dir / "eval_grid.json").write_text(json.dumps(grid, indent=2))
    evaluations = []
    for job_index, job in enumerate(source.jobs):
        if job.status != "ok":
            continue
        source_metrics = json.loads((job.run_dir / "metrics.json").read_text())
        for level_index, (level, identity) in enumerate(zip(levels, ids, strict=True)):
            pair = (job.run_dir.name, identity)
            folder = evals_dir / job.run_dir.name / identity
            status = "missing" if pair in missing else "failed" if pair in fail else "ok"
            if status != "missing":
                folder.mkdir(parents=True, exist_ok=True)
                rng = np.random.default_rng([seed, job_index, level_index])
                metrics = _metrics(source_metrics, job.run_dir.resolve(), level, status, rng)
                (folder / "metrics.json").write_text(json.dumps(metrics, indent=2))
                (folder / "file_lists.csv").write_text("split,set,class,path,status\n")
            evaluations.append(FakeEvaluation(job.run_dir.name, identity, folder / "metrics.json", status))
    return FakeEvals(evals_dir, source, ids, evaluations)
