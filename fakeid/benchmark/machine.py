"""The facts of the machine a benchmark ran on: CPU, cores, GPU, versions, load and peak memory (timings on a
shared machine are only comparable within one run, so each result carries them)."""

from __future__ import annotations

import os
import platform
import resource
from pathlib import Path

import numpy as np
import torch

from fakeid.runs.identity import versions


def usable_cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def peak_gpu_mib(device: torch.device) -> float | None:
    return torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else None


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine(device: torch.device) -> dict:
    import PIL

    cuda = device.type == "cuda"
    return {
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": usable_cpus(),
        "torch_threads": torch.get_num_threads(),
        "platform": platform.platform(),
        "gpu": torch.cuda.get_device_name(device) if cuda else None,
        "gpu_count": torch.cuda.device_count() if cuda else 0,
        "cuda": torch.version.cuda if cuda else None,
        **versions(),
        "version.numpy": np.__version__,
        "version.pillow": PIL.__version__,
    }


def load_average() -> list[float] | None:
    """The 1, 5 and 15 minute load averages (a number above the core count means shared, slower timings)."""
    return list(os.getloadavg()) if hasattr(os, "getloadavg") else None


def peak_memory(device: torch.device) -> dict:
    # ru_maxrss is in KiB on Linux; children: the largest finished child (loader workers, build pool)
    return {
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "peak_rss_children_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "peak_gpu_mib": peak_gpu_mib(device),
    }
