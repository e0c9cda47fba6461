"""What makes two runs the same experiment. Identity has two parts:
- the *configuration*: the keys that decide the result (not where or how fast a run goes, not library
  versions). Two configurations are the same experiment when every deciding key both hold has the same value,
  and every key only the new one holds is at its default (not set by an override): a key added to fakeid with
  a default that keeps the old behaviour does not make finished runs train again. `PROTOCOL_VERSION` is bumped
  when the code changes what a configuration means (e.g. how files are chosen), and is always compared.
  `config_hash` is a short digest of the deciding keys, for display and for evaluations. Keys recorded only
  when set (`RECORDED_WHEN_SET`, the training augmentation) differ whenever one side lacks them.
- the *data*: `data.root` and a fingerprint of the files the run reads (relative paths, sizes, mtimes of every
  class folder it uses); a job folder never holds results of two of them (see fakeid.runs.lifecycle).
"""

from __future__ import annotations

import hashlib
import json
import platform
from typing import Any

from omegaconf import DictConfig, OmegaConf

from fakeid.core.cli import overridden_keys

# Keys that change where or how fast a run goes, not what it measures; and the library versions, which
# are recorded but not hashed, so that an upgrade does not make a finished sweep train again.
# data.root is the data identity's, checked with the fingerprint, not the configuration's.
NOT_PART_OF_THE_EXPERIMENT = (
    "paths",
    "logger",
    "callbacks",
    "launcher",
    "data.num_workers",
    "data.cache",
    "data.cache_dir",
    "data.eval_batch_size",
    "trainer.enable_progress_bar",
    "trainer.log_every_n_steps",
    "trainer.plugins",
    "version",
    "data.root",
    "experiment_name",
    "experiment",
    "keep_checkpoints",
    "model.channels_last",
    "model.feature_cache",  # the probe's feature cache: the same features, read instead of computed
    "model.feature_cache_dir",
    "data.max_pixels",  # a memory guard; what it skipped is counted in the run's data summary
)
PROTOCOL_VERSION = 2  # 2: validation reserved per category independently of n (the same size for every n)
PROTOCOL_KEY = "protocol.version"
# Keys recorded only when they change the experiment (the training augmentation, fakeid.data.augment): one
# present on one side only is a difference, since its absence means "none", not "a default nobody set".
RECORDED_WHEN_SET = ("augment.",)


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


def deciding(hparams: dict[str, Any]) -> dict[str, Any]:
    """The keys of flat hparams that decide a result."""
    return {
        k: v
        for k, v in hparams.items()
        if not any(k == skip or k.startswith(skip + ".") for skip in NOT_PART_OF_THE_EXPERIMENT)
    }


def config_hash(hparams: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(deciding(hparams), sort_keys=True, default=str).encode()).hexdigest()[:16]


def config_differences(previous: dict[str, Any], current: dict[str, Any], overrides: list[str]) -> list[str]:
    """Why two runs are not the same experiment (empty when they are); see the module docstring."""
    before, now = deciding(previous), deciding(current)
    set_by_user = overridden_keys(overrides)
    differences = [
        f"{key}: {before[key]!r} -> {now[key]!r}"
        for key in sorted(before.keys() & now.keys())
        if before[key] != now[key]
    ]
    for key in sorted(now.keys() - before.keys()):
        # set by the user: an override of that key or of a dotted parent (`data=tiny` picks a config group's
        # file, whose new keys are at their defaults)
        explicit = key in set_by_user or any(key.startswith(k + ".") for k in set_by_user if "." in k)
        if key == PROTOCOL_KEY or explicit or key.startswith(RECORDED_WHEN_SET):
            differences.append(f"{key}: (absent) -> {now[key]!r}")
    for key in sorted(before.keys() - now.keys()):
        if key.startswith(RECORDED_WHEN_SET):
            differences.append(f"{key}: {before[key]!r} -> (absent)")
    return differences


def versions() -> dict[str, str]:
    import pytorch_lightning
    import timm
    import torch

    return {
        "version.python": platform.python_version(),
        "version.torch": torch.__version__,
        "version.timm": timm.__version__,
        "version.lightning": pytorch_lightning.__version__,
    }
