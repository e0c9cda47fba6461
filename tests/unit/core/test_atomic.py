"""core.atomic's hard link: a second name, safe to replace, and a copy where links are refused."""

from __future__ import annotations

import os

from fakeid.core.atomic import link_atomically, write_bytes_atomically


def test_link_is_a_second_name_and_replacing_one_name_keeps_the_other(tmp_path):
    source, target = tmp_path / "best.ckpt", tmp_path / "last.ckpt"
    source.write_bytes(b"epoch 0")
    target.write_bytes(b"older")
    link_atomically(source, target)
    assert target.read_bytes() == b"epoch 0" and source.stat().st_ino == target.stat().st_ino
    write_bytes_atomically(target, b"epoch 1")  # the next epoch's last.ckpt
    assert source.read_bytes() == b"epoch 0" and target.read_bytes() == b"epoch 1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best.ckpt", "last.ckpt"]


def test_a_file_system_without_hard_links_gets_a_copy(tmp_path, monkeypatch):
    def refuse(source, target):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", refuse)
    source, target = tmp_path / "best.ckpt", tmp_path / "last.ckpt"
    source.write_bytes(b"weights")
    link_atomically(source, target)
    assert target.read_bytes() == b"weights" and source.stat().st_ino != target.stat().st_ino
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best.ckpt", "last.ckpt"]
