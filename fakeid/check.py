"""`python -m fakeid.check root=ROOT`: audit a data root before training (the work is in fakeid.audit).

Prints a summary, writes `check.json` (ROOT/check.json unless out=FILE) and exits 1 when a blocking problem
is found, 0 otherwise (warnings included), 2 on bad input. `spectra=true` also writes the Fourier spectra of
the root beside check.json (`fakeid.audit.spectra`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import hydra
from omegaconf import DictConfig, OmegaConf

from fakeid import CONF_DIR
from fakeid.audit import spectra
from fakeid.audit.report import audit, summary
from fakeid.core.atomic import write_text_atomically
from fakeid.core.cli import run_app
from fakeid.core.errors import FakeidError, one_line_errors


def check(cfg: DictConfig) -> int:
    if OmegaConf.is_missing(cfg, "root"):
        raise FakeidError("missing key root: expected root=ROOT, a folder holding train/ [val/] test/")
    root = Path(str(cfg.root)).expanduser()
    workers, with_spectra, per_class, size = cfg.workers, cfg.spectra, cfg.spectra_per_class, cfg.spectra_size
    if with_spectra:
        spectra.check_settings(per_class, size)  # before anything is read or written
    result = audit(
        root,
        categories=list(cfg.data.categories),
        holdout=list(cfg.data.holdout),
        train_generator=str(cfg.data.train_generator),
        decode=cfg.decode,
        workers=workers,
        max_pixels=cfg.data.max_pixels,
    )
    out = Path(str(cfg.out)).expanduser() if cfg.out else root / "check.json"
    record = result.as_dict()
    if with_spectra:
        found = spectra.data_spectra(root, per_class, cfg.spectra_seed, size)
        record["spectra"] = spectra.as_dict(found, spectra.save(found, out.parent))
        print(spectra.summary(found, out.parent))
    write_text_atomically(out, json.dumps(record, indent=2) + "\n")
    print(summary(result))
    print(f"wrote {out}")
    return result.exit_code


@hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name="check")
def hydra_main(cfg: DictConfig) -> None:
    with one_line_errors():
        code = check(cfg)
    raise SystemExit(code)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m fakeid.check root=ROOT`; `argv` runs it in-process (tests)."""
    return run_app(hydra_main, argv, config_name="check")


if __name__ == "__main__":
    raise SystemExit(main())
