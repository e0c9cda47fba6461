"""`python -m fakeid.demo_timing`: where a demo's wall time went, from its runs' own `timing` and the reference
unit of fakeid.bench. No figure is asserted (timings are never tested): the fields, their signs, and the sums."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from fakeid.synth import generate
from tests.helpers.commands import assert_one_line_error, run_module
from tests.helpers.fake_sweep import write_fake_sweep
from tests.helpers.sweeps import sweep

EFFICIENCY = {"compute_share", "outside_runs_share", "train_step_share", "wall_over_reference"}


def write_reference(path: Path, one_thread: float = 30.0, all_threads: float = 50.0) -> Path:
    """A fakeid.bench JSON as `parts=[reference]` writes it (the figures made up: only their use is tested)."""
    reference = {"one_thread_images_per_s": one_thread, "all_threads_images_per_s": all_threads, "threads": {}}
    path.write_text(json.dumps({"reference": reference, "load_average_start": [1.0, 1.0, 1.0]}))
    return path


def timing(path: Path, started: float, *extra: str) -> tuple[dict, str]:
    out = path.parent / "demo_timing.json"
    done = run_module("fakeid.demo_timing", f"started={started}", f"reference={path}", f"out={out}", *extra)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(out.read_text()), done.stdout


def test_runs_of_this_demo_are_summed_and_earlier_ones_left_out(tmp_path: Path):
    """Six fake jobs: three written during the demo with a timing entry, one during it without, two before it."""
    jobs = write_fake_sweep(tmp_path / "sweep").jobs
    started = time.time() - 100
    for index, job in enumerate(jobs):
        path = job.run_dir / "metrics.json"
        metrics = json.loads(path.read_text())
        if index < 3:
            metrics["timing"] = {"train_step_s": 10.0 + index, "train_steps": 4, "train_images": 32, "fit_s": 20.0}
        if index < 2:  # recorded with the items (the third is an older run: steps only)
            metrics["timing"].update(validation_s=3.0, plan_s=1.0, test_s=6.0, test_load_s=1.5)
            metrics["wall_time_s"] = 30.0
        path.write_text(json.dumps(metrics))
        if index >= 4:
            os.utime(path, (started - 50, started - 50))
    result, printed = timing(write_reference(tmp_path / "reference.json"), started, f"sweeps=[{tmp_path / 'sweep'}]")
    assert result["runs"] == {"runs": 3, "before_start": 2, "without_timing": 1, "without_items": 1, "failed": 0}
    assert result["train_step_s"] == pytest.approx(33.0) and result["train_images"] == 96
    assert result["train_steps"] == 12 and result["jobs"] == 1  # the fake sweep's launcher has no n_jobs
    assert result["parallel_reference_images_per_s"] == 50.0 and result["parallel_reference_basis"] == "all_threads"
    wall = result["wall_time_s"]
    assert wall >= 100 and result["reference_train_s"] == pytest.approx(96 / 50)
    assert result["efficiency"]["train_step_share"] == pytest.approx(33.0 / wall)
    assert result["efficiency"]["wall_over_reference"] == pytest.approx(wall / (96 / 50))
    assert "left out 2 runs finished before this demo and 1 without a timing entry" in printed
    # the two runs with items: steps 10 + 11, validation 2 x 3, test forward 2 x (6 - 1.5); around them: plan,
    # the rest of fit (20 - steps - validation), the checkpoint read, the rest of the run (30 - 1 - 20 - 6)
    account = result["accounting"]
    assert account["items_s"] == {
        "train_step_s": 21.0,
        "validation_s": 6.0,
        "test_forward_s": 9.0,
        "plan_s": 2.0,
        "rest_of_fit_s": 7.0 + 6.0,
        "test_load_s": 3.0,
        "rest_of_run_s": 6.0,
    }
    assert account["compute_s"] == 36.0 and result["efficiency"]["compute_share"] == pytest.approx(36.0 / wall)
    runs_wall = sum(
        json.loads((job.run_dir / "metrics.json").read_text())["wall_time_s"] for job in jobs[:3]
    )  # those with timing
    assert account["runs_wall_s"] == pytest.approx(runs_wall, abs=1e-3)
    assert account["outside_runs_s"] == pytest.approx(max(0.0, wall - runs_wall), abs=1e-2)
    assert "1 runs recorded no validation and checkpoint-read time" in printed
    # two jobs at a time: the workers' time doubles, the reference rate is two one-thread loops
    two, _ = timing(tmp_path / "reference.json", started, f"sweeps=[{tmp_path / 'sweep'}]", "jobs=2")
    assert two["parallel_reference_images_per_s"] == 60.0 and two["parallel_reference_basis"] == "2 x one_thread"
    assert two["efficiency"]["train_step_share"] == pytest.approx(33.0 / (2 * two["wall_time_s"]))


def test_a_demo_that_ran_nothing_has_no_efficiency(tmp_path: Path):
    write_fake_sweep(tmp_path / "sweep")
    result, printed = timing(
        write_reference(tmp_path / "reference.json"), time.time(), f"sweeps=[{tmp_path / 'sweep'}]"
    )
    assert result["runs"]["runs"] == 0 and result["runs"]["before_start"] == 6
    assert result["efficiency"] == {
        "compute_share": None,
        "outside_runs_share": 1.0,
        "train_step_share": 0.0,
        "wall_over_reference": None,
    }
    assert "no run finished during this demo (6 before it" in printed


@pytest.mark.parametrize(
    "arguments, pattern",
    [
        (["started=soon"], r"started=soon: expected a number"),
        (["started=1e12"], r"started=1000000000000.0: later than now"),
        (["reference={tmp}/bench.json"], r"reference=.*bench.json: no reference part in it"),
        (["reference={tmp}/none.json"], r"reference=.*none.json: unreadable fakeid.benchmark.speed JSON"),
        (["sweeps=[{tmp}/nowhere]"], r"sweeps: .*nowhere is not a folder"),
        (["jobs=0"], r"jobs=0: expected an integer of at least 1 or auto"),
        (["marks={tmp}/bench.json"], r"marks=.*bench.json: expected lines 'STEP UNIX_TIME'"),
    ],
)
def test_bad_input_is_one_line(tmp_path: Path, arguments: list[str], pattern: str):
    write_fake_sweep(tmp_path / "sweep")
    (tmp_path / "bench.json").write_text(json.dumps({"loader": {}}))
    given = {"started": "0", "reference": str(write_reference(tmp_path / "reference.json")), "sweeps": "[{tmp}/sweep]"}
    given.update(argument.split("=", 1) for argument in arguments)
    args = [f"{key}={value.format(tmp=tmp_path)}" for key, value in given.items()]
    assert_one_line_error(run_module("fakeid.demo_timing", *args, f"out={tmp_path / 'out.json'}"), pattern)
    assert not (tmp_path / "out.json").exists()


@pytest.mark.slow
def test_a_tiny_sweep_records_its_step_time_and_the_demo_sums_it(tmp_path: Path):
    """Two real jobs through the CLI: each run's metrics.json `timing` holds its own training-step time, steps
    and images, inside its fit and wall time, and fakeid.benchmark.demo sums them within the demo's wall time."""
    root = generate(tmp_path / "data", preset="tiny", seed=0, progress=False)
    started = time.time()
    done = sweep(tmp_path / "outputs", root, "tiny", "data.num_categories=1,2")
    assert done.returncode == 0, done.stderr[-3000:]
    sweep_dir = tmp_path / "outputs" / "sweeps" / "tiny"
    runs = [json.loads(path.read_text()) for path in sorted(sweep_dir.glob("*/metrics.json"))]
    assert len(runs) == 2
    for run in runs:
        recorded = run["timing"]
        assert 0 < recorded["train_step_s"] <= recorded["fit_s"] <= run["wall_time_s"] and recorded["test_s"] > 0
        assert 0 < recorded["validation_s"] <= recorded["fit_s"] - recorded["train_step_s"]
        assert 0 < recorded["test_load_s"] < recorded["test_s"] and recorded["plan_s"] > 0
        train = run["data"]["train"]["n_real"] + run["data"]["train"]["n_fake"]
        assert recorded["train_images"] == run["epochs_trained"] * train  # tiny: no batch of one to drop
        assert recorded["train_steps"] == run["epochs_trained"] * -(-train // run["hparams"]["data.batch_size"])
        assert "timing" not in json.dumps(run["hparams"])  # not part of the run's identity
    marks = tmp_path / "marks"
    marks.write_text(f"sweep {time.time()}\n")
    result, printed = timing(
        write_reference(tmp_path / "reference.json"), started, f"sweeps=[{sweep_dir}]", f"marks={marks}"
    )
    assert [step["step"] for step in result["steps"]] == ["sweep"] and "steps: sweep" in printed
    # the wall ends at the last mark, not when demo_timing had started up
    assert result["wall_time_s"] == pytest.approx(result["steps"][-1]["wall_s"], abs=1e-3)
    assert result["accounting"]["compute_s"] <= result["accounting"]["runs_wall_s"]
    assert result["runs"]["runs"] == 2 and result["train_images"] == sum(r["timing"]["train_images"] for r in runs)
    assert 0 < result["train_step_s"] <= result["wall_time_s"] * result["jobs"]
    assert set(result["efficiency"]) == EFFICIENCY and all(value > 0 for value in result["efficiency"].values())
    assert 0 < result["efficiency"]["train_step_share"] < result["efficiency"]["compute_share"] <= 1
