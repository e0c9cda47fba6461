"""`python -m fakeid.prepare source=lsun|cnndetection|folder ...`: real data into fakeid's layout (the work is
in fakeid.ingest). Every source validates its input before writing; writes are atomic and a re-run continues.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import hydra
from omegaconf import DictConfig, OmegaConf

from fakeid import CONF_DIR
from fakeid.core.cli import run_app
from fakeid.core.errors import FakeidError, one_line_errors
from fakeid.ingest.cnndetection import Mix, prepare_cnndetection
from fakeid.ingest.folders import prepare_folder
from fakeid.ingest.lsun import prepare_lsun

# The keys each source reads (besides `source` and `out`); the optional keys default to null.
SOURCE_KEYS = {
    "lsun": ("src", "per_category", "seed", "categories"),
    "cnndetection": ("src",),
    "folder": ("real", "fake", "mode"),
}
OPTIONAL_KEYS = ("src", "per_category", "categories", "real", "fake")


def path_of(cfg: DictConfig, key: str) -> Path:
    if cfg.get(key) is None:
        raise FakeidError(f"missing key {key}: source={cfg.source} expects {key}=DIR")
    return Path(str(cfg[key])).expanduser()


def validate(cfg: DictConfig) -> str:
    for key in ("source", "out"):
        if OmegaConf.is_missing(cfg, key):
            raise FakeidError(f"missing key {key}: expected source={'|'.join(SOURCE_KEYS)} out=DIR (see --help)")
    source = str(cfg.source)  # one of SOURCE_KEYS: the schema's choices (PrepareConfig.source)
    stray = [key for key in OPTIONAL_KEYS if cfg.get(key) is not None and key not in SOURCE_KEYS[source]]
    if stray:
        raise FakeidError(
            f"key {stray[0]} is not read by source={source} (its keys: out, {', '.join(SOURCE_KEYS[source])})"
        )
    return source


def lsun(cfg: DictConfig, out: Path) -> str:
    if cfg.per_category is None:
        raise FakeidError("missing key per_category: source=lsun expects per_category=N, images per category")
    categories = cfg.categories
    if categories is not None and not OmegaConf.is_list(categories):
        categories = [categories]
    return prepare_lsun(
        path_of(cfg, "src"),
        out,
        cfg.per_category,
        cfg.seed,
        [str(c) for c in categories] if categories else None,
    )


def cnndetection(cfg: DictConfig, out: Path) -> str:
    mix = Mix(tuple(cfg.data.categories), tuple(cfg.data.holdout), str(cfg.data.train_generator))
    return prepare_cnndetection(path_of(cfg, "src"), out, mix)


def folder(cfg: DictConfig, out: Path) -> str:
    return prepare_folder(path_of(cfg, "real"), path_of(cfg, "fake"), out, str(cfg.mode))


SOURCES: dict[str, Callable[[DictConfig, Path], str]] = {"lsun": lsun, "cnndetection": cnndetection, "folder": folder}


def prepare(cfg: DictConfig) -> str:
    source = validate(cfg)
    return SOURCES[source](cfg, Path(str(cfg.out)).expanduser())


@hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name="prepare")
def hydra_main(cfg: DictConfig) -> None:
    with one_line_errors():
        print(prepare(cfg))


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m fakeid.prepare source=lsun|cnndetection|folder out=DIR ...`; `argv` runs it in-process (tests)."""
    return run_app(hydra_main, argv, config_name="prepare")


if __name__ == "__main__":
    raise SystemExit(main())
