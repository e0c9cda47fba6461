"""`python -m fakeid.report sweeps=[DIR,...] out=DIR`: a static site of sweeps and evaluation folders.

What was run, completeness, every figure the results support, per-set tables, the mistakes gallery and the
spectra of the data root, in one folder (`index.html`, its pictures, `results.csv`, `report.json`) that
opens in any browser with nothing installed. The work is in `fakeid.reporting` (docs/report.md).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import hydra
from omegaconf import DictConfig

from fakeid import CONF_DIR
from fakeid.analysis.tracked_outputs import files_written_since, upload
from fakeid.core.cli import as_list, require, run_app
from fakeid.core.errors import one_line_errors
from fakeid.reporting.site import INDEX, Settings, build


@hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name="report")
def hydra_main(cfg: DictConfig) -> None:
    with one_line_errors():
        expected = "sweeps=DIR or sweeps=[DIR1,DIR2] (training sweeps or evaluation folders)"
        sweeps = [Path(str(sweep)) for sweep in as_list(require(cfg, "sweeps", expected))]
        out = Path(str(require(cfg, "out", "out=DIR, the folder for the report")))
        settings = Settings(
            k=cfg.k,
            spectra=cfg.spectra,
            spectra_per_class=cfg.spectra_per_class,
            spectra_seed=cfg.spectra_seed,
            figures=[str(folder) for folder in as_list(cfg.figures)] if cfg.figures else [],
            drawn=[str(folder) for folder in as_list(cfg.drawn)] if cfg.drawn else [],
            data_root=cfg.data_root,
            title=cfg.title,
            overwrite=cfg.overwrite,
            command="python -m fakeid.report "
            + " ".join([f"sweeps=[{','.join(map(str, sweeps))}]", f"out={out}", *_set_keys(cfg)]),
        )
        started = time.time() - 2  # file systems that keep whole seconds
        build(sweeps, out, settings)
        print(f"wrote {out / INDEX}")
        for line in upload(sweeps, files_written_since(out, started), out, "report"):  # a tracked sweep gets it too
            print(f"uploaded the report to {line}")


def _set_keys(cfg: DictConfig) -> list[str]:
    from hydra.core.hydra_config import HydraConfig

    task = HydraConfig.get().overrides.task
    return [item for item in task if not item.lstrip("+").startswith(("sweeps=", "out="))]


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m fakeid.report sweeps=[DIR,...] out=DIR`; `argv` runs it in-process (tests)."""
    return run_app(hydra_main, argv, config_name="report")


if __name__ == "__main__":
    raise SystemExit(main())
