"""A run's structured result, `metrics.json` (schema in docs/METRICS.md), and the decision to skip a finished
run.

Written atomically (a temporary file, then a rename) so a crash never leaves half a file, and written by
global rank 0 only. `config_hash` identifies the experiment a result belongs to: a re-run of a sweep
skips a job only when its `metrics.json` says `ok` for the same hash.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

METRICS_FILE = "metrics.json"
# Keys that change where or how fast a run goes, not what it measures; and the library versions, which
# are recorded but not hashed, so that an upgrade does not make a finished sweep train again.
NOT_PART_OF_THE_EXPERIMENT = ("paths", "logger", "callbacks", "launcher", "data.num_workers", "data.cache",
                              "data.cache_dir", "data.eval_batch_size", "trainer.enable_progress_bar",
                              "trainer.log_every_n_steps", "version")


def flat_hparams(cfg: DictConfig) -> dict[str, Any]:
    """The resolved config as flat dotted keys (`data.num_categories`), lists kept as lists."""
    flat: dict[str, Any] = {}

    def walk(node: Any, prefix: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if not str(key).startswith("_"):
                    walk(value, f"{prefix}{key}.")
        else:
            flat[prefix[:-1]] = node

    walk(OmegaConf.to_container(cfg, resolve=True), "")
    return flat


def config_hash(hparams: dict[str, Any]) -> str:
    relevant = {k: v for k, v in hparams.items()
                if not any(k == skip or k.startswith(skip + ".") for skip in NOT_PART_OF_THE_EXPERIMENT)}
    return hashlib.sha256(json.dumps(relevant, sort_keys=True, default=str).encode()).hexdigest()[:16]


def versions() -> dict[str, str]:
    import pytorch_lightning
    import timm
    import torch

    return {"version.python": platform.python_version(), "version.torch": torch.__version__,
            "version.timm": timm.__version__, "version.lightning": pytorch_lightning.__version__}


def write_json_atomically(path: Path, payload: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temporary, "w") as handle:
        json.dump(payload, handle, indent=2, default=str)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def read_metrics(run_dir: Path) -> dict | None:
    try:
        return json.loads((run_dir / METRICS_FILE).read_text())
    except (OSError, json.JSONDecodeError):
        return None


def already_done(run_dir: Path, expected_hash: str) -> bool:
    previous = read_metrics(run_dir)
    return bool(previous) and previous.get("status") == "ok" and previous.get("config_hash") == expected_hash
