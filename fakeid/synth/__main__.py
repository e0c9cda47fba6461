"""`python -m fakeid.synth out=DIR preset=tiny|demo seed=S [key=value ...]`: a Hydra app (conf/synth.yaml)
around `fakeid.synth.generate`; the keys are checked in `fakeid.synth.settings`."""

from __future__ import annotations

from collections.abc import Sequence

import hydra
from omegaconf import DictConfig, OmegaConf

from fakeid import CONF_DIR
from fakeid.core.cli import run_app
from fakeid.core.errors import FakeidError, one_line_errors
from fakeid.synth.settings import RUN_KEYS, SETTING_KEYS
from fakeid.synth.writer import generate


def write(cfg: DictConfig) -> str:
    if OmegaConf.is_missing(cfg, "out"):
        raise FakeidError("missing key out: expected out=DIR, the folder to write the benchmark into")
    arguments = {key: cfg[key] for key in RUN_KEYS}
    overrides = {key: cfg[key] for key in SETTING_KEYS if cfg[key] is not None}
    root = generate(**{**arguments, "out": str(arguments["out"])}, **overrides)
    return f"wrote {root} (see {root / 'DATASET.md'})"


@hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name="synth")
def hydra_main(cfg: DictConfig) -> None:
    with one_line_errors():
        print(write(cfg))


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m fakeid.synth out=DIR [preset=tiny|demo] [key=value ...]`; `argv` runs it in-process (tests)."""
    return run_app(hydra_main, argv, config_name="synth")


if __name__ == "__main__":
    raise SystemExit(main())
