"""core.memory: the heap a job freed goes back to the system, which is what keeps a parallel worker alive."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from fakeid.core.memory import release_freed_memory


def resident_bytes() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="malloc_trim is glibc's; /proc is Linux's")
def test_freed_fragmented_heap_is_returned_to_the_system():
    chunks = [bytearray(4000) for _ in range(50_000)]  # 200 MB of small blocks: on the heap, not mmap'd
    kept = chunks[::16]  # one block in 16 stays: free() alone cannot shrink the heap past them
    del chunks
    before = resident_bytes()
    assert release_freed_memory()
    after = resident_bytes()
    assert before - after > 100e6, (before, after)  # without the trim the process stays at its peak
    del kept


def _frozen_in_child() -> tuple[int, int]:
    import gc

    from fakeid.core import memory

    before = gc.get_freeze_count()
    memory.freeze_what_is_imported()
    return before, gc.get_freeze_count()


def test_only_a_worker_process_freezes_what_it_imported():
    import gc
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    from fakeid.core.memory import freeze_what_is_imported

    before = gc.get_freeze_count()
    freeze_what_is_imported()  # the process a user started (here pytest's): its objects are left alone
    assert gc.get_freeze_count() == before
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:  # a worker, as the parallel launcher's
        frozen_before, frozen_after = pool.submit(_frozen_in_child).result()
    assert frozen_before == 0 and frozen_after > 0
