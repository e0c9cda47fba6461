"""The figures and the report of a tracked sweep, uploaded to its tracker beside its runs.

A sweep trained with `logger=mlflow` or `logger=wandb` left the tracker's address and experiment in each job
folder's `tracker.json` (fakeid.training.tracking). `fakeid.figures` and `fakeid.report` pointed at such a sweep
add what they wrote to the same experiment, as one run named after the command (`figures`, `report`; an MLflow
run of that name is reused, so a redrawn figure replaces nothing and lands beside the earlier ones; a W&B run
in the sweep's group). No tracker import here unless a sweep is tracked; a tracker that fails is one warning
line, never a failed command: the files on disk are the output.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path

from fakeid.runs.files import TRACKER_FILE
from fakeid.runs.record import find_metrics_files

KIND_TAG = "fakeid.kind"


def sweep_trackers(sweep_dirs: Iterable[Path]) -> dict[tuple[str, str, str], Path]:
    """(tracker, where, experiment) -> the sweep folder, for every tracker a job of these sweeps used."""
    found: dict[tuple[str, str, str], Path] = {}
    for sweep in sweep_dirs:
        for metrics in find_metrics_files(sweep) if Path(sweep).is_dir() else []:
            try:
                stored = json.loads((metrics.parent / TRACKER_FILE).read_text())
            except (OSError, ValueError):
                continue
            for tracker, entry in stored.items() if isinstance(stored, dict) else []:
                if isinstance(entry, dict) and entry.get("run_id") and entry.get("experiment"):
                    found.setdefault((tracker, str(entry.get("where")), str(entry["experiment"])), Path(sweep))
    return found


def files_written_since(folder: Path, started: float) -> list[Path]:
    """The files under `folder` written at or after `started` (time.time()): what the command just wrote."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.stat().st_mtime >= started)


def upload(sweep_dirs: Iterable[Path], files: list[Path], base: Path, kind: str) -> list[str]:
    """Upload `files` (paths kept relative to `base`) to each tracker of the sweeps; what was uploaded where."""
    done = []
    for (tracker, where, experiment), _sweep in sweep_trackers(sweep_dirs).items():
        if not files:
            continue
        try:
            (upload_mlflow if tracker == "mlflow" else upload_wandb)(where, experiment, files, base, kind)
            done.append(f"{tracker} {where} {experiment}/{kind}")
        except Exception as err:  # noqa: BLE001 - a tracker failure: the files are on disk
            why = f"{type(err).__name__}: {err}".splitlines()[0][:300]
            print(
                f"fakeid: warning: {tracker} tracker at {where} failed ({why}); the {kind} stay on disk only",
                file=sys.stderr,
            )
    return done


def upload_mlflow(where: str, experiment: str, files: list[Path], base: Path, kind: str) -> None:
    from mlflow import MlflowClient

    # as logger=mlflow's defaults (fakeid/conf/logger/mlflow.yaml): a dead server costs seconds, not minutes
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "10")
    client = MlflowClient(where)
    found = client.get_experiment_by_name(experiment)
    experiment_id = found.experiment_id if found is not None else client.create_experiment(experiment)
    runs = client.search_runs([experiment_id], filter_string=f"tags.`{KIND_TAG}` = '{kind}'", max_results=1)
    if runs:
        run_id = runs[0].info.run_id
    else:
        run_id = client.create_run(experiment_id, run_name=kind, tags={KIND_TAG: kind}).info.run_id
    for path in files:
        folder = path.parent.relative_to(base).as_posix() if path.parent != base else None
        client.log_artifact(run_id, str(path), artifact_path=f"{kind}/{folder}" if folder else kind)
    client.set_terminated(run_id, "FINISHED")


def upload_wandb(where: str, experiment: str, files: list[Path], base: Path, kind: str) -> None:
    import wandb

    entity, _, project = where.partition("/")
    run = wandb.init(
        project=project, entity=entity or None, group=experiment, name=kind, job_type=kind, dir=str(base),
        reinit="finish_previous",
    )  # fmt: skip
    for path in files:
        run.save(str(path), base_path=str(base), policy="now")
    run.finish()
