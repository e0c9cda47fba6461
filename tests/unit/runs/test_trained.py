"""runs.trained.read_checkpoint maps a checkpoint instead of reading its weights, and still reads the legacy format."""

from __future__ import annotations

import pytest
import torch

from fakeid.core.errors import FakeidError
from fakeid.runs.trained import read_checkpoint


def payload() -> dict:
    return {"hyper_parameters": {"name": "legacy_xception"}, "state_dict": {"net.w": torch.arange(6.0)}}


@pytest.mark.parametrize("zipped", [True, False], ids=["zip format", "legacy format"])
def test_read_checkpoint_reads_both_formats_to_the_same_tensors(tmp_path, zipped):
    path = tmp_path / "tested.ckpt"
    torch.save(payload(), path, _use_new_zipfile_serialization=zipped)
    read = read_checkpoint(path)
    assert read["hyper_parameters"] == {"name": "legacy_xception"}
    assert torch.equal(read["state_dict"]["net.w"], torch.arange(6.0))


def test_a_file_that_is_no_checkpoint_is_one_line(tmp_path):
    path = tmp_path / "tested.ckpt"
    path.write_text("not a checkpoint")
    with pytest.raises(FakeidError, match=r"ckpt=.*tested.ckpt is not a PyTorch checkpoint"):
        read_checkpoint(path)


def test_a_run_that_records_no_image_size_is_one_line(tmp_path):
    """Neither metrics.json's hparams nor the checkpoint name the image size: one line, not int(None)'s TypeError."""
    from fakeid.runs.files import CHECKPOINT_DIR
    from fakeid.runs.record import RunRecord, write_record
    from fakeid.runs.trained import from_run

    (tmp_path / CHECKPOINT_DIR).mkdir()
    torch.save(payload(), tmp_path / CHECKPOINT_DIR / "best.ckpt")
    write_record(tmp_path, RunRecord(status="ok", hparams={}, tested_checkpoint="best.ckpt"))
    with pytest.raises(FakeidError, match=r"run=.*: neither its metrics.json nor .*best.ckpt records the image size"):
        from_run(tmp_path)
