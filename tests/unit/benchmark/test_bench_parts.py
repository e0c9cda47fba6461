"""fakeid.benchmark's arithmetic without measuring anything: the step clock's figures from given times, the
marks, which reference a throughput is divided by, the medians over repeats, the loader's rate over ready-made
batches, the machine's facts and the demo's reading of a reference JSON."""

from __future__ import annotations

import json

import pytest
import torch
from torch.utils.data import DataLoader

from fakeid.benchmark.clocks import Marks, StepClock, StepClockCallback
from fakeid.benchmark.demo import read_reference
from fakeid.benchmark.loader import ZeroBatches, loader_images_per_s
from fakeid.benchmark.machine import load_average, machine, usable_cpus
from fakeid.benchmark.reference import reference_for, throughputs
from fakeid.benchmark.speed import median_figures
from fakeid.core.errors import FakeidError


def clock_with(starts: list[float], ends: list[float], sizes: list[int]) -> StepClock:
    clock = StepClock(torch.device("cpu"))
    clock.starts, clock.ends, clock.sizes = starts, ends, sizes
    return clock


def test_the_step_clock_times_from_the_end_of_the_warmup_and_counts_the_waits():
    # three steps of 1 s, with 0.5 s and 1.5 s of waiting for the loader before steps 1 and 2
    clock = clock_with([0.0, 1.5, 4.0], [1.0, 2.5, 5.0], [8, 8, 4])
    after_warmup = clock.summary(warmup=1)  # timed from the end of step 0: 4 s, 12 images, both waits
    assert after_warmup == pytest.approx(
        {"images_per_s": 12 / 4, "step_ms": 2000.0, "host_wait_fraction": 2.0 / 4, "gpu_busy_fraction": None}
    )
    everything = clock.summary(warmup=0)  # from the first start: 5 s, 20 images, 2 s waiting
    assert everything == pytest.approx(
        {"images_per_s": 4.0, "step_ms": 5000 / 3, "host_wait_fraction": 0.4, "gpu_busy_fraction": None}
    )


def test_the_clock_callback_records_each_step_with_its_batch_size():
    clock = StepClock(torch.device("cpu"))
    callback = StepClockCallback(clock, warmup=1, total=2)
    for size in (3, 5):
        callback.on_train_batch_start(None, None, None, 0)
        callback.on_train_batch_end(None, None, None, (None, list(range(size))), 0)
    assert clock.sizes == [3, 5] and len(clock.starts) == len(clock.ends) == 2
    assert all(end >= start for start, end in zip(clock.starts, clock.ends, strict=True))


def test_marks_on_the_cpu_are_host_times_in_order():
    marks = Marks(torch.device("cpu"))
    marks.mark()
    marks.mark()
    assert not marks.cuda and marks.seconds(0, 1) >= 0.0
    marks.marks = [1.0, 3.5]
    assert marks.seconds(0, 1) == 2.5


def test_which_reference_a_throughput_is_divided_by():
    assert reference_for("loader.cache_images_per_s") == "one_thread"
    assert reference_for("loader.augment.64px.png_plain_images_per_s_one_core") == "one_thread"
    assert reference_for("elsewhere.images_per_s_one_core") == "one_thread"  # the rule: one core, one thread
    assert reference_for("elsewhere.images_per_s_per_worker") == "one_thread"
    assert reference_for("train.lightning.images_per_s") == "all_threads"
    assert reference_for("eval.images_per_s") == "all_threads"
    found = dict(
        throughputs(
            {
                "train": {"images_per_s": 5, "images_per_s_repeats": [4, 6], "step_ms": 3.0, "ok": True},
                "formats": {"a": {"train_images_per_s": {"median": 2.0, "min": 1.0, "max": 3.0}}},
            }
        )
    )
    assert found == {"train.images_per_s": 5.0, "formats.a.train_images_per_s.median": 2.0}


def test_median_figures_skip_missing_values_and_keep_each_repeats_rate():
    repeats = [
        {"images_per_s": 10.0, "gpu_busy_fraction": None},
        {"images_per_s": 30.0, "gpu_busy_fraction": None},
        {"images_per_s": 20.0, "gpu_busy_fraction": 0.5},
    ]
    assert median_figures(repeats) == {
        "images_per_s": 20.0,
        "gpu_busy_fraction": 0.5,
        "images_per_s_repeats": [10.0, 30.0, 20.0],
    }


def test_the_loader_rate_counts_whole_epochs_of_ready_made_batches():
    loader = DataLoader(ZeroBatches(6, 4), batch_size=4)
    images, labels = next(iter(loader))
    assert images.shape == (4, 3, 4, 4) and images.dtype == torch.uint8 and labels.tolist() == [0.0] * 4
    assert loader_images_per_s(loader, min_seconds=0.01) > 0


def test_the_machines_facts():
    facts = machine(torch.device("cpu"))
    assert 1 <= facts["cpus_usable"] == usable_cpus() <= facts["cpu_count"]
    assert facts["gpu"] is None and facts["gpu_count"] == 0 and facts["torch_threads"] >= 1
    assert {"version.torch", "version.numpy", "version.pillow"} <= set(facts)
    average = load_average()
    assert average is None or len(average) == 3


def test_the_demo_reads_the_reference_part_of_a_bench_json(tmp_path):
    path = tmp_path / "bench.json"
    path.write_text(json.dumps({"reference": {"one_thread_images_per_s": 40.0, "all_threads_images_per_s": 70.0}}))
    reference = read_reference(path)
    assert (reference["one_thread_images_per_s"], reference["all_threads_images_per_s"]) == (40.0, 70.0)
    path.write_text(json.dumps({"train": {}}))
    with pytest.raises(FakeidError, match="no reference part in it"):
        read_reference(path)
    path.write_text("{")
    with pytest.raises(FakeidError, match="unreadable"):
        read_reference(path)
