"""LSUN-like LMDB databases of encoded images, for the prepare and check tests (lmdb is the `data` extra)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image


def encoded(format_name: str, seed: int, size: tuple[int, int] = (40, 48)) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 255, (*size, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format_name)
    return buffer.getvalue()


def make_lmdb(folder: Path, values: dict[bytes, bytes]) -> Path:
    folder.mkdir(parents=True)
    import lmdb  # the `data` extra: callers skip without it (pytest.importorskip)

    env = lmdb.open(str(folder), map_size=1 << 24)
    with env.begin(write=True) as txn:
        for key, value in values.items():
            txn.put(key, value)
    env.close()
    return folder
