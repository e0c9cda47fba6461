"""The one checkpoint reader loads data only: a pickle that names code is refused before it runs."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
import torch

from fakeid.runs.checkpoint_file import UnsafeCheckpoint, load_checkpoint_file


class Plant:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("zipped", [True, False], ids=["zip", "legacy"])
def test_a_pickle_that_names_code_is_refused_in_one_line_and_runs_nothing(tmp_path, zipped):
    marker, path = tmp_path / "MARKER", tmp_path / "evil.ckpt"
    torch.save({"state_dict": {}, "plant": Plant(marker)}, path, _use_new_zipfile_serialization=zipped)
    with pytest.raises(UnsafeCheckpoint) as refused:
        load_checkpoint_file(path)
    line = str(refused.value)
    assert line.startswith(f"ckpt={path} refused: it needs posix.system to load") and "\n" not in line
    assert not marker.exists()


def test_tensors_numbers_and_containers_load(tmp_path):
    path = tmp_path / "plain.ckpt"
    torch.save({"state_dict": {"w": torch.ones(2)}, "epoch": 3, "rng": (1, [2.5, "x"])}, path)
    loaded = load_checkpoint_file(path)
    assert loaded["epoch"] == 3 and loaded["rng"] == (1, [2.5, "x"]) and loaded["state_dict"]["w"].sum() == 2


def test_a_file_that_is_no_checkpoint_is_not_called_unsafe(tmp_path):
    """torch refuses garbage with the words it uses for code: the callers say 'not a checkpoint' instead."""
    path = tmp_path / "garbage.ckpt"
    path.write_text("not a checkpoint")
    with pytest.raises(pickle.UnpicklingError):
        load_checkpoint_file(path)
