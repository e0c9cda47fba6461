"""The files of a drawn figure: `<name>.png`, `<name>.pdf` and the CSV of the plotted numbers, written the
same way by every figure (Figs 1-3 and A, Fig R, the reliability diagram).

The PNG carries the SHA-256 of the CSV beside it (a PNG text chunk, `CSV_SHA256_KEY`), so a picture can be
checked against the numbers it was drawn from (the docs' demo pictures are: tests/unit/test_docs_demo.py). A
figure that can be drawn again from its CSV alone (Figs 1-3, the reliability diagram) also writes
`<name>.json`: the words around the numbers (title, caption, axes), which the CSV does not hold.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from fakeid.core.names import path_component

SUFFIXES = ("png", "pdf", "csv")
CSV_SHA256_KEY = "fakeid-csv-sha256"


def csv_sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def png_text(path: str | Path) -> dict[str, str]:
    """The text chunks of a PNG (where `CSV_SHA256_KEY` is)."""
    from PIL import Image  # matplotlib's own dependency

    with Image.open(path) as image:
        return dict(getattr(image, "text", {}) or {})


def open_markers(ax, x, y, color, size: float = 8, marker: str = "o", label: str | None = None):
    """Hollow markers over points (a clipped interval in Figs 1-3, a sparse reliability bin, Fig R's original
    images): the one way the figures flag a point."""
    return ax.plot(
        x,
        y,
        linestyle="none",
        marker=marker,
        markersize=size,
        markerfacecolor="none",
        markeredgecolor=color,
        label=label,
    )


def write_figure_files(
    drawn, data: pd.DataFrame, out_dir: str | Path, name: str, tight: bool = True, meta: dict | None = None
) -> dict[str, Path]:
    """Save `drawn` (a matplotlib figure, closed afterwards) and `data` into `out_dir`; returns suffix -> path.
    `tight`: bbox "tight", which keeps legends placed below the axes inside the picture. The PDF carries no
    creation date, so the same input gives the same bytes. `meta`: written as `<name>.json` (what a redraw
    from the CSV needs besides the numbers)."""
    out_dir, name = Path(out_dir), path_component(name)  # a figure's files stay in out_dir, whatever it is called
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {suffix: out_dir / f"{name}.{suffix}" for suffix in SUFFIXES}
    data.to_csv(paths["csv"], index=False)
    box = {"bbox_inches": "tight"} if tight else {}
    drawn.savefig(paths["png"], dpi=150, metadata={CSV_SHA256_KEY: csv_sha256(paths["csv"])}, **box)
    drawn.set_layout_engine("none")  # the PDF keeps the PNG's layout: computing it again was a third of its save
    drawn.savefig(paths["pdf"], metadata={"CreationDate": None}, **box)
    plt.close(drawn)
    if meta is not None:
        paths["json"] = out_dir / f"{name}.json"
        paths["json"].write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    return {suffix: paths[suffix] for suffix in (*SUFFIXES, *(["json"] if meta is not None else []))}
