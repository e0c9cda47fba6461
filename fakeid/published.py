"""`python -m fakeid.published`: a published detector's checkpoint as a run folder (docs/published.md).

    python -m fakeid.published source=cnndetection weights=blur_jpg_prob0.5.pth out=runs/cnndetection
    python -m fakeid.published source=ufd weights=fc_weights.pth clip_weights=open_clip_pytorch_model.bin out=runs/ufd
    python -m fakeid.published source=npr weights=NPR.pth out=runs/npr
    python -m fakeid.published weights=DIR out=runs/published    every checkpoint recognised in DIR, a run each

The work is in `fakeid.ingest.published`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import hydra
from omegaconf import DictConfig

from fakeid import CONF_DIR
from fakeid.core.cli import run_app
from fakeid.core.errors import one_line_errors


@hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name="published")
def hydra_main(cfg: DictConfig) -> None:
    with one_line_errors():
        # torch: only for a command that got this far
        from fakeid.ingest.published import import_folder, import_published

        overwrite = cfg.overwrite  # a bool: the schema's (PublishedConfig)
        if cfg.source is None and cfg.weights and Path(str(cfg.weights)).expanduser().is_dir():
            folder = Path(str(cfg.weights)).expanduser()
            done = import_folder(folder, cfg.out, cfg.clip_weights, overwrite, cfg.preprocess, cfg.clip_model)
        else:
            done = [
                import_published(
                    cfg.source, cfg.weights, cfg.out, cfg.clip_weights, overwrite, cfg.preprocess, cfg.clip_model
                )
            ]
        for each in done:
            hparams: dict = each.record.hparams or {}
            print(
                f"wrote {each.run_dir} (source {hparams['published.source']}, weights sha256 "
                f"{hparams['published.weights_sha256'][:12]}..., crop {hparams['published.crop']}, "
                f"preprocess {hparams['published.preprocess']}, threshold 0.5)"
            )


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m fakeid.published source=... weights=FILE out=RUN`; `argv` runs it in-process (tests)."""
    return run_app(hydra_main, argv, config_name="published")


if __name__ == "__main__":
    raise SystemExit(main())
