"""Run bookkeeping shared by every command that writes a result folder (`fakeid.train`, `fakeid.eval`).

A run folder holds one result, `metrics.json`, written atomically by one process (global rank 0), also
when the run fails or is interrupted. The life of a run (docs/runs.md, "What a run guarantees"):

1. one process at a time works in a folder (`.lock`); a second one waits, then finds the work done;
2. its data identity (data.root and a fingerprint of the files) is compared with the folder's previous result:
   a different dataset stops the command with one line naming both, and nothing in the folder changes;
3. a previous `ok` result of the same experiment (`fakeid.runs.identity.config_differences` is empty) is *done*:
   the run is skipped, which is what makes sweeps and evaluation grids resumable;
4. a previous result of another experiment is moved aside, whole, into `.replaced/<time>_<hash>/`
   (never deleted); a previous failed or interrupted run of the same experiment keeps its checkpoints and
   resumes from them;
5. the body runs and fills the result as it goes; a failure is recorded (`status: failed`, the error in one
   line, the traceback in `error.log`) and reported in one line; Ctrl-C records `status: interrupted`. A single
   run then exits non-zero; a job of a sweep lets the sweep go on.

A full disk anywhere in this (setting aside, error.log, metrics.json) is one `fakeid: error: no space left on
...` line (fakeid.core.errors.DiskFull); the record is written where it still fits, and the line says when it did not.
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from fakeid.core.atomic import write_json_atomically, write_text_atomically
from fakeid.core.errors import DiskFull, FakeidError, root_cause
from fakeid.core.names import fresh_path, hex_name
from fakeid.data.fingerprint import link_blind_fingerprint
from fakeid.runs.files import ERROR_LOG, LOCK_FILE, METRICS_FILE, REASON_FILE, REPLACED_DIR, STATE_FILE
from fakeid.runs.identity import config_differences
from fakeid.runs.record import UNSET, RunRecord, given, read_record, write_record

log = logging.getLogger("fakeid.runs.lifecycle")
STATE_KEYS = ("hparams", "overrides", "config_hash", "data_identity")  # the part of a record run_state.json holds
INTERRUPTED_EXIT = 130


class Interrupted(BaseException):
    """The run was stopped from outside (Ctrl-C, SIGTERM): recorded as `interrupted`, resumable."""


class DataConflict(FakeidError):
    """The folder holds results of another dataset: refused, nothing changed."""


def is_rank_zero() -> bool:
    from pytorch_lightning.utilities.rank_zero import rank_zero_only

    return rank_zero_only.rank == 0  # type: ignore[attr-defined]  # Lightning sets .rank on the function at import


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


def finish(result: RunRecord, run_dir: Path, started: float) -> DiskFull | None:
    """Write metrics.json (rank 0); the DiskFull error when there was no space for it."""
    result.wall_time_s = round(time.time() - started, 3)
    if is_rank_zero():
        try:
            write_record(run_dir, result)
        except DiskFull as full:
            return full
    return None


def not_recorded(full: DiskFull | None) -> str:
    return "" if full is None else f" (not recorded: no space for {METRICS_FILE} either)"


def record_failure(caught: BaseException, result: RunRecord, run_dir: Path) -> tuple[int, str]:
    """Fill the result's error and write error.log; (the exit code a single run should use, the line to print
    once metrics.json is written)."""
    err = root_cause(caught)
    result.error = f"{type(err).__name__}: {err}".splitlines()[0]
    log_note = f"traceback in {run_dir / ERROR_LOG}"
    if is_rank_zero():
        try:
            write_text_atomically(run_dir / ERROR_LOG, traceback.format_exc())
        except (DiskFull, OSError) as failed:  # the traceback is a convenience; the record is metrics.json
            log_note = f"no {ERROR_LOG}: {failed}".splitlines()[0]
            result.error_log = log_note
    if isinstance(err, FakeidError):
        return err.exit_code or 2, f"fakeid: error: {err}"
    return 1, f"fakeid: run failed: {result.error} ({log_note})"


@contextmanager
def recorded(run_dir: Path, result: RunRecord, *, multirun: bool) -> Iterator[None]:
    """Run the block; metrics.json is written whatever happens (where it fits). A failure is recorded in
    `result` and either exits (a single run) or lets the caller carry on (a job of a sweep sees
    `result.status`)."""
    started = time.time()
    try:
        yield
    except (KeyboardInterrupt, Interrupted) as caught:
        result.status = "interrupted"
        result.error = f"interrupted ({caught or type(caught).__name__}); run it again to resume"
        full = finish(result, run_dir, started)
        print(
            f"fakeid: interrupted: {run_dir} (status interrupted; the same command resumes it){not_recorded(full)}",
            file=sys.stderr,
        )
        raise SystemExit(INTERRUPTED_EXIT) from None
    except Exception as caught:  # noqa: BLE001 - every failure is recorded, then reported
        result.status = "failed"
        code, line = record_failure(caught, result, run_dir)
        full = finish(result, run_dir, started)
        print(line + not_recorded(full), file=sys.stderr)
        if not multirun:
            raise SystemExit(code) from None
        return
    full = finish(result, run_dir, started)
    if full is not None:  # the work is done but its result could not be written: a failure, said so
        result.status, result.error = "failed", f"DiskFull: {full}"
        print(f"fakeid: error: {full} (the run's {METRICS_FILE} could not be written)", file=sys.stderr)
        if not multirun:
            raise SystemExit(full.exit_code) from None


def refuse_other_data(run_dir: Path, previous: RunRecord, identity: dict | None) -> None:
    before = previous.data_identity
    if not before or not identity or before == identity:
        return
    why = "results of two datasets never share a folder"
    if before.get("root") == identity["root"] and before.get("fingerprint") == link_blind_fingerprint(identity["root"]):
        why = (
            "its fingerprint predates fakeid reading linked class folders (2026-12-07), so it cannot say whether the "
            "linked files are the same; finish it with the fakeid that started it, or start it afresh"
        )
    raise DataConflict(
        f"{run_dir} holds results of data.root={before.get('root')} (fingerprint {before.get('fingerprint')}); "
        f"this run reads data.root={identity['root']} (fingerprint {identity['fingerprint']}): {why}; "
        "use another experiment_name or hydra.sweep.dir (or hydra.run.dir)"
    )


def set_aside(run_dir: Path, reason: str, previous_hash: str | None) -> Path | None:
    """Move everything in the folder (but the lock and earlier set-asides) into .replaced/<time>_<hash>/: a
    folder of a fresh name inside this one. The hash was read from the old metrics.json, so only a hexadecimal
    one becomes part of the name (fakeid.core.names); `.replaced` itself must be a real folder, not a link."""
    if not is_rank_zero():
        return None
    entries = [p for p in run_dir.iterdir() if p.name not in (LOCK_FILE, REPLACED_DIR, ".hydra")]
    if not entries:
        return None
    replaced = run_dir / REPLACED_DIR
    if replaced.is_symlink() or (replaced.exists() and not replaced.is_dir()):
        raise FakeidError(f"{replaced} is not a folder (a link or a file): the previous run cannot be set aside there")
    target = fresh_path(replaced / f"{time.strftime('%Y%m%d-%H%M%S')}_{hex_name(previous_hash)}")
    try:  # the reason first: on a full disk nothing has moved yet, and a rerun finds the folder as it was
        write_text_atomically(target / REASON_FILE, reason + "\n")
    except DiskFull:
        for empty in (target, target.parent):
            with contextlib.suppress(OSError):
                empty.rmdir()
        raise
    for entry in entries:
        shutil.move(str(entry), str(target / entry.name))  # a rename: the same file system
    log.warning("moved the previous run of %s aside to %s: %s", run_dir, target, reason)
    print(
        f"fakeid: note: the previous run in {run_dir} was another experiment; moved aside to {target}", file=sys.stderr
    )
    return target


def previous_state(run_dir: Path) -> RunRecord | None:
    """What the folder held: its metrics.json, else the run_state.json an unfinished run leaves (the record's
    `STATE_KEYS`; nothing of it when unreadable)."""
    previous = read_record(run_dir)
    if previous is None and (run_dir / STATE_FILE).is_file():
        try:
            state = json.loads((run_dir / STATE_FILE).read_text())
        except json.JSONDecodeError:
            state = {}
        previous = RunRecord.from_dict(state if isinstance(state, dict) else {})
    return previous


def claim(run_dir: Path, result: RunRecord, previous: RunRecord | None) -> bool:
    """True when the folder's previous ok result is this experiment's (skip); else make the folder this run's."""
    if previous is not None:
        refuse_other_data(run_dir, previous, given(result.data_identity))
        differences = config_differences(previous.hparams or {}, result.hparams or {}, result.overrides or [])
        if not differences and previous.status == "ok":
            return True
        if differences or previous.hparams is UNSET:
            set_aside(run_dir, "; ".join(differences) or "no record of its configuration", given(previous.config_hash))
    if is_rank_zero():
        write_json_atomically(run_dir / STATE_FILE, {key: given(getattr(result, key)) for key in STATE_KEYS})
    return False


def run_once(
    run_dir: Path,
    result: RunRecord,
    body: Callable[[RunRecord], None],
    *,
    multirun: bool,
    data_identity: Callable[[], dict] | None = None,
) -> RunRecord:
    """The life of a run (module docstring): lock, identity, skip or set aside, body, metrics.json."""
    run_dir.mkdir(parents=True, exist_ok=True)
    with exclusive(run_dir):
        previous = previous_state(run_dir)
        try:
            result.data_identity = data_identity() if data_identity is not None else None
        except Exception:
            result.data_identity = None
            if previous is not None:
                with refused_in_one_line():
                    set_aside(
                        run_dir,
                        "a new run of this folder failed before its data could be compared",
                        given(previous.config_hash),
                    )
            with recorded(run_dir, result, multirun=multirun):
                raise
            return result
        with refused_in_one_line():
            if claim(run_dir, result, previous):
                log.info("skipping %s: its metrics.json says ok for this experiment", run_dir)
                return previous  # type: ignore[return-value]  # claim() skips only with a previous record
        with recorded(run_dir, result, multirun=multirun):
            body(result)
    return result


@contextmanager
def refused_in_one_line() -> Iterator[None]:
    """Before the body: another dataset's folder, or no space to set the previous run aside, is one line and
    an exit; nothing of the previous run changed, so there is nothing to record (its metrics.json stays)."""
    try:
        yield
    except FakeidError as refused:
        print(f"fakeid: error: {refused}", file=sys.stderr)
        raise SystemExit(refused.exit_code or 2) from None
