"""The training command line, checked before Hydra runs: before a run folder exists, before the data identity
is computed, before anything trains. A bad value is one line `fakeid: error: KEY=VALUE: expected ...`
(exit 2, `fakeid.core.errors`), never an exception deep inside Lightning, timm or a DataLoader.

What is checked (`check_train_command`) is the schema's (`fakeid.core.configs`), on the composed config of every
job of the command (the sweep overrides and an experiment's `hydra.sweeper.params` expanded by Hydra's sweeper,
`fakeid.core.sweeps`), so that a sweep stops before its first job rather than failing each one: every key exists
(a `+key=value` too: only a config group, Hydra's own keys and `+trainer.ARG` for an argument of Lightning's
`Trainer` may be added), every value has its type and lies in its range (`fakeid.core.schema.config_problem`).
Two rules are not one key's and stay here, written by hand:
- `augment.hflip` against an explicit `model.hflip` (`fakeid.data.augment.resolve_hflip`);
- the smallest `data.image_size` is the backbone's total stride (`min_image_size`): below it the last stages of
  the network pool windows made of padding only (Xception at 7 px "trained" on a 1x1 map of zeros padded around
  one pixel). It is timm's `feature_info[-1]["reduction"]` of the model: 32 for the three backbones of
  conf/model (legacy_xception, resnet50.tv_in1k, efficientnet_b0; tests/e2e/test_faults_inputs.py checks the table
  against timm and that each runs at that size). Another timm name is asked of timm itself (importing it: the
  only case where this check imports torch).
A sweep over experiments (`+experiment=a,b`) is one sweep per experiment, run one after the other
(`fakeid.core.cli.commands_per_choice`): each is checked as if typed alone, all before the first starts, and two
that would write the same sweep folder (an `experiment_name=` or `hydra.sweep.dir=` on the line applies to
both) are refused: the second's multirun.yaml would replace the first's and its runs would land among them.
One bound is left to the run: `data.num_categories` above the length of `data.categories` fails that job (one
line, recorded in its metrics.json), as the mix has always refused it, so that a sweep reaching past the list
still runs its other jobs.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from omegaconf import DictConfig

from fakeid.core.cli import check_jobs, commands_per_choice
from fakeid.core.errors import FakeidError
from fakeid.core.sweeps import sweep_folder
from fakeid.data.augment import resolve_hflip

APP = "train"
EXPERIMENT = "experiment"  # the config group whose sweep runs as one sweep per choice (fakeid.train)
# timm's total stride; npr: fakeid's own network (stem and layer1-2 of ResNet-50), stride 8
MIN_IMAGE_SIZE = {"legacy_xception": 32, "resnet50.tv_in1k": 32, "efficientnet_b0": 32, "npr": 8}


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


def image_size_problem(cfg: DictConfig) -> str | None:
    """`data.image_size` below the backbone's total stride (module docstring), as one line; else None."""
    size, name = cfg.data.get("image_size"), cfg.model.get("name")
    smallest = min_image_size(str(name)) if name else 1
    if isinstance(size, int) and size < smallest:
        return (
            f"data.image_size={size}: expected at least {smallest} for model.name={name} (its total stride: "
            "below it the last stages pool padding only)"
        )
    if name == "npr" and isinstance(size, int) and size % 2:
        return f"data.image_size={size}: expected an even size for model.name=npr (its residual halves and doubles it)"
    return None


def job_problem(job: list[str], cfg: DictConfig) -> str | None:
    """The rules of a training job that are not one key's (module docstring)."""
    resolve_hflip(cfg, job)  # augment.hflip against an explicit model.hflip: raises its own line
    return image_size_problem(cfg)


def check_train_command(argv: Sequence[str]) -> None:
    """Refuse, in one line, a training command line whose keys or values are wrong (module docstring)."""
    commands = commands_per_choice(argv, EXPERIMENT)
    for command in commands:
        check_jobs(APP, command, job_problem)
    if len(commands) > 1:
        shared_sweep_folder(commands)


def shared_sweep_folder(commands: list[list[str]]) -> None:
    """Refuse two experiments of one command line that would write the same sweep folder (module docstring)."""
    seen: dict[str, str] = {}
    for command in commands:
        texts = [argument for argument in command if not argument.startswith("-")]
        folder = sweep_folder(APP, texts)
        experiment = next(text for text in texts if text.lstrip("+").startswith(f"{EXPERIMENT}="))
        if folder in seen:
            raise FakeidError(
                f"{seen[folder]} and {experiment} would both write the sweep folder {folder} (an experiment_name= "
                "or hydra.sweep.dir= on the command line applies to every experiment): leave it out, or run them "
                "one at a time"
            )
        seen[folder] = experiment
