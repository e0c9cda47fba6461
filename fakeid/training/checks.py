"""The training command line, checked before Hydra runs: before a run folder exists, before the data identity
is computed, before anything trains. A bad value is one line `fakeid: error: KEY=VALUE: expected ...`
(exit 2, `fakeid.core.errors`), never an exception deep inside Lightning, timm or a DataLoader.

What is checked (`check_train_command`):
- keys: a `+key=value` is refused as an unknown key is without `+` (nothing in fakeid reads a key conf/ does
  not have): only a config group (`+experiment=NAME`), Hydra's own keys and `+trainer.ARG` for an argument of
  Lightning's `Trainer` (which receives the whole `trainer` node) may be added;
- values: every numeric key of conf/ (`RULES`) is range-checked on the composed config of every job of the
  command (the sweep overrides and an experiment's `hydra.sweeper.params` expanded), so that a sweep stops
  before its first job rather than failing each one. One bound is left to the run: `data.num_categories`
  above the length of `data.categories` fails that job (one line, recorded in its metrics.json), as the mix
  has always refused it, so that a sweep reaching past the list still runs its other jobs.

The smallest `data.image_size` is the backbone's total stride (`min_image_size`): below it the last stages of
the network pool windows made of padding only (Xception at 7 px "trained" on a 1x1 map of zeros padded around
one pixel). It is timm's `feature_info[-1]["reduction"]` of the model: 32 for the three backbones of
conf/model (legacy_xception, resnet50.tv_in1k, efficientnet_b0; tests/e2e/test_faults_inputs.py checks the table
against timm and that each runs at that size). Another timm name is asked of timm itself (importing it: the
only case where this check imports torch).
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from omegaconf import DictConfig, OmegaConf

from fakeid import CONF_DIR
from fakeid.core.errors import FakeidError
from fakeid.core.values import boolean_problem, integer_problem, number_problem
from fakeid.data.augment import augmentation, resolve_hflip

APP = "python -m fakeid.train"
MIN_IMAGE_SIZE = {"legacy_xception": 32, "resnet50.tv_in1k": 32, "efficientnet_b0": 32}  # timm's total stride
MISSING = object()


# ----------------------------------------------------------------------------- value rules
def explained(problem: str | None, what: str) -> str | None:
    return None if problem is None else f"{problem} ({what})"


def integer(low: int | None = None, high: int | None = None, *, what: str) -> Callable:
    """A rule: an integer in [low, high] (either end open when None)."""
    return lambda value: explained(integer_problem(value, low, high), what)


def real(low: float, high: float | None = None, *, low_open: bool = False, high_open: bool = True, what: str):
    """A rule: a finite number in the interval from low to high ([ or ( as the flags say)."""
    return lambda value: explained(number_problem(value, low, high, low_open=low_open, high_open=high_open), what)


def devices(value: Any) -> str | None:
    """Lightning's `devices`: a count of at least 1, -1 (all), 'auto', or which ones (a list or '0,1')."""
    if isinstance(value, str) or (OmegaConf.is_list(value) or isinstance(value, list)):
        return None
    if isinstance(value, int) and not isinstance(value, bool) and (value >= 1 or value == -1):
        return None
    return "expected a number of devices of at least 1, -1 (all), auto, or a list of device indices"


def boolean(what: str) -> Callable:
    return lambda value: explained(boolean_problem(value), what)


def optional(rule: Callable) -> Callable:
    return lambda value: None if value is None else rule(value)


# Every numeric (and boolean) key of conf/train.yaml and its groups. A key a config does not have is not checked.
RULES: dict[str, Callable[[Any], str | None]] = {
    "seed": integer(0, 2**32 - 1, what="the run's seed; Lightning seeds with 32 bits"),
    "data.train_per_class": integer(1, what="training images per class"),
    "data.val_per_class": integer(1, what="validation images per class: the tested weights are chosen on them"),
    "data.test_per_class": integer(1, what="the cap per class of each test set"),
    "data.batch_size": integer(1, what="images per training batch"),
    "data.eval_batch_size": optional(integer(1, what="images per evaluation batch, or null for data.batch_size")),
    "data.num_workers": integer(0, what="DataLoader worker processes; 0 decodes in the main process"),
    "data.split_seed": integer(0, 2**32 - 1, what="the seed of the validation split and test samples"),
    "data.max_pixels": integer(1, what="the pixel budget: larger images are skipped, never decoded"),
    "data.allow_shortfall": boolean("data.allow_shortfall"),
    "data.strict": boolean("data.strict"),
    "data.cache": boolean("data.cache"),
    "model.drop_rate": real(0.0, 1.0, what="the dropout ratio; 1 would drop every feature"),
    "model.lr": real(0.0, low_open=True, what="Adam's learning rate"),
    "model.bn_recalibration_batches": integer(0, what="batches of precise BN after each epoch; 0: none"),
    "model.hflip": boolean("model.hflip"),
    "model.compile": boolean("model.compile"),
    "model.channels_last": optional(boolean("model.channels_last, or null for NHWC on every device")),
    "trainer.max_epochs": integer(1, what="epochs to train; Lightning's -1 (no limit) would never stop"),
    "trainer.devices": devices,
    "trainer.num_sanity_val_steps": integer(-1, what="validation batches before training; -1: all"),
    "trainer.log_every_n_steps": integer(1, what="steps between logged rows"),
    "trainer.enable_progress_bar": boolean("trainer.enable_progress_bar"),
    "trainer.deterministic": boolean("trainer.deterministic"),
    "trainer.sync_batchnorm": boolean("trainer.sync_batchnorm"),
    "callbacks.progress_bar.refresh_rate": integer(0, what="steps between progress-bar updates; 0: hidden"),
}


def min_image_size(name: str) -> int:
    """The smallest data.image_size the backbone `name` accepts (module docstring)."""
    if name in MIN_IMAGE_SIZE:
        return MIN_IMAGE_SIZE[name]
    return asked_of_timm(name)


@functools.cache
def asked_of_timm(name: str) -> int:
    # deferred: imports torch and timm (seconds), only for a backbone outside conf/model
    import timm

    try:
        model = timm.create_model(name, pretrained=False, num_classes=0)
    except Exception:  # noqa: BLE001 - an unknown name or tag is the detector's to refuse, in its own words
        return 1
    info = getattr(model, "feature_info", None)
    return int(info[-1]["reduction"]) if info else 1


def value_error(cfg: DictConfig) -> str | None:
    """The first out-of-range value of a composed training config, as `KEY=VALUE: expected ...`."""
    for key, rule in RULES.items():
        value = OmegaConf.select(cfg, key, default=MISSING)
        if value is MISSING:
            continue
        problem = rule(value)
        if problem:
            return f"{key}={value}: {problem}"
    if cfg.get("augment") is not None:
        try:
            augmentation(cfg.augment)  # its own ranges (fakeid.data.augment), refused here like every other value
        except FakeidError as err:
            return str(err)
    data = cfg.get("data")
    if data is None:
        return None
    # the upper end (len(data.categories)) is the mix's to refuse, as a recorded failed run: a sweep's
    # impossible category count is the failing job its tests (and users' resumable sweeps) rely on
    count = data.get("num_categories")
    problem = None if count is None else integer(1, what="categories in the mix")(count)
    if problem:
        return f"data.num_categories={count}: {problem}"
    size, name = data.get("image_size"), cfg.get("model", {}).get("name")
    if size is not None:
        problem = integer(1, what="pixels of the square crop")(size)
        if problem:
            return f"data.image_size={size}: {problem}"
        smallest = min_image_size(str(name)) if name else 1
        if size < smallest:
            return (
                f"data.image_size={size}: expected at least {smallest} for model.name={name} (its total stride: "
                "below it the last stages pool padding only)"
            )
    return None


# ----------------------------------------------------------------------------- keys and the grid
def trainer_arguments() -> frozenset[str]:
    # deferred: Lightning takes seconds to import, and only a `+trainer.` override asks
    import inspect

    import pytorch_lightning as pl

    return frozenset(inspect.signature(pl.Trainer.__init__).parameters) - {"self"}


def is_group(key: str) -> bool:
    return "." not in key and (CONF_DIR / key).is_dir()


def refuse_added_keys(parsed: Sequence[Any], texts: Sequence[str]) -> None:
    """`+key=value` for a key no part of fakeid reads: one line, as an unknown key without `+` is."""
    for override, text in zip(parsed, texts, strict=True):
        key = override.key_or_group
        if not (override.is_add() or override.is_force_add()) or key.startswith("hydra") or is_group(key):
            continue
        head, _, rest = key.partition(".")
        if head == "trainer" and rest and "." not in rest and rest in trainer_arguments():
            continue
        raise FakeidError(
            f"{text}: unknown key '{key}' for {APP} (`+` adds a key no part of fakeid reads; expected a key of "
            "conf/train.yaml and its groups, a config group such as +experiment=NAME, or +trainer.ARG for "
            "an argument of Lightning's Trainer)"
        )


def compose_train(overrides: Sequence[str]) -> DictConfig:
    from hydra import compose, initialize_config_dir

    try:
        with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
            return compose("train", overrides=list(overrides), return_hydra_config=True)
    except Exception as err:  # noqa: BLE001 - any composition error is the user's override, told in one line
        text = " ".join(str(err).split())
        unknown = re.search(r"Could not override '([^']+)'", text)
        if unknown:
            key = unknown.group(1)
            wrong = next((o for o in overrides if o.lstrip("+~").split("=")[0] == key), key)
            raise FakeidError(
                f"{wrong}: unknown key '{key}' for {APP} (expected a key of conf/train.yaml and its groups)"
            ) from None
        raise FakeidError(f"{' '.join(overrides)}: {text[:300]}") from None


def grid(cfg: DictConfig, parsed: Sequence[Any]) -> dict[str, list[Any]]:
    """Every swept key and its values: the experiment's `hydra.sweeper.params`, then the command line's."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    params = OmegaConf.select(cfg, "hydra.sweeper.params", default=None) or {}
    texts = [f"{key}={value}" for key, value in params.items()]
    swept = [o for o in OverridesParser.create().parse_overrides(texts) if o.is_sweep_override()]
    swept += [o for o in parsed if o.is_sweep_override()]
    values: dict[str, list[Any]] = {}
    for override in swept:
        values[override.key_or_group] = list(override.sweep_iterator())
    return values


def job_configs(fixed: Sequence[str], parsed: Sequence[Any]) -> Iterator[DictConfig]:
    """The composed config of each job the command runs (one without a sweep)."""
    base = compose_train(fixed)
    swept = grid(base, parsed)
    groups = {key: values for key, values in swept.items() if is_group(key)}
    keys = {key: values for key, values in swept.items() if not is_group(key)}
    for group_choice in itertools.product(*groups.values()):
        chosen = [f"{key}={value}" for key, value in zip(groups, group_choice, strict=True)]
        cfg = compose_train([*fixed, *chosen]) if chosen else base
        for key in keys:
            if OmegaConf.select(cfg, key, default=MISSING) is MISSING:
                raise FakeidError(f"{key}: unknown key '{key}' for {APP} (swept, but no config has it)")
        for values in itertools.product(*keys.values()):
            job = cfg.copy()
            for key, value in zip(keys, values, strict=True):
                OmegaConf.update(job, key, value, merge=False)
            yield job


def check_train_command(argv: Sequence[str]) -> None:
    """Refuse, in one line, a training command line whose keys or values are wrong (module docstring).
    Hydra's own flags (`--help`, `--cfg`, `--info`) are left to Hydra; `-m` is checked like a run."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    if any(argument.startswith("-") and argument not in ("-m", "--multirun") for argument in argv):
        return
    texts = [argument for argument in argv if not argument.startswith("-")]
    try:
        parsed = OverridesParser.create().parse_overrides(texts)
    except HydraException as err:
        raise FakeidError(f"cannot parse the command line {' '.join(texts)}: {str(err).splitlines()[0]}") from None
    refuse_added_keys(parsed, texts)
    fixed = [text for override, text in zip(parsed, texts, strict=True) if not override.is_sweep_override()]
    for cfg in job_configs(fixed, parsed):
        if cfg.get("augment") is not None:
            resolve_hflip(cfg, texts)  # augment.hflip against an explicit model.hflip
        problem = value_error(cfg)
        if problem:
            raise FakeidError(problem)
