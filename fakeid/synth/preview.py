"""A contact sheet of a generated benchmark: a few real and fake images of every test set, side by side.

Regenerate the committed figure with
`python -c "from fakeid.synth.preview import save_grid; save_grid('DATASET_DIR', 'docs/benchmark_samples.png')"`.
"""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image, ImageDraw

from fakeid.core.errors import FakeidError
from fakeid.core.names import inside
from fakeid.data.layout import LABEL_DIRS

LABEL_WIDTH = 150
GAP = 4


def save_grid(dataset_dir: str | Path, out_png: str | Path, per_class: int = 3, scale: int = 2) -> Path:
    """One row per test set: `per_class` reals then `per_class` fakes, enlarged `scale` x (nearest)."""
    root = Path(dataset_dir)
    card = root / "dataset.json"
    if not card.is_file():
        raise FakeidError(f"{card}: expected the dataset.json of a fakeid.synth benchmark")
    facts = json.loads(card.read_text())
    rows = [s for s in facts["sets"] if s["split"] == "test"]
    cell = facts["settings"]["image_size"] * scale + GAP
    header = 20
    sheet = Image.new("RGB", (LABEL_WIDTH + 2 * per_class * cell + GAP, header + len(rows) * cell), "white")
    draw = ImageDraw.Draw(sheet)
    draw.text((LABEL_WIDTH, 4), "real", fill="black")
    draw.text((LABEL_WIDTH + per_class * cell + GAP, 4), "fake", fill="black")
    for row, image_set in enumerate(rows):
        folder = inside(
            root, image_set["path"], f"{card}: a test set's path"
        )  # the card is a file: never read elsewhere
        top = header + row * cell
        family = next(c["family"] for c in facts["categories"] if c["folder"] == image_set["category"])
        draw.text((4, top + 4), image_set["path"].removeprefix("test/"), fill="black")
        draw.text((4, top + 18), f"({family})", fill="grey")
        for column, label in enumerate(LABEL_DIRS):
            for index, path in enumerate(sorted((folder / label).iterdir())[:per_class]):
                with Image.open(path) as image:
                    enlarged = image.convert("RGB").resize((cell - GAP, cell - GAP), Image.Resampling.NEAREST)
                left = LABEL_WIDTH + column * (per_class * cell + GAP) + index * cell
                sheet.paste(enlarged, (left, top))
    out = Path(out_png)
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out, format="PNG", optimize=True)
    return out
