"""Every choice of every config group composes, and the trainer presets build a Trainer."""

from __future__ import annotations

import pytest
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from omegaconf import OmegaConf

from fakeid import CONF_DIR

CONF = CONF_DIR
GROUPS = ["data", "model", "trainer", "callbacks", "logger", "paths", "hydra", "launcher"]
CHOICES = [(group, path.stem) for group in GROUPS for path in sorted((CONF / group).glob("*.yaml"))]
EVAL_MARK = "# fakeid.eval experiment"  # the first comment line of an experiment of fakeid.eval, not of training
EXPERIMENT_FILES = sorted((CONF / "experiment").glob("*.yaml"))
EVAL_EXPERIMENTS = [path.stem for path in EXPERIMENT_FILES if EVAL_MARK in path.read_text()]
EXPERIMENTS = [path.stem for path in EXPERIMENT_FILES if path.stem not in EVAL_EXPERIMENTS]


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


@pytest.mark.parametrize("experiment", EVAL_EXPERIMENTS)
def test_every_eval_experiment_composes_and_its_levels_are_valid(experiment):
    from fakeid.data.perturb import make

    with initialize_config_dir(str(CONF), version_base="1.3"):
        cfg = compose("eval", overrides=[f"+experiment={experiment}"])
    assert cfg.experiment_name == experiment and cfg.levels
    keys = [make(**level).key for level in OmegaConf.to_container(cfg.levels)]
    assert len(keys) == len(set(keys)), "no level twice"


def test_every_perturbation_choice_composes_into_a_valid_perturbation():
    from fakeid.data.perturb import make

    for path in sorted((CONF / "perturb").glob("*.yaml")):
        with initialize_config_dir(str(CONF), version_base="1.3"):
            cfg = compose("eval", overrides=[f"perturb={path.stem}"])
        assert make(**OmegaConf.to_container(cfg.perturb)).name == path.stem


def test_gpu_preset_accepts_devices_from_the_command_line():
    cfg = composed("trainer=gpu", "trainer.devices=4")
    assert cfg.trainer.devices == 4 and cfg.trainer.precision == "bf16-mixed" and cfg.trainer.accelerator == "gpu"
    ddp = composed("trainer=ddp", "trainer.devices=4")
    assert ddp.trainer.strategy == "ddp" and ddp.trainer.devices == 4


def slurm_request(*overrides: str) -> dict:
    return OmegaConf.to_container(composed("launcher=slurm", *overrides).hydra.launcher, resolve=True)


def test_slurm_launcher_asks_for_gpus_only_when_the_trainer_uses_them():
    launcher = slurm_request("trainer=ddp", "trainer.devices=4")
    assert launcher["gpus_per_node"] == 4 and launcher["tasks_per_node"] == 4
    assert "partition" in launcher and "account" in launcher and "timeout_min" in launcher
    assert composed("launcher=slurm").trainer.accelerator == "cpu"
    cpu, ddp_cpu = slurm_request(), slurm_request("trainer=ddp_cpu")
    assert cpu["gpus_per_node"] is None and cpu["tasks_per_node"] == 1
    assert ddp_cpu["gpus_per_node"] is None and ddp_cpu["tasks_per_node"] == 2
    assert slurm_request("trainer=gpu")["gpus_per_node"] == 1
    assert (cpu["cpus_per_task"], cpu["mem_gb"]) == (1, 4)  # fits a small node; docs/clusters.md says what to set


def test_slurm_launcher_leaves_requeueing_to_submitit(tmp_path):
    cfg = composed("launcher=slurm", f"hydra.run.dir={tmp_path}")
    trainer = instantiate(cfg.trainer, logger=False, enable_checkpointing=False)
    assert trainer._accelerator_connector.cluster_environment.auto_requeue is False
    assert slurm_request()["max_num_timeout"] > 0


def test_cpu_trainer_and_default_callbacks_instantiate(tmp_path):
    cfg = composed(f"hydra.run.dir={tmp_path}")
    callbacks = [
        instantiate(c, dirpath=str(tmp_path)) if "dirpath" in c else instantiate(c) for c in cfg.callbacks.values()
    ]
    trainer = instantiate(cfg.trainer, callbacks=callbacks, logger=False)
    assert trainer.max_epochs == 50 and trainer.checkpoint_callback.monitor == "val/loss"


def test_the_paper_config_uses_the_package_mixing_order_and_holdout():
    from fakeid.data.layout import HOLDOUT, PAPER_MIXING_ORDER, TRAIN_GENERATOR

    cfg = composed()
    assert list(cfg.data.categories) == list(PAPER_MIXING_ORDER) and list(cfg.data.holdout) == [HOLDOUT]
    assert cfg.data.train_generator == TRAIN_GENERATOR
