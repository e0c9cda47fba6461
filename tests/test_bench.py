"""`python -m fakeid.bench` at a tiny size, through the real CLI: every figure of its JSON is there."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from fakeid.bench import BenchConfig, parse_args
from fakeid.errors import FakeidError
from tests.conftest import run_module

LOADER_KEYS = {"png_images_per_s", "cache_images_per_s", "png_images_per_s_per_worker",
               "cache_images_per_s_per_worker", "cache_over_png", "transport_ceiling_images_per_s",
               "png_images_per_s_one_core", "cache_images_per_s_one_core", "cache_over_png_one_core",
               "cache_build_seconds", "cache_build_images_per_s"}
STEP_KEYS = {"images_per_s", "step_ms", "host_wait_fraction", "gpu_busy_fraction", "peak_gpu_mib"}
MACHINE_KEYS = {"cpu_model", "cpu_count", "cpus_usable", "gpu", "version.torch", "version.timm", "version.lightning"}
GOALS = {"cache_over_png_per_core_ge_10", "cache_over_png_same_workers_ge_10", "lightning_overhead_pct_le_5",
         "train_images_per_s_on_h100_3000_h200_4000", "gpu_busy_fraction_ge_0.9"}


@pytest.mark.slow
def test_tiny_benchmark_reports_every_figure(tmp_path: Path):
    out = tmp_path / "bench.json"
    done = run_module("fakeid.bench", "device=cpu", "size=32", "images=32", "batch=8", "steps=3", "warmup=1",
                      "workers=1", "loader_seconds=0.2", f"out={out}", timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(out.read_text())
    assert json.loads(done.stdout) == result  # stdout carries the JSON and nothing else
    assert result["config"]["size"] == 32 and result["config"]["precision"] == "32-true"
    assert MACHINE_KEYS <= set(result["machine"]) and result["machine"]["gpu"] is None
    assert LOADER_KEYS <= set(result["loader"]) and all(result["loader"][k] > 0 for k in LOADER_KEYS)
    for loop in ("lightning", "plain"):
        figures = result["train"][loop]
        assert STEP_KEYS <= set(figures) and figures["images_per_s"] > 0 and 0 <= figures["host_wait_fraction"] < 1
        assert figures["gpu_busy_fraction"] is None  # CPU run: no GPU to be busy
    assert isinstance(result["train"]["lightning_overhead_pct"], float)
    assert result["eval"]["images_per_s"] > 0 and result["loader_headroom"] > 0
    assert result["memory"]["peak_rss_mib"] > 0 and result["memory"]["peak_gpu_mib"] is None
    assert set(result["goals"]) == GOALS
    assert result["goals"]["train_images_per_s_on_h100_3000_h200_4000"]["met"] is None  # GPU goals: not here
    assert result["goals"]["cache_over_png_per_core_ge_10"]["met"] in (True, False)


def test_auto_values_follow_the_device():
    config = parse_args(["device=cpu"]).resolved()
    assert (config.size, config.batch, config.eval_batch, config.precision) == (64, 32, 64, "32-true")
    assert parse_args(["size=128", "compile=true", "workdir=none"]) == BenchConfig(size=128, compile=True)


@pytest.mark.parametrize("argument", ["sise=64", "size=big", "compile=maybe", "precision=16-mixed", "parts=train,fly",
                                      "device=tpu"])
def test_bad_arguments_are_one_line_errors(argument: str):
    with pytest.raises(FakeidError, match=argument.split("=")[0]):
        parse_args([argument]).resolved()


def test_cli_reports_bad_arguments_without_traceback():
    done = run_module("fakeid.bench", "size=big")
    assert done.returncode == 2 and done.stderr.startswith("fakeid: error: size=") and "Traceback" not in done.stderr
