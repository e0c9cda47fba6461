"""The tiny sweep settings of every test that runs a sweep through `python -m fakeid.train -m`."""

from __future__ import annotations

from pathlib import Path

from tests.helpers.commands import run_module

# timm's 0.4 M-parameter test_resnet: what is tested is the sweep machinery, not the network (the study's
# Xception trains in test_train_cli and test_reliability)
TINY = [
    "data=tiny",
    "model=demo",
    "model.name=test_resnet",
    "trainer.max_epochs=1",
    "logger=none",
    "callbacks=checkpoint_only",
]


def sweep(outputs: Path, root: Path, name: str, *extra: str):
    """A tiny sweep named `name` on `root` into `outputs`, in process; `extra`: the grid and other overrides."""
    return run_module(
        "fakeid.train", "-m", *TINY, f"data.root={root}", f"paths.outputs={outputs}", f"experiment_name={name}", *extra
    )
