"""Give the memory a finished job freed back to the operating system.

The parallel launcher (hydra-joblib, loky) runs job after job in one worker process and restarts a worker
whose resident memory grew by 300 MB over its size after the first job, as a leak guard. A training job frees
its model, optimizer state and checkpoints' buffers, but glibc keeps much of the freed heap mapped, so the
worker looked like it leaked: `make demo` restarted a worker once per sweep, each restart paying the
imports of torch, Lightning and timm again (6-7 s on the 2-core sandbox, BENCHMARKS.md). `malloc_trim`
returns the free heap; elsewhere than glibc it does nothing.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing

_frozen = False


def release_freed_memory() -> bool:
    """Collect garbage and return free heap pages to the system; False where there is no glibc."""
    gc.collect()
    try:  # the C library the process already runs on, not a search for one
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError, TypeError):  # no malloc_trim (not glibc), or no CDLL(None) (Windows)
        return False
    trim(0)
    return True


def freeze_what_is_imported() -> None:
    """In a worker process (one a launcher started to run jobs, e.g. the parallel launcher's), once, after the
    heavy imports: move every object alive now (torch's, Lightning's and timm's modules, classes and tables: 540K
    objects) out of the garbage collector's scans, which would never free them anyway. A full collection then
    scans only what the jobs allocate: 0.22 s -> 0.02 s on the 2-core sandbox, once during a demo run and once
    after it (`release_freed_memory`), in every job. Objects created later are collected as before. Never in
    the process a user started (a command, a notebook): its own objects alive at that moment would be frozen
    with them, and a cycle among them dropped later never collected."""
    global _frozen
    if not _frozen and multiprocessing.current_process().name != "MainProcess":
        gc.collect()
        gc.freeze()
        _frozen = True
