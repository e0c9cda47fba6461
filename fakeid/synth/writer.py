"""Write the synthetic benchmark to disk in the layout of docs/study.md, deterministically."""

from __future__ import annotations

import math
import shutil
import sys
import zlib
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from fakeid.core.configs import SynthConfig
from fakeid.core.errors import FakeidError
from fakeid.core.schema import mapping_problem
from fakeid.core.threads import one_torch_thread
from fakeid.data.layout import LABEL_DIRS, REAL_DIR
from fakeid.synth import catalog
from fakeid.synth.card import describe, real_suffix, write_card
from fakeid.synth.content import render
from fakeid.synth.generators import FixedGenerator, downsample
from fakeid.synth.settings import Settings, resolve

# Images rendered per call: bounds memory (some renderers hold count x pixels intermediates).
CHUNK = 64


def _chunk_rng(seed: int, folder: str, chunk: int) -> np.random.Generator:
    """Independent stream per (seed, folder, chunk): adding a folder never changes another one's images."""
    return np.random.default_rng([seed, zlib.crc32(folder.encode()), chunk])


def _to_uint8(images: np.ndarray) -> np.ndarray:
    return np.round(np.clip(images, 0, 1) * 255).astype(np.uint8)


def _save(images: np.ndarray, folder: Path, first_index: int, settings: Settings, real: bool) -> None:
    suffix = real_suffix(settings) if real else ".png"
    for offset, pixels in enumerate(_to_uint8(images)):
        path = folder / f"{first_index + offset:05d}{suffix}"
        if suffix == ".jpg":  # 4:2:0 chroma subsampling, as in typical JPEG photo collections
            Image.fromarray(pixels).save(path, format="JPEG", quality=settings.jpeg_quality, subsampling=2)
        else:
            Image.fromarray(pixels).save(path, format="PNG", compress_level=6)


def _prepare(root: Path, overwrite: bool) -> None:
    """Create `root`, refusing to mix with existing files; overwrite=true clears only a previous benchmark."""
    if root.exists() and not root.is_dir():
        raise FakeidError(f"out={root}: expected a folder, found a file")
    if root.exists() and any(root.iterdir()):
        if not overwrite:
            raise FakeidError(f"out={root}: folder is not empty; choose a new folder or pass overwrite=true")
        if not (root / "dataset.json").is_file():
            raise FakeidError(f"out={root}: overwrite=true clears only a folder with a fakeid.synth dataset.json")
        for name in ("train", "test"):
            shutil.rmtree(root / name, ignore_errors=True)
        for name in ("DATASET.md", "dataset.json"):
            (root / name).unlink(missing_ok=True)
    root.mkdir(parents=True, exist_ok=True)


def generate(
    out: str | Path,
    preset: str = "tiny",
    seed: int = 0,
    overwrite: bool = False,
    progress: bool = True,
    **overrides: object,
) -> Path:
    """Write the benchmark `preset` (with `overrides`, e.g. image_size=48) into `out`; return its path.

    Same preset, overrides and seed give byte-identical files. Content follows `seed`; the fake generators'
    weights are fixed by GENERATOR_SEED and shared by every preset.
    """
    settings = resolve(preset, overrides)
    problem = mapping_problem({"seed": seed, "overwrite": overwrite, "progress": progress}, SynthConfig, app="synth")
    if problem:  # a Python caller's values: the schema's check, as the command line's
        raise FakeidError(problem)
    show_progress = progress
    root = Path(out)
    _prepare(root, overwrite)
    facts = describe(settings, preset, seed)
    stages = int(math.log2(settings.upsample_factor))
    generators = {name: FixedGenerator(g.upsampler, stages) for name, g in catalog.GENERATORS.items()}

    with (
        one_torch_thread(),
        tqdm(
            total=facts["total_images"], desc="fakeid.synth", unit="img", file=sys.stderr, disable=not show_progress
        ) as bar,
    ):
        for image_set in catalog.image_sets():
            family = catalog.CATEGORIES[image_set.category].family
            per_class = settings.per_class(image_set.split)
            for label in LABEL_DIRS:
                folder = root / image_set.path / label
                folder.mkdir(parents=True)
                real = label == REAL_DIR
                for chunk, start in enumerate(range(0, per_class, CHUNK)):
                    count = min(CHUNK, per_class - start)
                    rng = _chunk_rng(seed, f"{image_set.path}/{label}", chunk)
                    images = render(family, rng, count, settings.image_size)
                    if not real:
                        images = generators[image_set.generator](downsample(images, settings.upsample_factor), rng)
                    _save(images, folder, start, settings, real)
                    bar.update(count)
    write_card(root, facts)
    return root
