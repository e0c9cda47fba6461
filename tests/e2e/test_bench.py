"""`python -m fakeid.bench` at a tiny size, through the real CLI: every figure of its JSON is there."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from fakeid.benchmark import reference as reference_module
from fakeid.benchmark.config import BenchConfig, bench_config, resolved
from fakeid.benchmark.loop import PlainStepAfterEach
from fakeid.benchmark.reference import REFERENCE, in_reference_units
from fakeid.benchmark.speed import bench, spread
from fakeid.core.errors import FakeidError
from tests.helpers.commands import REPO, assert_one_line_error, run_module

LOADER_KEYS = {
    "png_images_per_s",
    "cache_images_per_s",
    "png_images_per_s_per_worker",
    "cache_images_per_s_per_worker",
    "cache_over_png",
    "transport_ceiling_images_per_s",
    "png_images_per_s_one_core",
    "cache_images_per_s_one_core",
    "cache_over_png_one_core",
    "cache_build_seconds",
    "cache_build_images_per_s",
}
STEP_KEYS = {"images_per_s", "step_ms", "host_wait_fraction", "gpu_busy_fraction", "images_per_s_repeats"}
OVERHEAD_KEYS = {"lightning_overhead_pct", "lightning_overhead_pct_min", "lightning_overhead_pct_max"}
MACHINE_KEYS = {"cpu_model", "cpu_count", "cpus_usable", "gpu", "version.torch", "version.timm", "version.lightning"}
FORMATS = {"32-true/nchw", "32-true/channels_last", "bf16-mixed/nchw", "bf16-mixed/channels_last"}


@pytest.mark.slow
def test_tiny_benchmark_reports_every_figure(tmp_path: Path):
    out = tmp_path / "bench.json"
    done = run_module(
        "fakeid.bench",
        "device=cpu",
        "backbone=test_resnet",
        "size=32",
        "images=32",
        "batch=8",
        "steps=2",
        "warmup=1",
        "repeats=2",
        "workers=1",
        "loader_seconds=0.2",
        "parts=[loader,train,eval,formats]",
        f"out={out}",
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(out.read_text())
    assert json.loads(done.stdout) == result  # stdout carries the JSON and nothing else
    assert not (REPO / ".hydra").exists() and "goals" not in result  # no Hydra folder left behind
    assert result["config"]["size"] == 32 and result["config"]["precision"] == "32-true"
    assert set(result["machine"]) >= MACHINE_KEYS and result["machine"]["gpu"] is None
    assert len(result["load_average_start"]) == 3 and len(result["load_average_end"]) == 3
    assert set(result["loader"]) >= LOADER_KEYS and all(result["loader"][k] > 0 for k in LOADER_KEYS)
    train = result["train"]
    figures = train["lightning"]  # Lightning alone
    assert set(figures) >= STEP_KEYS and figures["images_per_s"] > 0 and 0 <= figures["host_wait_fraction"] < 1
    assert figures["gpu_busy_fraction"] is None  # CPU run: no GPU to be busy
    assert len(figures["images_per_s_repeats"]) == 2  # one figure per repeat
    assert set(train) >= OVERHEAD_KEYS and len(train["lightning_overhead_pct_repeats"]) == 2
    assert train["lightning_overhead_pct_min"] <= train["lightning_overhead_pct"] <= train["lightning_overhead_pct_max"]
    rates = {loop: train["interleaved"][loop]["images_per_s_repeats"] for loop in ("lightning", "plain")}
    assert all(rate > 0 for loop in rates.values() for rate in loop) and len(rates["plain"]) == 2
    pairs = zip(rates["plain"], rates["lightning"], strict=True)
    assert train["lightning_overhead_pct_repeats"] == pytest.approx([100 * (p / lit - 1) for p, lit in pairs])
    assert result["eval"]["images_per_s"] > 0 and result["loader_headroom"] > 0
    assert set(result["formats"]) >= FORMATS and result["formats"]["fastest_train"] in FORMATS
    assert result["formats"]["32-true/nchw"]["train_speedup"] == 1.0
    for name in FORMATS:
        assert result["formats"][name]["eval_images_per_s"]["min"] > 0
    assert result["memory"]["peak_rss_mib"] > 0 and result["memory"]["peak_gpu_mib"] is None


def test_interleaved_steps_are_timed_from_the_other_loops_end():
    """Mark 2i ends Lightning step i, mark 2i + 1 ends plain step i: Lightning's step i runs from mark 2i - 1,
    the plain step from mark 2i; the warm-up steps are left out."""
    steps = PlainStepAfterEach(plain=None, loader=None, device=torch.device("cpu"))
    # after step 0: Lightning steps of 2 s then 4 s, plain steps of 1 s then 2 s
    steps.marks.marks = [1.0, 1.5, 3.5, 4.5, 8.5, 10.5]
    steps.sizes = {"lightning": [8, 8, 8], "plain": [8, 8, 8]}
    assert steps.rates(warmup=1) == pytest.approx({"lightning": 16 / 6, "plain": 16 / 3})
    assert steps.rates(warmup=0) == steps.rates(warmup=1)  # step 0 has no start: never timed
    assert steps.rates(warmup=2) == pytest.approx({"lightning": 2.0, "plain": 4.0})


def test_reference_settings_are_fixed_and_every_throughput_is_given_in_its_unit(tmp_path: Path, monkeypatch):
    """The reference loop ignores the bench's keys (size, batch, backbone, precision); each other throughput is
    divided by the reference rate of the same run. The loop is made tiny here (test_resnet, 1 + 1 steps)."""
    assert (REFERENCE.backbone, REFERENCE.size, REFERENCE.batch, REFERENCE.precision) == (
        "legacy_xception",
        32,
        16,
        "32-true",
    )
    assert (REFERENCE.warmup, REFERENCE.steps, REFERENCE.repeats, REFERENCE.channels_last) == (3, 8, 3, False)
    monkeypatch.setattr(
        reference_module, "REFERENCE", replace(REFERENCE, backbone="test_resnet", warmup=1, steps=1, repeats=2)
    )
    config = bench_config(
        {"device": "cpu", "backbone": "test_resnet", "size": 48, "images": 8, "batch": 4, "workers": 0}
    )
    result = bench(replace(config, parts=["reference", "eval"], out=str(tmp_path / "bench.json")))
    reference = result["reference"]
    assert reference["threads"]["one_thread"] == 1 and reference["threads"]["all_threads"] >= 1
    for name in ("one_thread", "all_threads"):
        assert len(reference[f"{name}_images_per_s_repeats"]) == 2 and reference[f"{name}_images_per_s"] > 0
    assert result["x_reference"] == {
        "eval.images_per_s": {
            "x_reference": result["eval"]["images_per_s"] / reference["all_threads_images_per_s"],
            "divided_by": "reference.all_threads",
        }
    }
    assert json.loads((tmp_path / "bench.json").read_text())["x_reference"] == result["x_reference"]


def test_each_throughput_is_divided_by_the_reference_it_compares_with():
    result = {
        "loader": {"png_images_per_s": 100.0, "png_images_per_s_one_core": 20.0, "cache_images_per_s_per_worker": 30.0},
        "train": {"lightning": {"images_per_s": 50.0, "step_ms": 7.0, "images_per_s_repeats": [49.0, 51.0]}},
        "formats": {"32-true/nchw": {"train_images_per_s": {"median": 40.0, "min": 1.0, "max": 90.0}}},
        "loader_headroom": 2.0,
        "wall_time_s": 3.0,
    }
    figures = in_reference_units(result, {"one_thread_images_per_s": 10.0, "all_threads_images_per_s": 25.0})
    assert {path: figure["x_reference"] for path, figure in figures.items()} == {
        "loader.png_images_per_s": 10.0,  # loader processes run one torch thread each
        "loader.png_images_per_s_one_core": 2.0,
        "loader.cache_images_per_s_per_worker": 3.0,
        "train.lightning.images_per_s": 2.0,  # torch's intra-op threads
        "formats.32-true/nchw.train_images_per_s.median": 1.6,
    }
    assert {figure["divided_by"] for path, figure in figures.items() if path.startswith("loader.")} == {
        "reference.one_thread"
    }
    assert figures["train.lightning.images_per_s"]["divided_by"] == "reference.all_threads"


def test_spread_is_median_min_max():
    assert spread([3.0, -1.0, 10.0, 2.0, 4.0]) == {"median": 3.0, "min": -1.0, "max": 10.0}


def test_auto_values_follow_the_device():
    config = bench_config({"device": "cpu"})
    assert (config.size, config.batch, config.eval_batch, config.precision) == (64, 32, 64, "32-true")
    assert config.repeats >= 5  # the floor for an overhead figure
    assert bench_config({"size": 128, "compile": True, "workdir": None, "channels_last": "auto"}) == resolved(
        BenchConfig(size=128, compile=True)
    )
    assert bench_config({"parts": ["train", "eval"]}).parts == ["train", "eval"]
    assert bench_config({}).parts == ["reference", "loader", "train", "eval"]  # the unit first, by default


@pytest.mark.parametrize(
    "key, value",
    [
        ("sise", 64),
        ("size", "big"),
        ("compile", "maybe"),
        ("precision", "16-mixed"),
        ("parts", ["train", "fly"]),
        ("device", "tpu"),
        ("repeats", 0),
        ("channels_last", "sometimes"),
    ],
)
def test_bad_values_are_one_line_errors(key: str, value: object):
    with pytest.raises(FakeidError, match=key):
        bench_config({key: value})


@pytest.mark.parametrize(
    "argument, key",
    [("size=big", "size="), ("sise=64", "sise=64: unknown key 'sise'"), ("parts=loader,train", "parts=")],
)
def test_cli_reports_bad_arguments_without_traceback(argument: str, key: str):
    done = run_module("fakeid.bench", argument)
    assert_one_line_error(done, "^fakeid: error: " + re.escape(key))
