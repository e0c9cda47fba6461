"""The decoded cache: exact pixels, rebuilt exactly when its inputs change, safe under concurrent builds,
unreadable files reported, a datamodule with `cache=True` yielding the batches of `cache=False`, and a detector
scoring through the cache what its training scored from the files."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

from fakeid.core.errors import FakeidError
from fakeid.data import cache as cache_module
from fakeid.data.cache import CachedImageDataset, cache_error_check, ensure_folder_cache
from fakeid.data.datasets import ImageFileDataset
from fakeid.data.images import load_rgb
from fakeid.synth.quick import write_images
from tests.helpers.commands import REPO, run_module
from tests.helpers.layouts import make_datamodule, make_layout
from tests.helpers.parity import SAME_ENGINE_TOLERANCE, ScoredRun, assert_scores_match

SIZE = 16


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write_images(tmp_path / "data" / "0_real", 6, 24, fake=False, seed=0)  # 24 px: the cache centre-crops to 16
    return tmp_path / "data" / "0_real"


@pytest.fixture
def builds(monkeypatch) -> list[Path]:
    """Counts cache builds in this process."""
    calls: list[Path] = []
    original = cache_module.build

    def counting_build(folder, *args, **kwargs):
        calls.append(folder)
        return original(folder, *args, **kwargs)

    monkeypatch.setattr(cache_module, "build", counting_build)
    return calls


def test_cached_rows_equal_the_decoded_files(folder: Path, tmp_path: Path):
    cache = ensure_folder_cache(folder, SIZE, tmp_path / "cache", workers=0)
    array = np.load(cache.array_path)
    files = sorted(folder.iterdir())
    assert array.shape == (len(files), SIZE, SIZE, 3) and array.dtype == np.uint8
    for file in files:
        assert np.array_equal(array[cache.row_of(file)], load_rgb(file, SIZE))
    assert cache.meta["errors"] == [None] * len(files)


def test_parallel_build_equals_in_process_build(tmp_path: Path, monkeypatch):
    folder = tmp_path / "many"
    write_images(folder, 70, 16, fake=True, seed=1)  # above IN_PROCESS_BELOW: a process pool decodes
    monkeypatch.setattr(cache_module, "ROWS_PER_TASK", 16)  # several tasks, finishing in any order
    parallel = ensure_folder_cache(folder, SIZE, tmp_path / "a", workers=2)
    serial = ensure_folder_cache(folder, SIZE, tmp_path / "b", workers=0)
    assert np.array_equal(np.load(parallel.array_path), np.load(serial.array_path))


def test_reused_when_nothing_changed(folder: Path, tmp_path: Path, builds: list[Path]):
    first = ensure_folder_cache(folder, SIZE, tmp_path / "cache", workers=0)
    written = first.array_path.stat().st_mtime_ns
    second = ensure_folder_cache(folder, SIZE, tmp_path / "cache", workers=0)
    assert second == first and len(builds) == 1 and first.array_path.stat().st_mtime_ns == written


@pytest.mark.parametrize("change", ["add", "remove", "touch", "image_size"])
def test_rebuilt_when_its_inputs_change(folder: Path, tmp_path: Path, builds: list[Path], change: str):
    before = ensure_folder_cache(folder, SIZE, tmp_path / "cache", workers=0)
    size = SIZE
    files = sorted(folder.iterdir())
    if change == "add":
        write_images(tmp_path / "extra", 1, 24, fake=True, seed=9)[0].rename(folder / "9999.png")
    elif change == "remove":
        files[-1].unlink()
    elif change == "touch":
        stat = files[0].stat()
        os.utime(files[0], ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    else:
        size = 8
    after = ensure_folder_cache(folder, size, tmp_path / "cache", workers=0)
    assert after.array_path != before.array_path and len(builds) == 2
    current = sorted(folder.iterdir())
    assert after.meta["paths"] == [os.path.abspath(p) for p in current]
    assert np.array_equal(np.load(after.array_path)[-1], load_rgb(current[-1], size))


def test_two_processes_building_at_once_leave_one_correct_cache(folder: Path, tmp_path: Path):
    log = tmp_path / "builds.log"
    script = textwrap.dedent(f"""
        import time
        from pathlib import Path
        from fakeid.data import cache
        original = cache.build
        def slow_logged_build(*args, **kwargs):
            with open({str(log)!r}, "a") as handle:
                handle.write("built\\n")
            time.sleep(1.0)  # keeps the lock held while the other process arrives
            return original(*args, **kwargs)
        cache.build = slow_logged_build
        cache.ensure_folder_cache(Path({str(folder)!r}), {SIZE}, Path({str(tmp_path / "cache")!r}), workers=0)
    """)
    processes = [subprocess.Popen([sys.executable, "-c", script], cwd=REPO) for _ in range(2)]
    assert [process.wait(timeout=120) for process in processes] == [0, 0]
    assert log.read_text() == "built\n"
    produced = sorted(p.name for p in (tmp_path / "cache").iterdir() if not p.name.endswith(".lock"))
    assert len(produced) == 2 and {Path(name).suffix for name in produced} == {".npy", ".json"}
    cache = ensure_folder_cache(folder, SIZE, tmp_path / "cache", workers=0)
    for file in sorted(folder.iterdir()):
        assert np.array_equal(np.load(cache.array_path)[cache.row_of(file)], load_rgb(file, SIZE))


def test_unreadable_files_are_reported_and_left_zero(folder: Path, tmp_path: Path):
    broken = folder / "0003.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    files = sorted(folder.iterdir())
    errors = cache_error_check(tmp_path / "cache", SIZE, workers=0)(files)
    assert [error is not None for error in errors] == [file == broken for file in files]
    assert "UnidentifiedImageError" in errors[files.index(broken)]
    cache = ensure_folder_cache(folder, SIZE, tmp_path / "cache", workers=0)
    assert not np.load(cache.array_path)[cache.row_of(broken)].any()


def test_a_path_outside_the_listing_is_a_one_line_error(folder: Path, tmp_path: Path):
    (folder / "notes.txt").write_text("not an image")
    with pytest.raises(FakeidError, match="notes.txt"):
        cache_error_check(tmp_path / "cache", SIZE, workers=0)([folder / "notes.txt"])


def test_dataset_items_and_batches_equal_the_file_dataset(tmp_path: Path):
    root = make_layout(tmp_path / "data", categories=["cat", "cow"], train_per_class=5, size=24)
    paths = sorted((root / "train").glob("*/*/*.png"))
    labels = [int(p.parent.name == "1_fake") for p in paths]
    cached = CachedImageDataset(paths, labels, SIZE, tmp_path / "cache")
    files = ImageFileDataset(paths, labels, SIZE)
    for index in (0, 7, len(paths) - 1):
        assert torch.equal(cached[index][0], files[index][0]) and cached[index][1] == files[index][1]
    indices = [13, 2, 2, 19, 5, 0]  # several arrays, repeats, descending rows
    for (image, label), index in zip(cached.__getitems__(indices), indices, strict=True):
        assert torch.equal(image, files[index][0]) and label == files[index][1]
    state = pickle.loads(pickle.dumps(cached))
    assert state._arrays == {} and torch.equal(state[3][0], files[3][0])  # workers reopen, never copy, arrays


def batches(loader) -> list[tuple[torch.Tensor, torch.Tensor]]:
    return [(images.clone(), labels.clone()) for images, labels in loader]


@pytest.mark.parametrize("workers", [0, 2])
def test_datamodule_with_cache_yields_the_same_batches(tmp_path: Path, workers: int):
    root = make_layout(
        tmp_path / "data",
        categories=["cat", "church_outdoor"],
        train_per_class=10,
        test_per_class=3,
        size=32,
        test_sets=("progan/sheep",),
    )
    # skipped in both modes: every test image is drawn (3 of 3), so the broken one is met for sure
    (root / "test" / "progan" / "sheep" / "1_fake" / "0001.png").write_bytes(b"broken")
    common = dict(num_categories=2, train_per_class=8, val_per_class=4, image_size=SIZE, num_workers=workers, seed=3)
    plain = make_datamodule(root, **common, cache=False)
    cached = make_datamodule(root, **common, cache=True)
    assert cached.plan().summary() == plain.plan().summary()
    assert cached.plan().train.paths == plain.plan().train.paths
    assert any("sheep/1_fake/0001.png" in str(path) for path, _ in cached.plan().tests[0].skipped)
    for make in ("train_dataloader", "val_dataloader", "test_dataloader"):
        plain_loaders, cached_loaders = getattr(plain, make)(), getattr(cached, make)()
        plain_loaders = plain_loaders if isinstance(plain_loaders, list) else [plain_loaders]
        cached_loaders = cached_loaders if isinstance(cached_loaders, list) else [cached_loaders]
        for plain_loader, cached_loader in zip(plain_loaders, cached_loaders, strict=True):
            expected, got = batches(plain_loader), batches(cached_loader)
            assert len(got) == len(expected) > 0
            for (image_a, label_a), (image_b, label_b) in zip(expected, got, strict=True):
                assert torch.equal(image_a, image_b) and torch.equal(label_a, label_b)
    assert (root / ".fakeid-cache").is_dir()  # the default cache_dir


@pytest.mark.slow
def test_eval_through_the_cache_scores_what_training_scored_from_the_files(discriminating_run, tmp_path: Path):
    """`fakeid.eval data.cache=true` against the scores.csv its run's test wrote decoding every file (41 px test
    images: the cache's centre crop has room to differ from the file dataset's), on the discriminating detector."""
    out = tmp_path / "eval"
    done = run_module(
        "fakeid.eval",
        f"run={discriminating_run.run}",
        "data.cache=true",
        f"data.cache_dir={tmp_path / 'cache'}",
        f"hydra.run.dir={out}",
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert list((tmp_path / "cache").glob("*.npy")), "the scores came from the cache"
    cached = ScoredRun.of(out).scores
    assert list(cached) == list(discriminating_run.scores)
    expected = list(discriminating_run.scores.values())
    assert_scores_match(list(cached.values()), expected, discriminating_run.spread, SAME_ENGINE_TOLERANCE)
