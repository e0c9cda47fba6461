"""The decoded-image memo (`fakeid.data.datasets.DecodedMemo`): a process that runs run after run (a sweep worker)
decodes each file once, and never mixes the pixels of two files, two data roots, two versions of one file or two
image sizes; a failed read keeps nothing, and what a caller changes in its array never reaches the memo."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fakeid.data import datasets
from fakeid.data.datasets import DecodedMemo, ImageFileDataset, decode_errors
from fakeid.data.images import load_rgb
from fakeid.synth.quick import write_images

SIZE = 16


@pytest.fixture
def memo(monkeypatch) -> DecodedMemo:
    """A fresh memo in place of the process's own, so that no other test's files are in it."""
    fresh = DecodedMemo()
    monkeypatch.setattr(datasets, "MEMO", fresh)
    return fresh


@pytest.fixture
def decodes(monkeypatch) -> list[str]:
    """The files actually decoded (not served from the memo)."""
    seen: list[str] = []

    def counting(path, size, transform=None):
        seen.append(str(path))
        return load_rgb(path, size, transform)

    monkeypatch.setattr(datasets, "load_rgb", counting)
    return seen


def pixels(paths: list[Path], size: int = SIZE) -> list[np.ndarray]:
    dataset = ImageFileDataset(paths, [0] * len(paths), size)
    return [dataset[index][0].numpy() for index in range(len(paths))]


def test_a_file_is_decoded_once_per_process_and_read_back_exactly(tmp_path: Path, memo, decodes):
    paths = write_images(tmp_path / "root" / "0_real", 4, 24, fake=False, seed=0)
    assert decode_errors(paths, SIZE, workers=0) == [None] * 4  # the plan's check decodes them
    first, second = pixels(paths), pixels(paths)  # then the run's reads, then the next run's
    assert decodes == [str(p) for p in paths]
    expected = [load_rgb(p, SIZE).transpose(2, 0, 1) for p in paths]
    for got in (first, second):
        assert all(np.array_equal(a, b) for a, b in zip(got, expected, strict=True))
    assert memo.held == sum(image.nbytes for image in expected)


def test_two_data_roots_in_one_process_keep_their_own_pixels(tmp_path: Path, memo):
    """The same relative paths under two roots (two datasets a worker's jobs name), files of the same size
    (uncompressed BMP), are two sets of pixels."""
    one = write_images(tmp_path / "one" / "0_real", 3, 24, fake=False, seed=0, suffix=".bmp")
    two = write_images(tmp_path / "two" / "0_real", 3, 24, fake=True, seed=1, suffix=".bmp")
    assert [p.stat().st_size for p in one] == [p.stat().st_size for p in two]
    read_one, read_two = pixels(one), pixels(two)
    assert all(np.array_equal(a, load_rgb(p, SIZE).transpose(2, 0, 1)) for a, p in zip(read_one, one, strict=True))
    assert all(np.array_equal(a, load_rgb(p, SIZE).transpose(2, 0, 1)) for a, p in zip(read_two, two, strict=True))
    assert not any(np.array_equal(a, b) for a, b in zip(read_one, read_two, strict=True))


def test_a_rewritten_file_and_another_size_are_decoded_again(tmp_path: Path, memo, decodes):
    [path] = write_images(tmp_path / "root" / "0_real", 1, 24, fake=False, seed=0, suffix=".bmp")
    before, size = pixels([path])[0], path.stat().st_size
    Image.fromarray(np.full((24, 24, 3), 7, dtype=np.uint8)).save(path)  # in place: same inode, same size
    stat = os.stat(path)
    assert stat.st_size == size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # a rewrite within the clock's tick as well
    after = pixels([path])[0]
    assert not np.array_equal(before, after) and (after == 7).all()
    assert pixels([path], size=8)[0].shape == (3, 8, 8)
    assert decodes == [str(path)] * 3


def test_a_caller_writing_into_its_array_never_changes_the_kept_one(tmp_path: Path, memo):
    [path] = write_images(tmp_path / "root" / "0_real", 1, 24, fake=False, seed=0)
    dataset = ImageFileDataset([path], [0], SIZE)
    expected = dataset[0][0].clone()
    for _ in range(2):  # the first read decodes, the next ones come from the memo
        dataset[0][0].fill_(0)  # in place, as a transform on the batch could
    assert dataset[0][0].equal(expected)


def test_a_failed_read_keeps_nothing_and_a_repaired_file_is_read(tmp_path: Path, memo):
    """A run that failed on a corrupt file does not leave the next job anything of it."""
    [path] = write_images(tmp_path / "root" / "0_real", 1, 24, fake=False, seed=0)
    good = path.read_bytes()
    path.write_bytes(good[: len(good) // 2])  # truncated
    [error] = decode_errors([path], SIZE, workers=0)
    assert error is not None and memo.images == {} and memo.held == 0
    with pytest.raises(OSError):
        ImageFileDataset([path], [0], SIZE)[0]
    path.write_bytes(good)
    stat = os.stat(path)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert np.array_equal(pixels([path])[0], load_rgb(path, SIZE).transpose(2, 0, 1))


def test_nothing_is_added_past_the_budget_and_transforms_are_never_kept(tmp_path: Path, monkeypatch, decodes):
    small = DecodedMemo(budget=SIZE * SIZE * 3)  # room for one image
    monkeypatch.setattr(datasets, "MEMO", small)
    paths = write_images(tmp_path / "root" / "0_real", 2, 24, fake=False, seed=0)
    pixels(paths)
    pixels(paths)
    assert len(small.images) == 1 and small.held == SIZE * SIZE * 3
    assert decodes == [str(paths[0]), str(paths[1]), str(paths[1])]  # the second, not kept, decoded each time

    def transform(rgb, path, fmt):
        return rgb

    decodes.clear()
    dataset = ImageFileDataset(paths[:1], [0], SIZE, transform)
    dataset[0], dataset[0]
    assert decodes == [str(paths[0])] * 2
