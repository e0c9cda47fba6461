"""What `python -m fakeid.eval` does with its config: one evaluation, or a robustness grid over a sweep.

    run=RUN_DIR | ckpt=PATH [threshold=T]      one evaluation into the command's Hydra run folder
    +experiment=robustness sweep=SWEEP_DIR     every ok run of a finished training sweep x every level of
                                               `levels`, into outputs/evals/<experiment_name>/<sweep name>/

A grid loads each checkpoint once and evaluates all its levels with it; `jobs=N` evaluates N runs at a
time, each in a joblib worker process with cpu_count // N torch threads (as `launcher=parallel` does for
training sweeps). Each (run, level) folder is bookkept like a training job (`fakeid.runs.lifecycle`): done ones are
skipped, failed ones are recorded and the grid goes on; the command exits 1 when any failed, listing them.
A run that finished ok but kept no weights (`keep_checkpoints=none`) cannot be evaluated: it is named in one
line, counted in the summary and listed in eval_grid.json with status "no weights", not failed on every rerun.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import sys
from pathlib import Path
from typing import Any

from fakeid.core.atomic import write_json_atomically
from fakeid.core.configs import EvalConfig
from fakeid.core.devices import torch_device
from fakeid.core.errors import FakeidError
from fakeid.data.cache import default_cache_dir
from fakeid.data.perturb import Perturbation, level_id, make
from fakeid.evaluation import job
from fakeid.runs.failures import FailedJob, listing, recorded_failure
from fakeid.runs.files import EVAL_GRID_FILE
from fakeid.runs.lifecycle import recorded, run_once
from fakeid.runs.record import RunRecord, find_metrics_files, given, read_record
from fakeid.runs.trained import TrainedDetector, from_run, kept_no_weights, resolve

log = logging.getLogger("fakeid.eval")
NO_WEIGHTS = "no weights"  # an ok training run that kept no checkpoint (keep_checkpoints=none)
NO_WEIGHTS_WHY = "no weights: the run kept no checkpoint (keep_checkpoints=none); retrain it to evaluate it"


def perturbation_of(settings: dict[str, Any], seed: int) -> Perturbation:
    settings = dict(settings)
    name = settings.pop("name", None)
    if name is None:
        raise FakeidError(f"a perturbation needs a name: {settings}")
    return make(name, seed=seed, **settings)


def eval_data(cfg: EvalConfig, trained: TrainedDetector) -> job.EvalData:
    """The evaluation's data settings: the config's where given, else the training run's."""
    h, d = trained.hparams, cfg.data
    root = d.root or h.get("data.root")
    if not root:
        raise FakeidError("data.root must be set: the checkpoint's training root is unknown (pass data.root=ROOT)")
    cache = d.cache_dir or default_cache_dir(root) if d.cache else None
    return job.EvalData(
        root=Path(str(root)).expanduser().resolve(),
        test_per_class=int(d.test_per_class or h.get("data.test_per_class") or 2000),
        split_seed=int(d.split_seed if d.split_seed is not None else h.get("data.split_seed", 0)),
        image_size=int(d.image_size or trained.image_size),
        sets=tuple(cfg.sets) if cfg.sets else None,
        batch_size=int(d.eval_batch_size),
        num_workers=int(d.num_workers),
        cache_dir=Path(str(cache)) if cache else None,
        strict=bool(d.strict),
        small_images=str(d.small_images or h.get("data.small_images") or "enlarge"),
        fit=trained.fit,
    )


def precision_of(cfg: EvalConfig, trained: TrainedDetector) -> str:
    return str(cfg.precision or trained.hparams.get("trainer.precision") or "32-true")


def prepared(
    cfg: EvalConfig, trained: TrainedDetector, level: dict[str, Any], overrides: list[str]
) -> tuple[RunRecord, job.EvalData, Perturbation, str]:
    """One evaluation before it runs: its result (metrics.json), data settings, perturbation and precision.

    The perturbation's random stream (noise) is seeded by the evaluation's split_seed and each file's path."""
    data, precision = eval_data(cfg, trained), precision_of(cfg, trained)
    perturbation = perturbation_of(level, data.split_seed)
    hparams = job.eval_hparams(trained, data, perturbation, precision, trained.threshold)
    result = RunRecord(
        hparams=hparams,
        overrides=overrides,
        config_hash=job.eval_identity(trained, hparams),
        kind="eval",
        source={
            "run": str(trained.run_dir) if trained.run_dir else None,
            "ckpt": str(trained.checkpoint),
            "config_hash": trained.config_hash,
        },
        perturbation=perturbation.describe(),
        threshold=trained.threshold,
    )
    return result, data, perturbation, precision


def evaluate_one(cfg: EvalConfig, out_dir: Path, overrides: list[str]) -> RunRecord:
    """`run=`/`ckpt=`: one evaluation into `out_dir`; bad input is recorded there and exits 2."""
    result = RunRecord(overrides=overrides, kind="eval", source={"run": cfg.run, "ckpt": cfg.ckpt}, perturbation=None)
    with recorded(out_dir, result, multirun=False):
        level = dataclasses.asdict(cfg.perturb)
        perturbation_of(level, 0)  # a bad perturbation fails before the checkpoint is read
        trained = resolve(cfg.run, cfg.ckpt, cfg.threshold)
        device = torch_device(cfg.device)
        ready, data, perturbation, precision = prepared(cfg, trained, level, overrides)
        result.replace_with(ready)
        job.evaluate_into(result, out_dir, trained.load(), trained, data, perturbation, device, precision)
    return result


def sweep_jobs(sweep_dir: Path) -> list[tuple[str, str]]:
    """(job folder relative to the sweep, status) of every job of a training sweep; an ok run that kept no
    weights has status `NO_WEIGHTS` (it cannot be evaluated: skipped and counted, not failed every time)."""
    if not sweep_dir.is_dir():
        raise FakeidError(f"sweep={sweep_dir} is not a folder (a training sweep folder was expected)")
    jobs = []
    for path in find_metrics_files(sweep_dir):
        record = read_record(path) or RunRecord.from_dict({})
        if given(record.kind, "train") == "train":
            status = str(given(record.status))
            if status == "ok" and kept_no_weights(record):
                status = NO_WEIGHTS
            jobs.append((str(path.parent.relative_to(sweep_dir)), status))
    if not jobs:
        raise FakeidError(f"sweep={sweep_dir} holds no training runs (no metrics.json below it)")
    return jobs


def grid_levels(cfg: EvalConfig) -> list[dict[str, Any]]:
    """The grid's levels as plain dicts, each checked before any work starts."""
    if not cfg.levels:
        raise FakeidError("sweep= needs a list of perturbation levels: use +experiment=robustness (or levels=[...])")
    levels = list(cfg.levels)
    for level in levels:
        perturbation_of(level, 0)
    return levels


def in_parallel(function, args: list[tuple], jobs: int) -> list:
    """`function(*a)` for every `a` of `args`: in this process when `jobs` is 1, else `jobs` at a time in
    joblib's worker processes (loky), which give each worker cpu_count // jobs torch threads."""
    if jobs == 1 or len(args) < 2:
        return [function(*a) for a in args]
    from joblib import Parallel, delayed

    return Parallel(n_jobs=min(jobs, len(args)), backend="loky")(delayed(function)(*a) for a in args)


def evaluate_run_levels(
    cfg: EvalConfig, run_dir: Path, out_dir: Path, levels: list[dict[str, Any]], overrides: list[str], device
) -> list[FailedJob]:
    """Every level of one source run; the checkpoint is loaded once, and only if a level is not done yet.
    Returns the failed ones (a source run that cannot be read: one failure, nothing written for it)."""
    if not logging.root.handlers:  # a worker process of `jobs=N`: Hydra configured logging only in the parent
        logging.basicConfig(level=logging.INFO, format="[%(asctime)s][%(name)s][%(levelname)s] - %(message)s")
    log.info("evaluating %s at %d levels", run_dir, len(levels))
    try:
        trained = from_run(run_dir, cfg.threshold)
    except FakeidError as err:
        print(f"fakeid: error: {err}", file=sys.stderr)
        return [FailedJob(run_dir, f"not evaluated: {err}")]  # nothing was written for this run
    failed: list[FailedJob] = []
    loaded: dict[str, Any] = {}
    for level in levels:
        result, data, perturbation, precision = prepared(cfg, trained, level, overrides)
        level_dir = out_dir / perturbation.key

        def body(into: RunRecord, perturbation=perturbation, data=data, precision=precision, level_dir=level_dir):
            if "detector" not in loaded:
                loaded["detector"] = trained.load()
            job.evaluate_into(into, level_dir, loaded["detector"], trained, data, perturbation, device, precision)

        done = run_once(level_dir, result, body, multirun=True, data_identity=functools.partial(job.identity, data))
        failure = recorded_failure(level_dir, done)
        if failure is not None:
            failed.append(failure)
    return failed


def evaluate_grid(cfg: EvalConfig, overrides: list[str]) -> Path:
    sweep_dir = Path(str(cfg.sweep)).expanduser().resolve()
    levels, device, n_jobs = grid_levels(cfg), torch_device(cfg.device), cfg.jobs
    jobs = sweep_jobs(sweep_dir)
    out_root = Path(str(cfg.paths.outputs)).expanduser().resolve() / "evals" / cfg.experiment_name / sweep_dir.name
    write_json_atomically(
        out_root / EVAL_GRID_FILE,
        {
            "kind": "eval_grid",
            "sweep": str(sweep_dir),
            "experiment_name": cfg.experiment_name,
            "levels": [make(**level).describe() for level in levels],
            "level_ids": [level_id(make(**level).describe()) for level in levels],
            "runs": [{"run_dir": rel, "status": status} for rel, status in jobs],
        },
    )
    for rel, status in jobs:
        if status == NO_WEIGHTS:
            print(f"fakeid: note: not evaluated: {sweep_dir / rel} ({NO_WEIGHTS_WHY})", file=sys.stderr)
        elif status != "ok":
            log.warning("not evaluated: %s (status %s)", sweep_dir / rel, status)
    todo = [rel for rel, status in jobs if status == "ok"]
    args = [(cfg, sweep_dir / rel, out_root / rel, levels, overrides, device) for rel in todo]
    failed = [failure for failures in in_parallel(evaluate_run_levels, args, n_jobs) for failure in failures]
    if failed:
        print(listing(f"fakeid: {len(failed)} evaluations failed:", failed), file=sys.stderr)
        raise SystemExit(1)
    skipped = sum(s == NO_WEIGHTS for _, s in jobs)
    print(
        f"evaluated {sum(s == 'ok' for _, s in jobs)} runs x {len(levels)} levels into {out_root}"
        + (f"; skipped {skipped} runs without weights (keep_checkpoints=none)" if skipped else ""),
        file=sys.stderr,
    )
    return out_root
