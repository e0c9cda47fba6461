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


def release_freed_memory() -> bool:
    """Collect garbage and return free heap pages to the system; False where there is no glibc."""
    gc.collect()
    try:  # the C library the process already runs on, not a search for one
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError, TypeError):  # no malloc_trim (not glibc), or no CDLL(None) (Windows)
        return False
    trim(0)
    return True
