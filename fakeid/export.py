"""`python -m fakeid.export`: write a trained detector as ONNX or TorchScript, with metadata and a parity check.

    python -m fakeid.export run=RUN_DIR format=onnx out=detector.onnx
    python -m fakeid.export ckpt=best.ckpt threshold=0.42 format=torchscript out=detector.pt

The work is in `fakeid.inference.exporting` (docs/inference.md); the model card written beside the file (and
into its metadata) is `fakeid.analysis.model_card`.
"""

from __future__ import annotations

from collections.abc import Sequence

import hydra
from omegaconf import DictConfig

from fakeid import CONF_DIR
from fakeid.core.atomic import holds_text
from fakeid.core.cli import run_app
from fakeid.core.errors import one_line_errors
from fakeid.runs import trained
from fakeid.runs.outputs import check_output


@hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name="export")
def hydra_main(cfg: DictConfig) -> None:
    with one_line_errors():
        # torch and the onnx extra: only for a command that got this far (--help and bad keys stay fast)
        from fakeid.inference.exporting import check_out, export

        overwrite = cfg.overwrite
        out = check_out(cfg.out, cfg.format, overwrite)  # a one-line error before the (slow) load
        from fakeid.analysis.model_card import card_file, model_card, write_card

        detector = trained.resolve(run=cfg.run, ckpt=cfg.ckpt, threshold=cfg.threshold)
        card = model_card(detector)  # from the run's record; none for a bare checkpoint
        # The card beside out= follows out='s rule, checked before anything is written; the same run's card (both
        # formats exported into one folder) is the same text, so replacing that file loses nothing and needs no
        # flag (a link holding it is still the user's link).
        if card is not None:
            beside = card_file(out)
            if beside.is_symlink() or not holds_text(beside, card.markdown()):
                check_output(beside, overwrite, what="model card", named=f"the model card {beside}")
        path, parity, info = export(
            detector,
            cfg.format,
            cfg.out,
            check=cfg.check,
            overwrite=overwrite,
            extra_metadata=card.metadata() if card else None,
        )
        threshold = "unknown (predict uses 0.5)" if info.threshold is None else f"{info.threshold:.6g}"
        print(f"wrote {path} ({cfg.format}; image_size {info.image_size}, threshold {threshold})")
        if parity is not None:
            shapes = ", ".join("x".join(map(str, shape)) for shape in parity.shapes)
            print(f"parity with the PyTorch detector: max |difference| {parity.max_abs_diff:.2e} on {shapes}")
        if card is not None:
            print(f"wrote {write_card(card, path)} (the model card; its essentials are in the file's metadata)")
        else:
            print("no model card: a bare checkpoint has no run record to describe (export run=RUN_DIR for one)")


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m fakeid.export run=RUN_DIR|ckpt=PATH format=onnx|torchscript`; `argv` runs it in-process (tests)."""
    return run_app(hydra_main, argv, config_name="export")


if __name__ == "__main__":
    raise SystemExit(main())
