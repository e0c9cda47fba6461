"""`python -m fakeid.demo_timing started=T reference=BENCH.json`: where `make demo`'s wall time went.

Reads the runs of the demo's sweeps (each `metrics.json` `timing`: training-step seconds, steps and images,
from `fakeid.training.callbacks.TrainStepTimer`) and the reference unit that `python -m fakeid.bench parts=[reference]`
measured just before, and writes (`out`) and prints:
- `wall_time_s`: from `started` to now;
- `train_step_s`, `train_images`: summed over the runs that finished during this demo (a `metrics.json`
  written before `started` belongs to an earlier demo: those runs are counted in `runs.before_start` and left
  out, and so are runs without a `timing` entry, counted in `runs.without_timing`);
- `efficiency.train_step_share`: `train_step_s / (jobs x wall_time_s)`, the share of the workers' time spent
  in training steps (the issue's goal: >= 0.8);
- `efficiency.wall_over_reference`: `wall_time_s / (train_images / parallel reference rate)`, the wall time
  over the time the reference loop would take to train on as many images (goal: <= 1.25). The parallel
  reference rate is the all-threads rate for one job at a time, and `jobs` x the one-thread rate for several
  (each job one torch thread, as the parallel launcher gives two jobs on two cores).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from fakeid.analysis.collect import read_multirun, read_run_record
from fakeid.core.errors import FakeidError
from fakeid.runs.files import MULTIRUN_FILE
from fakeid.runs.record import find_metrics_files

GOALS = {"train_step_share": 0.8, "wall_over_reference": 1.25}  # issue 23


def read_reference(path: Path) -> dict[str, Any]:
    """The `reference` part of a fakeid.benchmark.speed JSON, with when the file was written."""
    try:
        bench = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise FakeidError(f"reference={path}: unreadable fakeid.benchmark.speed JSON ({err})".splitlines()[0]) from None
    reference = bench.get("reference") if isinstance(bench, dict) else None
    if not isinstance(reference, dict) or not all(
        isinstance(reference.get(f"{name}_images_per_s"), (int, float)) for name in ("one_thread", "all_threads")
    ):
        raise FakeidError(
            f"reference={path}: no reference part in it; expected the JSON of python -m fakeid.bench "
            f"parts=[reference] out={path}"
        )
    return {
        "file": str(path),
        "measured_at": iso(path.stat().st_mtime),
        "one_thread_images_per_s": reference["one_thread_images_per_s"],
        "all_threads_images_per_s": reference["all_threads_images_per_s"],
        "threads": reference.get("threads"),
        "loop": reference.get("loop"),
        "load_average_start": bench.get("load_average_start"),
    }


def sweep_jobs(sweep_dir: Path) -> int:
    """Jobs the sweep ran side by side: its launcher's n_jobs (the parallel launcher), else 1."""
    if not (sweep_dir / MULTIRUN_FILE).is_file():
        return 1
    return int((read_multirun(sweep_dir).get("launcher") or {}).get("n_jobs") or 1)


def sweep_timing(sweep_dir: Path, started: float) -> dict[str, Any]:
    """The sums of one sweep's runs that finished after `started`, and what was left out."""
    if not sweep_dir.is_dir():
        raise FakeidError(f"sweeps: {sweep_dir} is not a folder; expected a sweep folder of the demo")
    summary: dict[str, Any] = {"runs": 0, "before_start": 0, "without_timing": 0, "failed": 0}
    summary.update(train_step_s=0.0, train_steps=0, train_images=0, run_wall_time_s=0.0, jobs=sweep_jobs(sweep_dir))
    for path in find_metrics_files(sweep_dir):
        if path.stat().st_mtime < started:
            summary["before_start"] += 1
            continue
        record = read_run_record(path)
        timing = record.timing
        if not isinstance(timing, dict) or "train_step_s" not in timing:
            summary["without_timing"] += 1
            continue
        summary["runs"] += 1
        summary["failed"] += record.status != "ok"
        summary["train_step_s"] += float(timing["train_step_s"])
        summary["train_steps"] += int(timing["train_steps"])
        summary["train_images"] += int(timing["train_images"])
        summary["run_wall_time_s"] += float(record.wall_time_s or 0)
    return summary


def iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat(timespec="seconds")


def demo_timing(sweeps: Sequence[Path], started: float, reference: dict, jobs: int | None = None) -> dict[str, Any]:
    """The figures of the module docstring; `jobs` None: the largest of the sweeps' own."""
    ended = time.time()
    if started > ended:
        raise FakeidError(f"started={started}: later than now ({ended:.0f}); expected the demo's start time")
    per_sweep = {str(sweep): sweep_timing(sweep, started) for sweep in sweeps}
    jobs = jobs or max(summary["jobs"] for summary in per_sweep.values())
    totals = {
        key: sum(summary[key] for summary in per_sweep.values())
        for key in ("runs", "before_start", "without_timing", "failed", "train_step_s", "train_steps", "train_images")
    }
    wall, steps = round(ended - started, 3), round(totals["train_step_s"], 3)  # the efficiency from the figures shown
    parallel = reference["all_threads_images_per_s"] if jobs == 1 else jobs * reference["one_thread_images_per_s"]
    reference_s = totals["train_images"] / parallel
    return {
        "started": iso(started),
        "ended": iso(ended),
        "wall_time_s": wall,
        "train_step_s": steps,
        "train_steps": totals["train_steps"],
        "train_images": totals["train_images"],
        "jobs": jobs,
        "runs": {key: totals[key] for key in ("runs", "before_start", "without_timing", "failed")},
        "sweeps": per_sweep,
        "reference": reference,
        "parallel_reference_images_per_s": parallel,
        "parallel_reference_basis": "all_threads" if jobs == 1 else f"{jobs} x one_thread",
        "reference_train_s": round(reference_s, 3),
        "efficiency": {
            "train_step_share": steps / (jobs * wall) if wall > 0 else None,
            "wall_over_reference": wall / reference_s if reference_s > 0 else None,
        },
        "goals": GOALS,
    }


def summary_lines(result: dict[str, Any]) -> list[str]:
    runs, efficiency = result["runs"], result["efficiency"]
    lines = [
        f"fakeid.demo_timing: wall {result['wall_time_s']:.0f} s; {runs['runs']} runs: {result['train_step_s']:.0f} s "
        f"in training steps ({result['jobs']} at a time), {result['train_images']} training images"
    ]
    if efficiency["wall_over_reference"] is None:
        lines.append(
            f"fakeid.demo_timing: no run finished during this demo ({runs['before_start']} before it, "
            f"{runs['without_timing']} without timing): nothing to compare with the reference"
        )
    else:
        lines.append(
            f"fakeid.demo_timing: training steps {100 * efficiency['train_step_share']:.0f}% of the workers' time "
            f"(goal >= {100 * GOALS['train_step_share']:.0f}%); wall / reference time "
            f"{efficiency['wall_over_reference']:.2f} (goal <= {GOALS['wall_over_reference']}; reference "
            f"{result['parallel_reference_images_per_s']:.1f} img/s, {result['parallel_reference_basis']})"
        )
    skipped = runs["before_start"] + runs["without_timing"]
    if skipped:
        lines.append(
            f"fakeid.demo_timing: left out {runs['before_start']} runs finished before this demo and "
            f"{runs['without_timing']} without a timing entry"
        )
    return lines
