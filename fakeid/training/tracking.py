"""Experiment trackers, `logger=mlflow` and `logger=wandb`: a view of a run; its record stays metrics.json on disk.

Lightning's own MLFlowLogger and WandbLogger (the `[mlflow]`, `[wandb]` extras), with what a sweep needs added:
- names: a sweep is one MLflow experiment (one W&B group) named after the sweep folder, a run is named after
  its job folder; a single run goes to the experiment `experiment_name`;
- the tracker's run id is written into the run folder (`tracker.json`) as soon as the tracker opens the run, and
  into its record (`trackers`), so the two can be joined; a resumed run (a requeued SLURM job) reopens that run
  instead of starting a second one (a run moved aside takes its tracker.json with it: a new experiment, a new run);
- params: the run's identity hparams (`fakeid.runs.identity.deciding`), not Lightning's module hparams;
- after metrics.json is written, `publish` logs every test set's final metrics (`test/<set>/<metric>`), the
  threshold, and metrics.json and scores.csv as artifacts, and closes the tracker run with the run's status;
- a tracker that is down or unreachable costs one warning line per run and is left alone for the rest of it:
  the run, and its results on disk, never depend on it.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import math
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from lightning_fabric.loggers.logger import _DummyExperiment, rank_zero_experiment
from pytorch_lightning.loggers import Logger, MLFlowLogger, WandbLogger

from fakeid.core.atomic import write_json_atomically
from fakeid.core.errors import FakeidError
from fakeid.core.metric_names import CALIBRATION_METRICS, TEST_METRICS
from fakeid.runs.files import METRICS_FILE, SCORES_FILE, TRACKER_FILE
from fakeid.runs.identity import deciding
from fakeid.runs.record import UNSET, RunRecord, read_record

log = logging.getLogger("fakeid.train")
T = TypeVar("T")
THRESHOLD_METRIC = "threshold"  # the validation-calibrated threshold, beside the test metrics
# the run's status -> the tracker run's final state
MLFLOW_STATUS = {"ok": "FINISHED", "failed": "FAILED", "interrupted": "KILLED"}
_OPEN: dict[Path, list[Tracked]] = {}  # the tracker runs this process opened, per run folder, until published


def sweep_names(run_dir: Path, experiment_name: str) -> tuple[str, str]:
    """(experiment, run name): the sweep folder's name and the job folder's path in it for a job of a sweep
    (Hydra's multirun), `experiment_name` and the run folder's name for a single run."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    if HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN:
        sweep = Path(HydraConfig.get().sweep.dir).resolve()
        try:
            return sweep.name, str(run_dir.resolve().relative_to(sweep))
        except ValueError:  # a job folder outside its sweep folder (a custom hydra.sweep.subdir)
            return sweep.name, run_dir.name
    return experiment_name, run_dir.name


def identity_params(record: RunRecord) -> dict[str, str]:
    """The keys that make the run the experiment it is, as strings (trackers' params are strings)."""
    hparams = deciding(record.hparams or {})
    return {key: json.dumps(value) if isinstance(value, list) else str(value) for key, value in hparams.items()}


def final_metrics(record: RunRecord) -> dict[str, float]:
    """`test/<set>/<metric>` for every test set and metric metrics.json holds (NaN and null left out), and the
    threshold: the numbers a tracker shows are the record's, nothing recomputed."""
    metrics: dict[str, float] = {}
    for entry in record.test or []:
        for name in (*TEST_METRICS, *CALIBRATION_METRICS):
            value = entry.get(name)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
                metrics[f"test/{entry['set']}/{name}"] = float(value)
    if isinstance(record.threshold, (int, float)):
        metrics[THRESHOLD_METRIC] = float(record.threshold)
    return metrics


def read_tracker_file(run_dir: Path) -> dict[str, Any]:
    try:
        stored = json.loads((run_dir / TRACKER_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return stored if isinstance(stored, dict) else {}


class Tracked:
    """What both trackers add to Lightning's logger (module docstring). Mixed in before the Lightning class."""

    tracker = ""  # mlflow, wandb: the key in tracker.json and in the record's `trackers`
    _run_dir: Path | None = None
    _record: RunRecord | None = None
    _down = False

    def bind(self, run_dir: Path, record: RunRecord, experiment_name: str) -> None:
        """Make this logger the run's: its names, its params, and the tracker run to reopen when it resumes."""
        self._run_dir, self._record = run_dir, record
        experiment, run_name = sweep_names(run_dir, experiment_name)
        previous = read_tracker_file(run_dir).get(self.tracker) or {}
        self._name_run(experiment, run_name, previous if previous.get("where") == self.where() else {})

    def where(self) -> str:
        """The tracker's address: a run id is reopened only on the tracker that made it."""
        raise NotImplementedError

    def _name_run(self, experiment: str, run_name: str, previous: dict[str, Any]) -> None:
        raise NotImplementedError

    def _opened(self, entry: dict[str, Any]) -> None:
        """The tracker run exists: its id into tracker.json and the record, at once (a requeue finds it)."""
        if self._run_dir is None or self._record is None:
            return
        entry = {"where": self.where(), **entry}
        stored = read_tracker_file(self._run_dir)
        stored[self.tracker] = entry
        write_json_atomically(self._run_dir / TRACKER_FILE, stored)
        self._record.trackers = {**(self._record.trackers or {}), self.tracker: entry}
        _OPEN.setdefault(self._run_dir, []).append(self)

    def _guard(self, action: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        """`action`, or nothing once the tracker failed: the first failure is one warning line, then silence."""
        if self._down:
            return None
        try:
            return action(*args, **kwargs)
        except Exception as err:  # noqa: BLE001 - any tracker failure: the run goes on without it
            self._down = True
            why = f"{type(err).__name__}: {err}".splitlines()[0][:300]
            where = self._run_dir or "this run"
            print(
                f"fakeid: warning: {self.tracker} tracker at {self.where()} failed ({why}); {where} goes on "
                "without it, its results are on disk",
                file=sys.stderr,
            )
            if self._record is not None:
                entry = (self._record.trackers or {}).get(self.tracker) or {"where": self.where()}
                self._record.trackers = {**(self._record.trackers or {}), self.tracker: {**entry, "warning": why}}
            return None

    @property
    @rank_zero_experiment
    def experiment(self) -> Any:
        """The tracker's run, opened at first use (Lightning asks for it as the fit starts); a do-nothing
        stand-in once the tracker failed, so that no call of Lightning's reaches it again."""
        if self._down:
            return _DummyExperiment()
        opened = self._guard(self._open)
        return _DummyExperiment() if opened is None else opened

    def _open(self) -> Any:
        raise NotImplementedError

    # Lightning's calls, each guarded
    def log_hyperparams(self, params: Any, *args: Any, **kwargs: Any) -> None:
        """The run's identity hparams, whatever Lightning passes (the module's own hparams)."""
        chosen = identity_params(self._record) if self._record is not None else params
        self._guard(super().log_hyperparams, chosen, *args, **kwargs)  # type: ignore[misc]  # super(): the Lightning logger this mixin precedes

    def log_metrics(self, metrics: Any, step: int | None = None) -> None:
        self._guard(super().log_metrics, metrics, step)  # type: ignore[misc]  # super(): the Lightning logger this mixin precedes

    def log_graph(self, *args: Any, **kwargs: Any) -> None:
        self._guard(super().log_graph, *args, **kwargs)  # type: ignore[misc]  # super(): the Lightning logger this mixin precedes

    def save(self) -> None:
        self._guard(super().save)  # type: ignore[misc]  # super(): the Lightning logger this mixin precedes

    def finalize(self, status: str = "success") -> None:
        self._guard(super().finalize, status)  # type: ignore[misc]  # super(): the Lightning logger this mixin precedes

    def after_save_checkpoint(self, checkpoint_callback: Any) -> None:
        self._guard(super().after_save_checkpoint, checkpoint_callback)  # type: ignore[misc]  # super(): the Lightning logger this mixin precedes

    def publish(self, record: RunRecord) -> None:
        """The run's final numbers and files, and its status; `record` is the metrics.json just written."""
        raise NotImplementedError


def require_extra(module: str) -> None:
    """A missing tracker package is a setting to fix before the run, not a tracker that is down."""
    if importlib.util.find_spec(module) is None:
        raise FakeidError(f"logger={module} needs the {module} package: pip install -e '.[{module}]'")


class TrackedMLFlowLogger(Tracked, MLFlowLogger):
    """`logger=mlflow`: Lightning's MLFlowLogger, one MLflow experiment per sweep (module docstring)."""

    tracker = "mlflow"

    def __init__(
        self, tracking_uri: str, experiment_name: str | None = None, http_retries: int = 2, http_timeout_s: int = 10
    ) -> None:
        require_extra("mlflow")
        # MLflow retries a failed request for minutes by default: a tracker that is down would stall every run
        os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = str(http_retries)
        os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] = str(http_timeout_s)
        super().__init__(experiment_name=experiment_name or "fakeid", tracking_uri=tracking_uri)
        self._fixed_experiment = experiment_name

    def where(self) -> str:
        return str(self._tracking_uri)

    def _name_run(self, experiment: str, run_name: str, previous: dict[str, Any]) -> None:
        self._experiment_name = self._fixed_experiment or experiment
        self._run_name = run_name
        self._run_id = previous.get("run_id")
        self.tags = {"fakeid.run_dir": str(self._run_dir), "fakeid.config_hash": str(self._record.config_hash)}  # type: ignore[union-attr]  # bound

    def _open(self) -> Any:
        if self._initialized:
            return self._mlflow_client
        resumed = self._run_id
        if resumed is not None:
            from mlflow.exceptions import MlflowException

            try:
                self._mlflow_client.get_run(resumed)
            except MlflowException as err:  # gone from the tracker (a reset server): a new run
                if getattr(err, "error_code", "") != "RESOURCE_DOES_NOT_EXIST":
                    raise
                self._run_id = resumed = None
        client = MLFlowLogger.experiment.fget(self)  # type: ignore[attr-defined]  # a property under Lightning's decorator
        if resumed is not None:
            client.update_run(resumed, status="RUNNING")
        self._opened(
            {
                "experiment": self._experiment_name,
                "experiment_id": self._experiment_id,
                "run_id": self._run_id,
                "run_name": self._run_name,
                "resumed": resumed is not None,
            }
        )
        return client

    @property
    def name(self) -> str | None:
        return self._guard(MLFlowLogger.name.fget, self)  # type: ignore[attr-defined]  # a property of the logger

    @property
    def version(self) -> str | None:
        return self._guard(MLFlowLogger.version.fget, self)  # type: ignore[attr-defined]  # a property of the logger

    def publish(self, record: RunRecord) -> None:
        from mlflow.entities import Metric

        client, run_id = self.experiment, self._run_id
        step = int(record.epochs_trained) if isinstance(record.epochs_trained, int) else 0
        stamp = int((record.wall_time_s or 0) * 1000)
        metrics = [Metric(key, value, stamp, step) for key, value in final_metrics(record).items()]
        for start in range(0, len(metrics), 1000):  # MLflow takes at most 1000 metrics a batch
            client.log_batch(run_id, metrics=metrics[start : start + 1000])
        client.set_tag(run_id, "fakeid.status", str(record.status))
        for name in (METRICS_FILE, SCORES_FILE):
            if (self._run_dir / name).is_file():  # type: ignore[operator]  # bound before publish
                client.log_artifact(run_id, str(self._run_dir / name))  # type: ignore[operator]  # bound
        client.set_terminated(run_id, MLFLOW_STATUS.get(str(record.status), "FAILED"))


class TrackedWandbLogger(Tracked, WandbLogger):
    """`logger=wandb`: Lightning's WandbLogger, one W&B group per sweep in `project` (module docstring).
    `WANDB_MODE=offline` keeps the run under the run folder's wandb/ for `wandb sync` (a cluster without
    network)."""

    tracker = "wandb"

    def __init__(self, project: str, save_dir: str, entity: str | None = None, group: str | None = None) -> None:
        require_extra("wandb")
        super().__init__(project=project, save_dir=save_dir, entity=entity)
        self._fixed_group = group

    def where(self) -> str:
        return f"{self._wandb_init.get('entity') or ''}/{self._project}"

    def _name_run(self, experiment: str, run_name: str, previous: dict[str, Any]) -> None:
        self._wandb_init.update(
            name=run_name, group=self._fixed_group or experiment, id=previous.get("run_id"), resume="allow"
        )
        self._name, self._id = run_name, previous.get("run_id")

    def _open(self) -> Any:
        if self._experiment is not None:
            return self._experiment
        import wandb

        if wandb.run is not None:  # a run left open by an earlier job of this process: never reuse it
            wandb.finish()
        run = WandbLogger.experiment.fget(self)  # type: ignore[attr-defined]  # a property under Lightning's decorator
        self._opened(
            {
                "experiment": run.group,
                "run_id": run.id,
                "run_name": run.name,
                "resumed": bool(self._id),
                "mode": str(getattr(run.settings, "mode", "")),
                "dir": str(run.dir),
            }
        )
        return run

    @property
    def version(self) -> str | None:
        return self._guard(WandbLogger.version.fget, self)  # type: ignore[attr-defined]  # a property of the logger

    def publish(self, record: RunRecord) -> None:
        run = self.experiment
        run.log(final_metrics(record))
        run.summary["fakeid.status"] = str(record.status)
        for name in (METRICS_FILE, SCORES_FILE):
            if (self._run_dir / name).is_file():  # type: ignore[operator]  # bound before publish
                run.save(str(self._run_dir / name), base_path=str(self._run_dir), policy="now")  # type: ignore[operator]  # bound
        run.finish(exit_code=0 if record.status == "ok" else 1)


def bind_trackers(loggers: list[Logger], run_dir: Path, record: RunRecord | None, experiment_name: str) -> None:
    """Give each tracker among a trainer's loggers its run folder and record (`Tracked.bind`)."""
    for each in loggers:
        if isinstance(each, Tracked) and record is not None:
            each.bind(run_dir, record, experiment_name)


def publish(run_dir: Path) -> None:
    """After metrics.json is written: each tracker run this process opened for `run_dir` gets the run's final
    numbers, files and status (a failure: the tracker's one warning line). Nothing for a run that opened none
    (skipped, refused, or its tracker already down)."""
    trackers = _OPEN.pop(run_dir, [])
    record = read_record(run_dir) if trackers else None
    for tracker in trackers:
        if record is not None and record.status is not UNSET:
            tracker._guard(tracker.publish, record)
