"""`python -m fakeid.predict`: score image files with a trained detector, one CSV row per image.

    python -m fakeid.predict run=RUN_DIR input=photos/                  # the run's threshold, centre crop
    python -m fakeid.predict ckpt=best.ckpt input=[a.png,list.txt] crop=tiles out=scores.csv
    python -m fakeid.predict exported=detector.onnx input=photos/         # onnxruntime: no torch imported

The work is in `fakeid.inference` (docs/inference.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import hydra
from omegaconf import DictConfig, OmegaConf

from fakeid import CONF_DIR
from fakeid.core.cli import run_app
from fakeid.core.errors import one_line_errors
from fakeid.inference.predicting import default_out, predict


@hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name="predict")
def hydra_main(cfg: DictConfig) -> None:
    with one_line_errors():
        out = Path(cfg.out).expanduser() if cfg.out else default_out(Path(cfg.paths.outputs))
        inputs = OmegaConf.to_container(cfg.input) if OmegaConf.is_list(cfg.input) else cfg.input
        predict(
            inputs=inputs,
            out=out,
            run=cfg.run,
            ckpt=cfg.ckpt,
            exported=cfg.exported,
            crop=cfg.crop,
            min_size=cfg.min_size,
            max_tiles=cfg.max_tiles,
            max_pixels=cfg.max_pixels,
            batch_size=cfg.batch_size,
            device=cfg.device,
            threshold=cfg.threshold,
            progress=cfg.progress,
            explain=str(cfg.explain or "none"),
            explain_raw=cfg.explain_raw,
            explain_layer=cfg.explain_layer,
            overwrite=cfg.overwrite,
        )


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m fakeid.predict run=RUN_DIR|ckpt=PATH|exported=FILE input=PATH`; `argv` runs it in-process (tests)."""
    return run_app(hydra_main, argv, config_name="predict")


if __name__ == "__main__":
    raise SystemExit(main())
