"""The `model` config group (`conf/model/<choice>.yaml`) for code that is not a training run.

Training instantiates `cfg.model` (its `_target_` is FakeImageDetector); the benchmark and the tests build
the detector from the same YAML through `model_config`, so its defaults live in one place.
"""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig, OmegaConf

from fakeid import CONF_DIR
from fakeid.core.errors import FakeidError, root_cause


def model_choices() -> list[str]:
    """The choices of the group: the YAML files under conf/model."""
    return sorted(path.stem for path in (CONF_DIR / "model").glob("*.yaml"))


def model_config(choice: str = "xception", **values: Any) -> DictConfig:
    """conf/model/<choice>.yaml as Hydra composes it (defaults lists included), with `values` set on top.

    Works inside a Hydra app too (it then composes with the app's search path, fakeid's conf/).
    """
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    if choice not in model_choices():
        raise FakeidError(f"model={choice}: expected one of {', '.join(model_choices())} (conf/model/*.yaml)")
    if GlobalHydra.instance().is_initialized():
        model = compose(overrides=[f"+model={choice}"]).model
    else:
        with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
            model = compose(overrides=[f"+model={choice}"]).model
    unknown = sorted(set(values) - set(model))
    if unknown:
        raise FakeidError(
            f"model.{unknown[0]} is not a key of conf/model/{choice}.yaml "
            f"(expected one of {', '.join(k for k in model if not k.startswith('_'))})"
        )
    return OmegaConf.merge(model, values)  # type: ignore[return-value]  # two DictConfigs merge to one


def build_detector(choice: str = "xception", **values: Any):
    """The FakeImageDetector of conf/model/<choice>.yaml with `values` set, e.g. build_detector(drop_rate=0.2)."""
    from hydra.errors import InstantiationException
    from hydra.utils import instantiate

    try:
        return instantiate(model_config(choice, **values))
    except InstantiationException as err:  # Hydra wraps what the constructor raised; keep our one line
        cause = root_cause(err)
        if isinstance(cause, FakeidError):
            raise cause from None
        raise
