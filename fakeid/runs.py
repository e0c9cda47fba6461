"""Run bookkeeping shared by every command that writes a result folder (`fakeid.train`, `fakeid.eval`).

A run folder holds one result, `metrics.json`, written atomically by one process (global rank 0), also
when the run fails. The life of a run:

1. its identity, `config_hash`, is computed from what decides the result (`fakeid.results.config_hash`);
2. a folder whose metrics.json says `ok` for the same hash is *done*: the run is skipped, which is what makes
   sweeps and evaluation grids resumable;
3. otherwise the folder is claimed for this identity (`run_state.json`); files a different identity left
   behind (its checkpoints) are removed so that a resume never mixes two experiments;
4. the body runs and fills the result as it goes; any failure is recorded (`status: failed`, the error in one
   line, the traceback in `error.log`) and reported in one line; a single run exits non-zero, a job of a sweep
   lets the sweep go on.
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

from fakeid.errors import FakeidError
from fakeid.results import METRICS_FILE, already_done, config_hash, read_metrics, write_json_atomically

log = logging.getLogger("fakeid.runs")
STATE_FILE = "run_state.json"  # the identity the files in this folder (checkpoints) belong to
ERROR_LOG = "error.log"


def is_rank_zero() -> bool:
    from pytorch_lightning.utilities.rank_zero import rank_zero_only

    return rank_zero_only.rank == 0


def root_cause(err: BaseException) -> BaseException:
    """The FakeidError behind `err` if there is one, else the innermost cause (Hydra's instantiate wraps
    whatever a constructor raised in an InstantiationException)."""
    while not isinstance(err, FakeidError) and (err.__cause__ or err.__context__) is not None:
        err = err.__cause__ or err.__context__
    return err


def claim_run_dir(run_dir: Path, expected_hash: str, owned: tuple[str, ...] = ("checkpoints",)) -> None:
    """Keep the folder's `owned` files only if they belong to this identity, then record the identity."""
    state_file = run_dir / STATE_FILE
    previous = json.loads(state_file.read_text()).get("config_hash") if state_file.is_file() else None
    if previous != expected_hash:
        for name in owned:
            shutil.rmtree(run_dir / name, ignore_errors=True)
    if is_rank_zero():
        write_json_atomically(state_file, {"config_hash": expected_hash})


def new_result(hparams: dict[str, Any], overrides: list[str], expected_hash: str, **extra: Any) -> dict[str, Any]:
    """A result as it stands before the body runs: failed until the body says otherwise."""
    return {"status": "failed", "error": None, **extra, "hparams": hparams, "overrides": overrides,
            "config_hash": expected_hash, "threshold": None, "wall_time_s": None, "test": []}


def finish(result: dict, run_dir: Path, started: float) -> None:
    result["wall_time_s"] = round(time.time() - started, 3)
    if is_rank_zero():
        write_json_atomically(run_dir / METRICS_FILE, result)


def record_failure(caught: BaseException, result: dict, run_dir: Path) -> int:
    """Fill the result's error, write error.log, print one line; the exit code a single run should use."""
    err = root_cause(caught)
    result["error"] = f"{type(err).__name__}: {err}".splitlines()[0]
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / ERROR_LOG).write_text(traceback.format_exc())
    if isinstance(err, FakeidError):
        print(f"fakeid: error: {err}", file=sys.stderr)
        return 2
    print(f"fakeid: run failed: {result['error']} (traceback in {run_dir / ERROR_LOG})", file=sys.stderr)
    return 1


@contextmanager
def recorded(run_dir: Path, result: dict, *, multirun: bool) -> Iterator[None]:
    """Run the block; on any failure record it in `result`, write metrics.json and either exit (a single run)
    or carry on (a job of a sweep: the caller sees `result["error"]`). On success metrics.json is written too."""
    started = time.time()
    try:
        yield
    except Exception as caught:  # noqa: BLE001 - every failure is recorded, then reported
        result["status"] = "failed"
        code = record_failure(caught, result, run_dir)
        finish(result, run_dir, started)
        if not multirun:
            raise SystemExit(code) from None
        return
    finish(result, run_dir, started)


def run_once(run_dir: Path, result: dict, body: Callable[[dict], None], *, multirun: bool,
             owned: tuple[str, ...] = ("checkpoints",)) -> dict:
    """Skip when done, else claim the folder, run `body(result)` and write metrics.json whatever happens."""
    expected_hash = result["config_hash"]
    if already_done(run_dir, expected_hash):
        log.info("skipping %s: its metrics.json says ok for this configuration", run_dir)
        return read_metrics(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    claim_run_dir(run_dir, expected_hash, owned)
    with recorded(run_dir, result, multirun=multirun):
        body(result)
    return result
