"""Several experiments in one command (`fakeid.train '+experiment=a,b' -m`): one sweep per experiment, one after
the other in one process, each equal to running it alone, and with launcher=parallel the second sweep's jobs run
in the worker processes the first started (issue 33: `make demo` paid for a second parent and second workers)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from fakeid.synth import generate
from tests.helpers.commands import assert_one_line_error, run_module
from tests.helpers.sweeps import TINY

EXPERIMENTS = ("demo_categories", "demo_dropout")
# seven of the tiny benchmark's ten categories: demo_categories' counts 1, 4 and 7 train while its 10 fails, and
# demo_dropout's one count (10) fails in all its 4 jobs at once; seed=0 keeps one seed of each grid
COMMON = ["launcher=parallel", "seed=0", "data.categories=[airplane,bedroom,bridge,bus,cat,church_outdoor,classroom]"]
METRICS = ("acc", "real_acc", "fake_acc", "ap", "auroc", "acc_cal", "n_real", "n_fake")


@pytest.fixture(scope="module")
def swept(tmp_path_factory) -> tuple[Path, Path, object]:
    """The two experiments in one command (`together`), then each in a command of its own (`apart`), on the
    parallel launcher (2 jobs, one torch thread each: the same sums in the same order whichever process runs
    them)."""
    base = tmp_path_factory.mktemp("experiments")
    root = generate(base / "data", preset="tiny", seed=0, progress=False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OMP_NUM_THREADS", "1")
        args = ["-m", *TINY, f"data.root={root}", *COMMON]
        together = run_module("fakeid.train", f"+experiment={','.join(EXPERIMENTS)}", *args, f"paths.outputs={base}/1")
        apart = [
            run_module("fakeid.train", f"+experiment={name}", *args, f"paths.outputs={base}/2") for name in EXPERIMENTS
        ]
    assert [done.returncode for done in apart] == [1, 1], apart[-1].stderr[-3000:]
    return base / "1" / "sweeps", base / "2" / "sweeps", together


def records(sweep_dir: Path) -> dict[str, dict]:
    return {path.parent.name: json.loads(path.read_text()) for path in sorted(sweep_dir.glob("*/metrics.json"))}


@pytest.mark.slow
def test_each_experiment_is_its_own_sweep_equal_to_running_it_alone(swept):
    together, apart, _ = swept
    assert sorted(p.name for p in together.iterdir()) == sorted(EXPERIMENTS)  # no sweep folder of no experiment
    for name in EXPERIMENTS:
        ran, alone = records(together / name), records(apart / name)
        assert len(ran) == {"demo_dropout": 4, "demo_categories": 4}[name]  # the experiment's own grid at seed 0
        assert ran.keys() == alone.keys(), name
        for job, record in ran.items():
            other = alone[job]
            assert record["hparams"]["experiment"] == name
            assert (record["status"], record["config_hash"], record.get("error")) == (
                other["status"],
                other["config_hash"],
                other.get("error"),
            ), job
            if record["status"] == "ok":
                assert len(record["test"]) > 0
                for entry, twin in zip(record["test"], other["test"], strict=True):
                    assert {key: entry[key] for key in METRICS} == {key: twin[key] for key in METRICS}, (job, entry)
        written = [OmegaConf.load(folder / name / "multirun.yaml").hydra for folder in (together, apart)]
        assert written[0].sweeper.params == written[1].sweeper.params
        tasks = [[t for t in w.overrides.task if not t.startswith("paths.outputs=")] for w in written]
        assert tasks[0] == tasks[1] and f"+experiment={name}" in tasks[0]
    ok = [job for job, record in records(together / "demo_categories").items() if record["status"] == "ok"]
    assert len(ok) == 3


@pytest.mark.slow
def test_a_failed_sweep_does_not_stop_the_next_and_the_command_fails(swept):
    """A job of the first sweep failed; the second still ran (each of its jobs recorded its own failure), each
    sweep listed its own failures as a sweep alone does, and the command exits 1."""
    together_dir, _, together = swept
    assert together.returncode == 1, together.stderr[-3000:]
    first = together.stderr.index(f"fakeid: sweep {together_dir / 'demo_categories'}: 1 of 4 jobs failed")
    second = together.stderr.index(f"fakeid: sweep {together_dir / 'demo_dropout'}: 4 of 4 jobs failed")
    assert first < second
    assert together.stderr.count("data.num_categories=10 is outside 1..7") >= 5


@pytest.mark.slow
def test_the_second_sweep_runs_in_the_first_sweeps_workers(swept):
    """Each job's log names its process (fakeid.train): the first sweep's jobs ran in the launcher's two
    workers (n_jobs=2), and the second's in those same two, not in workers of their own."""
    together, _, _ = swept
    pids = {
        name: {
            int(re.search(r"in process (\d+)", (job / "train.log").read_text()).group(1))
            for job in (together / name).iterdir()
            if job.is_dir()
        }
        for name in EXPERIMENTS
    }
    assert len(pids["demo_categories"]) == 2 and pids["demo_dropout"] <= pids["demo_categories"], pids


def test_experiments_that_would_share_a_sweep_folder_are_refused_before_any_job(tmp_path):
    done = run_module(
        "fakeid.train",
        f"+experiment={','.join(EXPERIMENTS)}",
        "experiment_name=both",
        "data.root=/nowhere",
        f"paths.outputs={tmp_path}",
    )
    assert_one_line_error(
        done, r"\+experiment=demo_categories and \+experiment=demo_dropout would both write the sweep folder .*/both"
    )
    assert not (tmp_path / "sweeps").exists()


def test_a_bad_value_in_any_experiment_stops_the_command_before_the_first_sweep(tmp_path):
    """Each experiment is checked as if typed alone, all before the first job: an unknown second one stops the
    command before the first sweep starts."""
    done = run_module(
        "fakeid.train",
        "+experiment=demo_dropout,no_such_experiment",
        "data.root=/nowhere",
        f"paths.outputs={tmp_path}",
    )
    assert_one_line_error(done, "no_such_experiment")
    assert not (tmp_path / "sweeps").exists()
