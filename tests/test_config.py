"""Every choice of every config group composes, and the trainer presets build a Trainer."""
from __future__ import annotations

import pytest
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from omegaconf import OmegaConf

from tests.conftest import REPO

CONF = REPO / "conf"
GROUPS = ["data", "model", "trainer", "callbacks", "logger", "paths", "hydra", "launcher"]
CHOICES = [(group, path.stem) for group in GROUPS for path in sorted((CONF / group).glob("*.yaml"))]
EXPERIMENTS = [path.stem for path in sorted((CONF / "experiment").glob("*.yaml"))]


def composed(*overrides: str):
    with initialize_config_dir(str(CONF), version_base="1.3"):
        return compose("train", overrides=["data.root=/data", *overrides], return_hydra_config=True)


@pytest.mark.parametrize("group, choice", CHOICES)
def test_every_group_choice_composes(group, choice):
    cfg = composed(f"{group}={choice}")
    assert cfg.hydra.runtime.choices[group] == choice
    OmegaConf.to_container(cfg.data, resolve=True)


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_every_experiment_composes_with_plus(experiment):
    cfg = composed(f"+experiment={experiment}")
    assert cfg.experiment_name == experiment and cfg.hydra.mode.name == "MULTIRUN"


def test_gpu_preset_accepts_devices_from_the_command_line():
    cfg = composed("trainer=gpu", "trainer.devices=4")
    assert cfg.trainer.devices == 4 and cfg.trainer.precision == "bf16-mixed" and cfg.trainer.accelerator == "gpu"
    ddp = composed("trainer=ddp", "trainer.devices=4")
    assert ddp.trainer.strategy == "ddp" and ddp.trainer.devices == 4


def test_slurm_launcher_asks_one_gpu_per_device_and_task():
    cfg = composed("launcher=slurm", "trainer=ddp", "trainer.devices=4")
    launcher = OmegaConf.to_container(cfg.hydra.launcher, resolve=True)
    assert launcher["gpus_per_node"] == 4 and launcher["tasks_per_node"] == 4
    assert "partition" in launcher and "account" in launcher and "timeout_min" in launcher
    assert composed("launcher=slurm").trainer.accelerator == "gpu"


def test_cpu_trainer_and_default_callbacks_instantiate(tmp_path):
    cfg = composed(f"hydra.run.dir={tmp_path}")
    callbacks = [instantiate(c, dirpath=str(tmp_path)) if "dirpath" in c else instantiate(c) for c in cfg.callbacks.values()]
    trainer = instantiate(cfg.trainer, callbacks=callbacks, logger=False)
    assert trainer.max_epochs == 50 and trainer.checkpoint_callback.monitor == "val/loss"


def test_the_paper_config_uses_the_package_mixing_order_and_holdout():
    from fakeid.data.layout import HOLDOUT, PAPER_MIXING_ORDER, TRAIN_GENERATOR

    cfg = composed()
    assert list(cfg.data.categories) == list(PAPER_MIXING_ORDER) and list(cfg.data.holdout) == [HOLDOUT]
    assert cfg.data.train_generator == TRAIN_GENERATOR
