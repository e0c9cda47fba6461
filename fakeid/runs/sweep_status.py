"""A sweep's outcome, for every launcher: a sweep with failed jobs exits non-zero and says which and where.

`SweepStatus` is a Hydra callback (registered in conf/hydra/default.yaml). When a multirun starts it notes
the job folders already in the sweep folder; when it ends it reads the `metrics.json` of every job folder
this sweep (re)started, prints one line per failed job with its error and where to read more
(`fakeid.runs.failures`), and exits 1.

`WaitForEveryJob` changes hydra-submitit-launcher's launchers (used by hydra_plugins/fakeid_launchers) in
two ways: a job that ended without a result (cancelled, killed, lost with its node) is recorded as failed
instead of stopping the sweep at the first such job while the others still run, and a submission the
cluster refuses (more CPUs, memory or GPUs than a node has, an unknown partition) stops at once with one
line.
"""

from __future__ import annotations

import contextlib
import io
import logging
import shutil
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from hydra.core.singleton import Singleton
from hydra.core.utils import JobReturn, JobStatus, filter_overrides
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from fakeid.core.errors import FakeidError, one_line_errors
from fakeid.runs.failures import FailedJob, folder_failure, listing
from hydra_plugins.hydra_submitit_launcher import submitit_launcher
from hydra_plugins.hydra_submitit_launcher.config import BaseQueueConf

log = logging.getLogger("fakeid.sweep")
# jobs a submitit launcher saw end without a result, in this process: their run folder (when known) -> why
_LOST: dict[Path | str, str] = {}


def job_dirs(sweep_dir: Path) -> dict[Path, int]:
    """Every job folder of the sweep folder (Hydra writes `.hydra/overrides.yaml` when a job starts), with
    the time that file was last written."""
    found = {}
    for marker in sweep_dir.rglob(".hydra/overrides.yaml"):
        if ".submitit" not in marker.parts:
            found[marker.parent.parent] = marker.stat().st_mtime_ns
    return found


def report(sweep_dir: Path, started: Sequence[Path], lost: dict[Path | str, str]) -> int:
    """Print what failed of the `started` job folders; the exit status the sweep should end with. A job the
    launcher saw end without a result is reported with SLURM's word for it, in place of what its folder says
    (and without a folder when it never made one)."""
    found = [FailedJob(run_dir, lost[run_dir]) if run_dir in lost else folder_failure(run_dir) for run_dir in started]
    never_started = [FailedJob(None, why) for where, why in lost.items() if where not in set(started)]
    failed = [job for job in found if job is not None] + never_started
    if not failed:
        log.info("sweep %s: %d jobs ok", sweep_dir, len(started))
        return 0
    total = len(started) + len(never_started)
    print(listing(f"fakeid: sweep {sweep_dir}: {len(failed)} of {total} jobs failed", failed), file=sys.stderr)
    return 1


class SweepStatus(Callback):
    """Exit 1 at the end of a multirun whose jobs did not all finish `ok`, listing the failed ones."""

    def __init__(self) -> None:
        self.before: dict[Path, int] = {}

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        _LOST.clear()
        self.before = job_dirs(Path(config.hydra.sweep.dir))

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        started = [d for d, written in sorted(job_dirs(sweep_dir).items()) if self.before.get(d) != written]
        code = report(sweep_dir, started, dict(_LOST))
        if code:
            raise SystemExit(code)


def refused(err: Exception, params: dict[str, Any]) -> FakeidError:
    """One line for a submission the cluster refused, naming what was asked."""
    reasons = list(
        dict.fromkeys(line.split("error:", 1)[1].strip() for line in str(err).splitlines() if "error:" in line)
    )
    asked = ", ".join(
        f"{key}={params.get(key)}"
        for key in ("partition", "tasks_per_node", "cpus_per_task", "mem_gb", "gpus_per_node", "timeout_min")
    )
    return FakeidError(
        f"the cluster refused the jobs: {'; '.join(reasons) or str(err).strip()} "
        f"(hydra.launcher: {asked}; set these keys for your cluster, see docs/clusters.md)"
    )


@contextlib.contextmanager
def unusable_launcher(executor: str) -> Iterator[None]:
    """One line when submitit cannot submit at all: SLURM's commands missing from PATH (submitit raises a
    RuntimeError without `srun`; a missing `sbatch` is an OSError), or the submission folder unwritable."""
    launcher = "slurm" if executor == "slurm" else "submitit_local"
    try:
        yield
    except (RuntimeError, OSError) as err:
        missing = (
            [command for command in ("srun", "sbatch") if shutil.which(command) is None] if launcher == "slurm" else []
        )
        why = (
            f"SLURM's {' and '.join(missing)} not on PATH: this machine is not a SLURM node; run the sweep from one, "
            "or use launcher=local or launcher=parallel here (docs/clusters.md)"
            if missing
            else f"{type(err).__name__}: {str(err).strip().splitlines()[0] if str(err).strip() else 'no message'}"
        )
        raise FakeidError(f"launcher={launcher} could not submit the jobs: {why}") from None


def lost_job(job: Any, overrides: Sequence[str], err: Exception) -> str:
    """One line for a job that ended without a result: SLURM's state for it, or the last line of the
    traceback submitit kept when the job raised outside fakeid's own error handling."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip().strip("-")]
    state = next((line for line in lines if "state:" in line), lines[-1] if lines else type(err).__name__)
    return f"SLURM job {job.job_id} ({' '.join(overrides)}): {state}; its log: {job.paths.stderr}"


class WaitForEveryJob(submitit_launcher.BaseSubmititLauncher):
    """hydra-submitit-launcher's `launch`, waiting for every job and recording the ones without a result."""

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        import submitit

        assert self.config is not None
        init_keys = {"submitit_folder", "max_num_timeout"}
        init = {"folder": self.params["submitit_folder"]}
        if "max_num_timeout" in self.params:
            init[f"{self._EXECUTOR}_max_num_timeout"] = self.params["max_num_timeout"]
        with one_line_errors(), unusable_launcher(self._EXECUTOR):
            executor = submitit.AutoExecutor(cluster=self._EXECUTOR, **init)
        base = set(OmegaConf.structured(BaseQueueConf).keys())
        executor.update_parameters(
            **{k if k in base else f"{self._EXECUTOR}_{k}": v for k, v in self.params.items() if k not in init_keys}
        )
        sweep_dir = Path(str(self.config.hydra.sweep.dir))
        sweep_dir.mkdir(parents=True, exist_ok=True)
        log.info("submitit '%s' sweep output dir: %s", self._EXECUTOR, sweep_dir)
        args = []
        for idx, overrides in enumerate(job_overrides, start=initial_job_idx):
            log.info("\t#%d : %s", idx, " ".join(filter_overrides(overrides)))
            args.append((list(overrides), "hydra.sweep.dir", idx, f"job_id_for_{idx}", Singleton.get_state()))
        with (
            one_line_errors(),
            unusable_launcher(self._EXECUTOR),
            contextlib.redirect_stderr(io.StringIO()) as sbatch_stderr,
        ):
            try:
                jobs = executor.map_array(self, *zip(*args, strict=True))
            except (submitit.core.utils.FailedJobError, submitit.core.utils.FailedSubmissionError) as err:
                raise refused(Exception(f"{err}\n{sbatch_stderr.getvalue()}"), self.params) from None
        return [self._result(job, overrides) for job, overrides in zip(jobs, job_overrides, strict=True)]

    def _run_dir(self, overrides: Sequence[str]) -> Path | None:
        """Where the job's run folder is (or would have been), as Hydra composes it for the job."""
        assert self.hydra_context is not None and self.config is not None
        try:
            cfg = self.hydra_context.config_loader.load_sweep_config(self.config, list(overrides))
            return Path(str(cfg.hydra.sweep.dir)) / str(cfg.hydra.sweep.subdir)
        except Exception:  # noqa: BLE001 - only used to place the report line; the job id still names it
            return None

    def _result(self, job: Any, overrides: Sequence[str]) -> JobReturn:
        import submitit

        try:
            return job.results()[0]
        except submitit.core.utils.UncompletedJobError as err:  # FailedJobError included
            _LOST[self._run_dir(overrides) or f"job {job.job_id}"] = lost_job(job, filter_overrides(overrides), err)
            returned = JobReturn(overrides=list(overrides), status=JobStatus.COMPLETED)
            returned.return_value = None
            return returned
