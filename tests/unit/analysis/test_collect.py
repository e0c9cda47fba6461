"""fakeid.collect on synthetic sweep folders: grid expansion, tidy CSV values, completeness, CLI errors."""

from __future__ import annotations

import itertools
import json
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from fakeid import collect as collect_command
from fakeid.analysis import collect
from fakeid.core.errors import FakeidError
from fakeid.runs.record import find_metrics_files
from tests.helpers.commands import assert_one_line_error, exited
from tests.helpers.fake_sweep import FAIL_ERROR, write_fake_sweep


def test_grid_expands_range_params_and_task_sweeps(tmp_path: Path) -> None:
    sweep = write_fake_sweep(tmp_path / "sweep", grid={"data.num_categories": range(1, 11), "seed": [1, 2]})
    hydra_conf = yaml.safe_load((sweep.path / "multirun.yaml").read_text())["hydra"]
    assert hydra_conf["sweeper"]["params"] == {"data.num_categories": "range(1,11)"}
    assert "seed=1,2" in hydra_conf["overrides"]["task"]

    grid = collect.expected_grid(sweep.path)
    expected = [{"data.num_categories": n, "seed": s} for n, s in itertools.product(range(1, 11), [1, 2])]
    assert grid == expected
    assert collect.grid_keys(sweep.path) == ["data.num_categories", "seed"]  # not data.root or +experiment


def _edit_multirun(path: Path, params: dict[str, str], task: list[str]) -> None:
    conf = yaml.safe_load((path / "multirun.yaml").read_text())
    conf["hydra"]["sweeper"]["params"] = params
    conf["hydra"]["overrides"]["task"] = task
    (path / "multirun.yaml").write_text(yaml.safe_dump(conf))


def test_grid_follows_hydra_precedence_choice_and_errors(tmp_path: Path) -> None:
    sweep = write_fake_sweep(tmp_path / "sweep")
    # The command line replaces a sweeper param of the same key, as BasicSweeper does.
    _edit_multirun(
        sweep.path,
        {"model.drop_rate": "0.0,0.5", "model.name": "choice(a,b)"},
        ["model.drop_rate=0.1,0.2,0.3", "data.root=/x"],
    )
    grid = collect.expected_grid(sweep.path)
    assert len(grid) == 6
    assert {point["model.drop_rate"] for point in grid} == {0.1, 0.2, 0.3}
    assert {point["model.name"] for point in grid} == {"a", "b"}

    _edit_multirun(sweep.path, {"model.drop_rate": "interval(0,1)"}, [])
    with pytest.raises(FakeidError, match="multirun.yaml.*model.drop_rate"):
        collect.expected_grid(sweep.path)
    _edit_multirun(sweep.path, {"model.drop_rate": "range(1,"}, [])
    with pytest.raises(FakeidError, match="cannot parse .*multirun.yaml"):
        collect.expected_grid(sweep.path)


def test_csv_values_equal_each_jobs_metrics_json(tmp_path: Path) -> None:
    sweep = write_fake_sweep(
        tmp_path / "sweep", grid={"data.num_categories": [1, 3], "model.drop_rate": [0.0, 0.5], "seed": [0, 1]}
    )
    out = tmp_path / "results.csv"
    assert collect_command.main([f"sweeps={sweep.path}", f"out={out}"]) == 0
    df = collect.read_results(out)
    for job in sweep.jobs:
        metrics = json.loads((job.run_dir / "metrics.json").read_text())
        rows = df[df["run_dir"] == job.run_dir.name]
        assert len(rows) == len(metrics["test"]) == 13
        for entry in metrics["test"]:
            (row,) = [row for _, row in rows.iterrows() if row["set"] == entry["set"]]
            for name in collect.TEST_FIELDS:
                assert row[name] == (pytest.approx(entry[name]) if isinstance(entry[name], float) else entry[name]), (
                    name
                )
            for key in ("data.num_categories", "model.drop_rate", "seed", "data.dataset_kind", "model.name"):
                assert row[key] == metrics["hparams"][key]
            assert row["threshold"] == pytest.approx(metrics["threshold"])
            assert row["wall_time_s"] == pytest.approx(metrics["wall_time_s"])
            assert row["status"] == "ok" and row["sweep"] == str(sweep.path)


def test_failed_and_missing_jobs_are_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sweep = write_fake_sweep(tmp_path / "sweep", fail=[1], missing=[4])
    runs = collect.load_runs([sweep.path])
    report = collect.check_completeness(sweep.path, runs)
    assert (report.grid_size, report.n_jobs, report.n_ok) == (6, 5, 4)
    assert [job.run_dir for job in report.failed] == ["1"] and report.failed[0].error == FAIL_ERROR
    assert report.failed[0].point == sweep.jobs[1].point  # placed in the grid through its overrides
    assert report.missing == [sweep.jobs[4].point]
    assert report.without_ok == [sweep.jobs[1].point, sweep.jobs[4].point]
    assert not report.complete and not report.unexpected

    df = collect.tidy(runs)
    failed = df[df["status"] == "failed"]
    assert len(failed) == 1 and failed["error"].iloc[0] == FAIL_ERROR and failed["set"].isna().all()

    assert collect_command.main([f"sweeps={sweep.path}"]) == 0  # failures are reported, not fatal
    err = capsys.readouterr().err
    assert "4 ok, 1 failed; 1 grid points missing" in err and FAIL_ERROR in err
    assert (sweep.path / "results.csv").is_file()


def test_several_sweeps_union_their_grid_columns(tmp_path: Path) -> None:
    categories = write_fake_sweep(tmp_path / "categories", grid={"data.num_categories": [1, 2], "seed": [0]})
    dropout = write_fake_sweep(tmp_path / "dropout", grid={"model.drop_rate": [0.0, 0.5], "seed": [0]})
    df, reports = collect.collect([categories.path, dropout.path])
    assert [report.complete for report in reports] == [True, True]
    assert {"data.num_categories", "model.drop_rate", "seed"} <= set(df.columns)
    assert df.groupby("sweep")["run_dir"].nunique().to_dict() == {str(categories.path): 2, str(dropout.path): 2}


def test_metrics_files_are_found_at_most_three_levels_down(tmp_path: Path) -> None:
    sweep = write_fake_sweep(tmp_path / "sweep", grid={"seed": [0]})
    deep = sweep.path / "a" / "b" / "c"
    deeper = deep / "d"
    deeper.mkdir(parents=True)
    shutil.copy(sweep.jobs[0].run_dir / "metrics.json", deep / "metrics.json")
    shutil.copy(sweep.jobs[0].run_dir / "metrics.json", deeper / "metrics.json")
    found = find_metrics_files(sweep.path)
    assert deep / "metrics.json" in found and deeper / "metrics.json" not in found


def test_bad_inputs_are_one_line_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        collect_command.main([f"sweeps={tmp_path / 'absent'}"])
    absent = f"fakeid: error: {tmp_path / 'absent'}: no such sweep folder"
    assert_one_line_error(exited(exit_info, capsys), f"^{re.escape(absent)}$")
    (tmp_path / "empty").mkdir()
    with pytest.raises(SystemExit) as exit_info:
        collect_command.main([f"sweeps=[{tmp_path / 'empty'}]"])
    empty = (
        f"fakeid: error: {tmp_path / 'empty'}: expected a sweep folder with multirun.yaml or metrics.json files, "
        "or an evaluation folder with eval_grid.json"
    )
    assert_one_line_error(exited(exit_info, capsys), f"^{re.escape(empty)}$")

    sweep = write_fake_sweep(tmp_path / "sweep", grid={"seed": [0]})
    (sweep.jobs[0].run_dir / "metrics.json").write_text('{"status": "ok", "test": [{"set": "progan/cat"}]}')
    with pytest.raises(FakeidError, match=r"0/metrics.json: test entry 'progan/cat' lacks generator"):
        collect.load_runs([sweep.path])
    (sweep.jobs[0].run_dir / "metrics.json").write_text("{not json")
    with pytest.raises(FakeidError, match="unreadable metrics.json"):
        collect.load_runs([sweep.path])


def test_read_results_keeps_booleans_and_missing_values(tmp_path: Path) -> None:
    sweep = write_fake_sweep(tmp_path / "sweep", fail=[0])
    df, _ = collect.collect([sweep.path])
    back = collect.read_results(collect.write_results(df, tmp_path / "r.csv"))
    ok = back[back["status"] == "ok"]
    assert set(ok["seen_generator"].unique()) == {True, False}
    assert math.isnan(back.loc[back["status"] == "failed", "acc"].iloc[0])
    pd.testing.assert_series_equal(
        ok["acc"].reset_index(drop=True), df[df["status"] == "ok"]["acc"].reset_index(drop=True).astype(float)
    )


HYDRA_APP = """
import hydra

@hydra.main(version_base="1.3", config_path="conf", config_name="train")
def main(cfg) -> None:
    pass

main()
"""


def test_grid_equals_the_jobs_hydra_launches(tmp_path: Path) -> None:
    """A real multirun (a throwaway Hydra app): expected_grid lists exactly the jobs Hydra ran, in order."""
    (tmp_path / "conf" / "experiment").mkdir(parents=True)
    (tmp_path / "app.py").write_text(HYDRA_APP)
    (tmp_path / "conf" / "train.yaml").write_text(
        "data: {num_categories: 1, root: /x}\nmodel: {drop_rate: 0.5}\nseed: 0\n"
    )
    (tmp_path / "conf" / "experiment" / "grid.yaml").write_text(
        "# @package _global_\nhydra:\n  mode: MULTIRUN\n  sweeper:\n    params:\n"
        "      data.num_categories: range(1,4)\n      model.drop_rate: 0.0,0.5\n"
    )
    sweep_dir = tmp_path / "sweep"
    subprocess.run(
        [sys.executable, "app.py", "+experiment=grid", "seed=1,2", "data.root=/y", f"hydra.sweep.dir={sweep_dir}"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        timeout=120,
    )
    launched = [
        yaml.safe_load((sweep_dir / str(index) / ".hydra" / "overrides.yaml").read_text())
        for index in range(len(list(sweep_dir.glob("*/.hydra"))))
    ]
    grid = collect.expected_grid(sweep_dir)
    assert len(grid) == len(launched) == 12
    for point, overrides in zip(grid, launched, strict=True):
        assert [f"{key}={value}" for key, value in point.items()] == [
            o for o in overrides if not o.startswith(("+", "data.root"))
        ]


def test_runs_of_two_datasets_are_never_pooled_unless_one_is_chosen(tmp_path):
    from fakeid.analysis.collect import collect

    sweep = write_fake_sweep(tmp_path / "sweep", grid={"data.num_categories": [1, 3], "seed": [0, 1]})
    for index, job in enumerate(sweep.jobs):
        path = job.run_dir / "metrics.json"
        metrics = json.loads(path.read_text())
        metrics["data_identity"] = {"root": "/data/a" if index < 2 else "/data/b", "fingerprint": "0123abcd"}
        path.write_text(json.dumps(metrics))
    with pytest.raises(
        FakeidError,
        match=r"come from 2 datasets \(/data/a \(fingerprint 0123abcd\): 2 runs; "
        r"/data/b .*pass data_root=",
    ):
        collect([sweep.path])
    df, _ = collect([sweep.path], data_root="/data/b:0123abcd")
    assert set(df["data_root"]) == {"/data/b"} and df["data_fingerprint"].iloc[0] == "0123abcd"
