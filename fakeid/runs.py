"""Run bookkeeping shared by every command that writes a result folder (`fakeid.train`, `fakeid.eval`).

A run folder holds one result, `metrics.json`, written atomically by one process (global rank 0), also
when the run fails or is interrupted. The life of a run (README, "What a run guarantees"):

1. one process at a time works in a folder (`.lock`); a second one waits, then finds the work done;
2. its data identity (data.root and a fingerprint of the files) is compared with the folder's previous result:
   a different dataset stops the command with one line naming both, and nothing in the folder changes;
3. a previous `ok` result of the same experiment (`fakeid.results.config_differences` is empty) is *done*:
   the run is skipped, which is what makes sweeps and evaluation grids resumable;
4. a previous result of another experiment is moved aside, whole, into `.replaced/<time>_<hash>/`
   (never deleted); a previous failed or interrupted run of the same experiment keeps its checkpoints and
   resumes from them;
5. the body runs and fills the result as it goes; a failure is recorded (`status: failed`, the error in one
   line, the traceback in `error.log`) and reported in one line; Ctrl-C records `status: interrupted`. A single
   run then exits non-zero; a job of a sweep lets the sweep go on.
"""

from __future__ import annotations

import json
import logging
import shutil
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from fakeid.errors import FakeidError
from fakeid.results import METRICS_FILE, config_differences, read_metrics, write_json_atomically

log = logging.getLogger("fakeid.runs")
STATE_FILE = "run_state.json"  # the identity the files in this folder (checkpoints) belong to
ERROR_LOG = "error.log"
LOCK_FILE = ".lock"
REPLACED_DIR = ".replaced"
INTERRUPTED_EXIT = 130


class Interrupted(BaseException):
    """The run was stopped from outside (Ctrl-C, SIGTERM): recorded as `interrupted`, resumable."""


class DataConflict(FakeidError):
    """The folder holds results of another dataset: refused, nothing changed."""


def is_rank_zero() -> bool:
    from pytorch_lightning.utilities.rank_zero import rank_zero_only

    return rank_zero_only.rank == 0


def root_cause(err: BaseException) -> BaseException:
    """The FakeidError behind `err` if there is one, else the innermost cause (Hydra's instantiate wraps
    whatever a constructor raised in an InstantiationException)."""
    while not isinstance(err, FakeidError) and (err.__cause__ or err.__context__) is not None:
        err = err.__cause__ or err.__context__
    return err


@contextmanager
def exclusive(run_dir: Path) -> Iterator[None]:
    """One process at a time in a folder (rank 0 only: the other DDP ranks follow rank 0)."""
    if not is_rank_zero():
        yield
        return
    lock = FileLock(str(run_dir / LOCK_FILE))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        print(f"fakeid: waiting: another process is running {run_dir}", file=sys.stderr)
        lock.acquire()
    try:
        yield
    finally:
        lock.release()


def new_result(hparams: dict[str, Any], overrides: list[str], expected_hash: str | None, **extra: Any) -> dict:
    """A result as it stands before the body runs: failed until the body says otherwise."""
    return {
        "status": "failed",
        "error": None,
        **extra,
        "hparams": hparams,
        "overrides": overrides,
        "config_hash": expected_hash,
        "threshold": None,
        "wall_time_s": None,
        "test": [],
    }


def finish(result: dict, run_dir: Path, started: float) -> None:
    result["wall_time_s"] = round(time.time() - started, 3)
    if is_rank_zero():
        write_json_atomically(run_dir / METRICS_FILE, result)


def record_failure(caught: BaseException, result: dict, run_dir: Path) -> int:
    """Fill the result's error, write error.log, print one line; the exit code a single run should use."""
    err = root_cause(caught)
    result["error"] = f"{type(err).__name__}: {err}".splitlines()[0]
    run_dir.mkdir(parents=True, exist_ok=True)
    if is_rank_zero():
        (run_dir / ERROR_LOG).write_text(traceback.format_exc())
    if isinstance(err, FakeidError):
        print(f"fakeid: error: {err}", file=sys.stderr)
        return 2
    print(f"fakeid: run failed: {result['error']} (traceback in {run_dir / ERROR_LOG})", file=sys.stderr)
    return 1


@contextmanager
def recorded(run_dir: Path, result: dict, *, multirun: bool) -> Iterator[None]:
    """Run the block; metrics.json is written whatever happens. A failure is recorded in `result` and either
    exits (a single run) or lets the caller carry on (a job of a sweep sees `result["status"]`)."""
    started = time.time()
    try:
        yield
    except (KeyboardInterrupt, Interrupted) as caught:
        result.update(
            status="interrupted", error=f"interrupted ({caught or type(caught).__name__}); run it again to resume"
        )
        finish(result, run_dir, started)
        print(f"fakeid: interrupted: {run_dir} (status interrupted; the same command resumes it)", file=sys.stderr)
        raise SystemExit(INTERRUPTED_EXIT) from None
    except Exception as caught:  # noqa: BLE001 - every failure is recorded, then reported
        result["status"] = "failed"
        code = record_failure(caught, result, run_dir)
        finish(result, run_dir, started)
        if not multirun:
            raise SystemExit(code) from None
        return
    finish(result, run_dir, started)


def refuse_other_data(run_dir: Path, previous: dict, identity: dict | None) -> None:
    before = previous.get("data_identity")
    if not before or not identity or before == identity:
        return
    raise DataConflict(
        f"{run_dir} holds results of data.root={before.get('root')} (fingerprint {before.get('fingerprint')}); "
        f"this run reads data.root={identity['root']} (fingerprint {identity['fingerprint']}): results of two "
        "datasets never share a folder; use another experiment_name or hydra.sweep.dir (or hydra.run.dir)"
    )


def set_aside(run_dir: Path, reason: str, previous_hash: str | None) -> Path | None:
    """Move everything in the folder (but the lock and earlier set-asides) into .replaced/<time>_<hash>/."""
    if not is_rank_zero():
        return None
    entries = [p for p in run_dir.iterdir() if p.name not in (LOCK_FILE, REPLACED_DIR, ".hydra")]
    if not entries:
        return None
    target = run_dir / REPLACED_DIR / f"{time.strftime('%Y%m%d-%H%M%S')}_{previous_hash or 'unknown'}"
    target.mkdir(parents=True, exist_ok=True)
    for entry in entries:
        shutil.move(str(entry), str(target / entry.name))
    (target / "REASON.txt").write_text(reason + "\n")
    log.warning("moved the previous run of %s aside to %s: %s", run_dir, target, reason)
    print(
        f"fakeid: note: the previous run in {run_dir} was another experiment; moved aside to {target}", file=sys.stderr
    )
    return target


def previous_state(run_dir: Path) -> dict | None:
    """What the folder held: its metrics.json, else the run_state.json an unfinished run leaves."""
    previous = read_metrics(run_dir)
    if previous is None and (run_dir / STATE_FILE).is_file():
        try:
            previous = json.loads((run_dir / STATE_FILE).read_text())
        except json.JSONDecodeError:
            previous = {}
    return previous


def claim(run_dir: Path, result: dict, previous: dict | None) -> bool:
    """True when the folder's previous ok result is this experiment's (skip); else make the folder this run's."""
    if previous is not None:
        refuse_other_data(run_dir, previous, result.get("data_identity"))
        differences = config_differences(previous.get("hparams") or {}, result["hparams"], result["overrides"])
        if not differences and previous.get("status") == "ok":
            return True
        if differences or "hparams" not in previous:
            set_aside(run_dir, "; ".join(differences) or "no record of its configuration", previous.get("config_hash"))
    if is_rank_zero():
        write_json_atomically(
            run_dir / STATE_FILE,
            {key: result.get(key) for key in ("hparams", "overrides", "config_hash", "data_identity")},
        )
    return False


def run_once(
    run_dir: Path,
    result: dict,
    body: Callable[[dict], None],
    *,
    multirun: bool,
    data_identity: Callable[[], dict] | None = None,
) -> dict:
    """The life of a run (module docstring): lock, identity, skip or set aside, body, metrics.json."""
    run_dir.mkdir(parents=True, exist_ok=True)
    with exclusive(run_dir):
        previous = previous_state(run_dir)
        try:
            result["data_identity"] = data_identity() if data_identity is not None else None
        except Exception:  # noqa: BLE001 - a bad root or config: recorded as this run's failure
            result["data_identity"] = None
            if previous is not None:
                set_aside(
                    run_dir,
                    "a new run of this folder failed before its data could be compared",
                    previous.get("config_hash"),
                )
            with recorded(run_dir, result, multirun=multirun):
                raise
            return result
        try:
            if claim(run_dir, result, previous):
                log.info("skipping %s: its metrics.json says ok for this experiment", run_dir)
                return previous
        except DataConflict as conflict:
            print(f"fakeid: error: {conflict}", file=sys.stderr)
            raise SystemExit(2) from None
        with recorded(run_dir, result, multirun=multirun):
            body(result)
    return result
