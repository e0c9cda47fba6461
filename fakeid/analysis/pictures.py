"""The files of a drawn figure: `<name>.png`, `<name>.pdf` and the CSV of the plotted numbers, written the
same way by every figure (Figs 1-3 and A, Fig R, the reliability diagram)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

SUFFIXES = ("png", "pdf", "csv")


def write_figure_files(
    drawn, data: pd.DataFrame, out_dir: str | Path, name: str, tight: bool = True
) -> dict[str, Path]:
    """Save `drawn` (a matplotlib figure, closed afterwards) and `data` into `out_dir`; returns suffix -> path.
    `tight`: bbox "tight", which keeps legends placed below the axes inside the picture. The PDF carries no
    creation date, so the same input gives the same bytes."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {suffix: out_dir / f"{name}.{suffix}" for suffix in SUFFIXES}
    box = {"bbox_inches": "tight"} if tight else {}
    drawn.savefig(paths["png"], dpi=150, **box)
    drawn.savefig(paths["pdf"], metadata={"CreationDate": None}, **box)
    plt.close(drawn)
    data.to_csv(paths["csv"], index=False)
    return paths
