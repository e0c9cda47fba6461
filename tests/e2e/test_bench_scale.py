"""`python -m fakeid.bench_scale`: the smallest scale point end to end (CI), the generated tree, and the fit.

No timing is asserted (a shared machine's seconds are noise): what is tested is that every stage runs on the
paper-shaped tree, reports its time and memory, and that the fit recovers a known power law. The larger sizes
run in `make bench-scale` only.
"""

from __future__ import annotations

import json
import math
import sys
from functools import partial
from pathlib import Path

import pytest

from fakeid.audit.report import audit
from fakeid.benchmark.scale import (
    CATEGORIES,
    COUNTED_STAGES,
    TEST_SETS,
    TREE_STAGES,
    counted_calls,
    counts_at,
    extrapolate,
    fit_power,
    fits,
    generate_tree,
    paper_files,
)
from fakeid.data.layout import HOLDOUT, PAPER_MIXING_ORDER, TRAIN_GENERATOR
from fakeid.ingest.cnndetection import prepare_cnndetection
from tests.helpers.commands import assert_one_line_error, run_module

SMALLEST = 0.0004  # 10 training images per category and class, 4 per test set and class


def test_fit_recovers_a_power_law_and_extrapolates_it():
    sizes = [100, 400, 1600, 6400]
    fit = fit_power(sizes, [0.003 * n**1.5 for n in sizes])
    assert fit["exponent"] == pytest.approx(1.5)
    assert extrapolate(fit, 610_000) == pytest.approx(0.003 * 610_000**1.5)
    assert fit_power([100, 100], [1.0, 2.0]) is None  # one size: no slope


def test_fits_use_a_loaders_epoch_and_leave_allocator_noise_flat():
    def point(files: int, seconds: float, growth: float, epoch: float) -> dict:
        stage = {"seconds": seconds, "peak_mib": 300 + growth, "growth_mib": growth}
        return {"files": files, "stages": {"plan": stage, "loader_jpeg": {**stage, "epoch_one_core_s": epoch}}}

    measured = [point(1000, 2.0, 1.0, 0.5), point(4000, 8.0, 3.0, 2.0)]
    result = fits(measured, ["plan", "loader_jpeg"])
    assert result["plan"]["time_exponent"] == pytest.approx(1.0)
    assert result["plan"]["memory_exponent"] is None  # under 8 MiB at every size: not data held
    assert result["loader_jpeg"]["seconds"] == [0.5, 2.0]  # the epoch, not the stage's fixed timer
    assert result["plan"]["paper_seconds"] == pytest.approx(2.0 * paper_files() / 1000)


def test_counted_calls_tell_a_quadratic_loop_from_a_linear_one():
    """The instrument of the growth guard below: a loop over n items inside a loop over them is fitted near 2,
    one loop near 1, and the count is the same every time (no clock in it)."""

    def linear(n: int) -> dict:
        return {"total": sum(abs(i) for i in range(n))}

    def quadratic(n: int) -> dict:
        return {"total": sum(abs(i - j) for i in range(n) for j in range(n))}

    sizes = [50, 100, 200]
    for work, expected in ((linear, 1.0), (quadratic, 2.0)):
        counts = [counted_calls(partial(work, n))[1] for n in sizes]
        assert counts == [counted_calls(partial(work, n))[1] for n in sizes]
        assert fit_power(sizes, counts)["exponent"] == pytest.approx(expected, abs=0.05)
    assert counted_calls(partial(linear, 10))[0] == {"total": 45}  # the task's own result, passed through

    def profiler(frame, event, arg):  # a profiler the user was running
        return None

    sys.setprofile(profiler)
    try:
        counted_calls(partial(linear, 10))
        after = sys.getprofile()
    finally:
        sys.setprofile(None)
    assert after is profiler  # it gets its hook back


def test_no_data_stage_grows_faster_than_its_files(tmp_path: Path):
    """The guard of CI against a stage's growth regressing: at two small points (560 and 3,910 files) each data
    stage's Python and builtin calls, counted (`calls=true`: a count, not seconds, which a shared machine
    moves), grow no faster than the files. Measured 2026-12-07: 0.43-1.01 for every stage; a loop over a
    folder's files inside the loop over them (put into `audit.inventory` by hand) made `check` 1.36."""
    out = tmp_path / "scale.json"
    done = run_module(
        "fakeid.bench_scale",
        "sizes=[0.0008,0.0064]",
        f"stages=[{','.join(COUNTED_STAGES)}]",
        f"work={tmp_path / 'work'}",
        "isolate=false",
        "image_size=32",
        "calls=true",
        f"out={out}",
    )
    assert done.returncode == 0, done.stderr[-2000:]
    fitted = json.loads(out.read_text())["fits"]
    assert set(fitted) == set(COUNTED_STAGES)
    for stage, fit in fitted.items():
        assert fit["files"] == [560, 3910] and all(count > 0 for count in fit["calls"]), stage
        assert fit["calls_exponent"] <= 1.15, f"{stage}: calls grow as files^{fit['calls_exponent']:.2f}"
    assert "check          time exponent" in done.stdout and ", calls " in done.stdout


def test_generated_tree_has_the_paper_shape_and_no_duplicates(tmp_path: Path):
    """The CNNDetection trees prepare accepts, every file distinct (else check's duplicate pass would see the
    generator, not the data), JPEG at the two qualities."""
    counts = generate_tree(tmp_path / "src", SMALLEST, size=32)
    train, test = counts_at(SMALLEST)
    assert counts == {"train_per_class": train, "test_per_class": test, "files": 2 * (11 * train + 15 * test)}
    assert len(CATEGORIES) == 11 and len(TEST_SETS) == 15
    prepare_cnndetection(tmp_path / "src", tmp_path / "root")
    found = audit(tmp_path / "root", categories=PAPER_MIXING_ORDER, holdout=(HOLDOUT,), train_generator=TRAIN_GENERATOR)
    record = found.as_dict()
    assert sum(row["images"] for row in record["counts"]) == counts["files"] and record["duplicates"]["groups"] == 0
    assert sorted({row["split"] for row in record["counts"]}) == ["test", "train"] and not record["blocking"]


def test_smallest_point_times_every_stage(tmp_path: Path):
    """The smallest scale point through the command, every stage in this process (CI; `isolate=true`, a
    process per stage, is what `make bench-scale` runs): each stage's seconds and memory, the plan's counts,
    the cache's bytes, the loaders' rates, and the tree removed afterwards."""
    out = tmp_path / "scale.json"
    done = run_module(
        "fakeid.bench_scale",
        f"sizes=[{SMALLEST}]",
        f"stages=[{','.join(TREE_STAGES)}]",
        f"work={tmp_path / 'work'}",
        "isolate=false",
        "image_size=32",
        "loader_seconds=0.05",
        f"out={out}",
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(out.read_text())
    (point,) = result["sizes"]
    assert set(point["stages"]) == set(TREE_STAGES) and point["files"] == 2 * (11 * 10 + 15 * 4)
    for stage in point["stages"].values():
        assert stage["seconds"] >= 0 and stage["cpu_s"] >= 0 and stage["peak_mib"] > 0
        assert math.isfinite(stage["growth_mib"])
    plan = point["stages"]["plan"]
    assert plan["train_files"] == 2 * counts_at(SMALLEST)[0] and plan["test_files"] == 15 * 2 * 4
    cache = point["stages"]["cache_build"]
    assert cache["images"] == 20 and cache["cache_bytes"] >= 20 * 32 * 32 * 3
    for loader in ("loader_jpeg", "loader_cache"):
        assert point["stages"][loader]["one_core_images_per_s"] > 0
        assert point["stages"][loader]["all_cores_images_per_s"] > 0
    assert point["stages"]["check"]["exit_code"] == 0  # the generated tree passes check
    assert not (tmp_path / "work" / f"size-{SMALLEST:g}").exists()
    table = [line for line in done.stdout.splitlines() if line.startswith("| ")]
    assert len(table) == 1 + len(TREE_STAGES) and all(f"| {stage} | 340 |" in done.stdout for stage in TREE_STAGES)


@pytest.mark.parametrize(
    ("override", "pattern"),
    [
        ("sizes=[1.5]", r"sizes=\[1\.5\]: expected a list of fractions in \(0, 1\]"),
        ("stages=[prepare,warp]", r"unknown stage 'warp'"),
        ("stages=[loader_cache]", r"loader_cache reads the cache that cache_build writes"),
        ("stages=[eval,fig1]", r"stages: fig1 reads the tables that collect writes; list both"),
        ("eval_sizes=[0,250]", r"eval_sizes=\[0, 250\]: expected a list of integers of at least 1"),
    ],
)
def test_bad_keys_are_one_line(tmp_path: Path, override: str, pattern: str):
    done = run_module("fakeid.bench_scale", override, f"work={tmp_path}", f"out={tmp_path / 'x.json'}")
    assert_one_line_error(done, pattern)
    assert not (tmp_path / "x.json").exists()
