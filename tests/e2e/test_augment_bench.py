"""`python -m fakeid.bench parts=[loader] augment=CHOICE`: the loader's cost of a training augmentation, per
core, without and with it, from PNG files and from the cache, at each of `augment_sizes`."""

from __future__ import annotations

import json
import re

from tests.helpers.commands import assert_one_line_error, run_module


def test_the_loader_part_measures_the_augmentation_at_each_size(tmp_path):
    out = tmp_path / "bench.json"
    done = run_module(
        "fakeid.bench",
        "parts=[loader]",
        "augment=blur_jpeg",
        "augment.blur_prob=1.0",
        "size=16",
        "images=16",
        "batch=4",
        "workers=0",
        "loader_seconds=0.05",
        "augment_sizes=[16,24]",
        f"workdir={tmp_path / 'work'}",
        f"out={out}",
    )
    assert done.returncode == 0, done.stderr[-2000:]
    measured = json.loads(out.read_text())["loader"]["augment"]
    assert measured["config"]["name"] == "blur_jpeg" and measured["config"]["blur_prob"] == 1.0
    for size in ("16px", "24px"):
        figures = measured[size]
        for source in ("png", "cache"):
            assert figures[f"{source}_plain_images_per_s_one_core"] > 0
            assert figures[f"{source}_augmented_images_per_s_one_core"] > 0
            assert figures[f"{source}_augmented_over_plain"] > 0


def test_without_augmentation_nothing_more_is_measured(tmp_path):
    out = tmp_path / "bench.json"
    args = ["parts=[loader]", "size=16", "images=8", "batch=4", "workers=0", "loader_seconds=0.05", f"out={out}"]
    done = run_module("fakeid.bench", *args)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "augment" not in json.loads(out.read_text())["loader"]


def test_a_bad_augmentation_is_one_line(tmp_path):
    done = run_module("fakeid.bench", "parts=[loader]", "augment=blur_jpeg", "augment.jpeg_quality=[0,100]")
    assert_one_line_error(done, "^fakeid: error: " + re.escape("augment.jpeg_quality=[0, 100] is out of range"))
