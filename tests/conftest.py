"""Shared fixtures: tiny image folders in the PROTOCOL.md layout, made by the tests themselves."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fakeid.data.mix import PAPER_MIXING_ORDER

REPO = Path(__file__).resolve().parents[1]
MIXING_ORDER = list(PAPER_MIXING_ORDER)


def write_images(folder: Path, count: int, size: int, fake: bool, seed: int, suffix: str = ".png") -> list[Path]:
    """Smooth random images; fakes carry a faint checkerboard, a learnable upsampling trace."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    paths = []
    for index in range(count):
        base = rng.uniform(0, 255, (size // 4, size // 4, 3))
        image = np.kron(base, np.ones((4, 4, 1)))
        if fake:
            image += 24 * (np.indices((size, size)).sum(0) % 2)[..., None]
        path = folder / f"{index:04d}{suffix}"
        Image.fromarray(np.clip(image, 0, 255).astype(np.uint8)).save(path)
        paths.append(path)
    return paths


def make_layout(root: Path, categories=MIXING_ORDER, train_per_class: int = 12, test_per_class: int = 4,
                size: int = 32, test_sets=("progan/sheep", "progan/cat", "stylegan2/horse")) -> Path:
    for index, category in enumerate(categories):
        for label, fake in (("0_real", False), ("1_fake", True)):
            write_images(root / "train" / category / label, train_per_class, size, fake, seed=2 * index + fake)
    for index, name in enumerate(test_sets):
        for label, fake in (("0_real", False), ("1_fake", True)):
            write_images(root / "test" / name / label, test_per_class, size, fake, seed=1000 + 2 * index + fake)
    return root


@pytest.fixture
def tiny_root(tmp_path: Path) -> Path:
    return make_layout(tmp_path / "data")


def run_module(module: str, *args: str, cwd: Path | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run `python -m module args...` as a user would, with the package's own interpreter."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "HYDRA_FULL_ERROR": "0"}
    return subprocess.run([sys.executable, "-m", module, *args], cwd=cwd or REPO, env=env, text=True,
                          capture_output=True, timeout=timeout)


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory) -> Path:
    """One tiny training run shared by every test that needs a trained detector (eval, predict, export).

    Trained once per session through the real CLI: 3 categories, 1 epoch at 32 px, dropout 0.3 (so that a
    swept model key is seen reaching metrics.json), checkpoints kept. Tests must not modify its folder; copy
    it first if they need to. Tests that use it are slow (the first one trains).
    """
    base = tmp_path_factory.mktemp("trained")
    root = make_layout(base / "data")
    run_dir = base / "run"
    done = run_module("fakeid.train", "data=tiny", f"data.root={root}", "data.num_categories=3",
                      "model.drop_rate=0.3", "trainer.max_epochs=1", "logger=none", "seed=0",
                      f"paths.outputs={base / 'outputs'}", f"hydra.run.dir={run_dir}",
                      "trainer.enable_progress_bar=false", "callbacks=none")
    assert done.returncode == 0, done.stderr[-3000:]
    return run_dir
