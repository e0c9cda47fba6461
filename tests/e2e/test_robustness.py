"""Evaluation folders through fakeid.analysis.collect, Fig R and the format-bias table, and both CLIs.

Expected numbers are computed by hand from the metrics.json files the fake evaluation folder holds, never
from the tidy table the code under test builds.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from fakeid import figures as figures_command
from fakeid.analysis import collect
from fakeid.analysis.figures import robustness as robustness_figures
from fakeid.analysis.figures import study as figures
from fakeid.core.errors import FakeidError
from tests.helpers.commands import assert_one_line_error, run_module
from tests.helpers.fake_evals import FakeEvals, write_fake_evals
from tests.helpers.fake_sweep import write_fake_sweep

GRID = {"model.drop_rate": [0.0, 0.5], "seed": [0, 1]}


def _make(base: Path, **evals_options: object) -> FakeEvals:
    source = write_fake_sweep(base / "sweeps" / "dropout", grid=GRID)
    return write_fake_evals(base / "evals" / "robustness" / "dropout", source, **evals_options)


@pytest.fixture(scope="module")
def evals(tmp_path_factory: pytest.TempPathFactory) -> FakeEvals:
    return _make(tmp_path_factory.mktemp("robustness"))


@pytest.fixture(scope="module")
def table(evals: FakeEvals) -> pd.DataFrame:
    df, reports = collect.collect([evals.source.path, evals.path])
    assert [report.complete for report in reports] == [True, True]
    return df


def _read(evaluation_path: Path) -> dict:
    return json.loads(evaluation_path.read_text())


def _t_half(values: list[float]) -> float:
    return float(scipy_stats.t.ppf(0.975, len(values) - 1) * np.std(values, ddof=1) / math.sqrt(len(values)))


# ----------------------------------------------------------------------------- collect
def test_eval_rows_equal_each_metrics_json(evals: FakeEvals, table: pd.DataFrame) -> None:
    rows = table[table["kind"] == "eval"]
    for column in (
        "level",
        "perturbation",
        "perturbation.quality",
        "perturbation.sigma",
        "perturbation.format",
        "source_run",
        "source_run_dir",
        "model.drop_rate",
        "seed",
    ):
        assert column in rows.columns, column
    assert len(evals.evaluations) == 4 * 5
    for evaluation in evals.evaluations:
        metrics = _read(evaluation.path)
        mine = rows[rows["run_dir"] == f"{evaluation.run_dir}/{evaluation.level_id}"]
        assert len(mine) == len(metrics["test"]) == 14
        assert set(mine["level"]) == {evaluation.level_id}
        assert set(mine["perturbation"]) == {metrics["perturbation"]["name"]}
        for key in ("quality", "sigma", "format"):
            expected = metrics["perturbation"].get(key)
            values = mine[f"perturbation.{key}"]
            assert values.isna().all() if expected is None else (values == expected).all(), key
        assert set(mine["source_run"]) == {metrics["source"]["run"]}
        assert set(mine["source_run_dir"]) == {evaluation.run_dir}
        for key in ("model.drop_rate", "seed", "data.num_categories", "data.dataset_kind"):
            assert set(mine[key]) == {metrics["hparams"][key]}, key
        for entry in metrics["test"]:
            row = mine[mine["set"] == entry["set"]].iloc[0]
            for name in collect.TEST_FIELDS:
                if entry[name] is None:
                    assert row[name] is None or pd.isna(row[name]), name
                else:
                    assert row[name] == (pytest.approx(entry[name]) if isinstance(entry[name], float) else entry[name])
    train = table[table["kind"] == "train"]
    assert len(train) == 4 * 13 and train["level"].isna().all() and train["perturbation"].isna().all()


def test_swept_keys_come_from_the_source_sweep_and_survive_its_removal(tmp_path: Path) -> None:
    made = _make(tmp_path)
    columns = list(collect.tidy(collect.load_runs([made.path])).columns)
    assert columns.index("model.drop_rate") < columns.index("seed") < columns.index("data.num_categories")
    shutil.rmtree(made.source.path)  # the source sweep is gone: hparams still carry every value
    df, (report,) = collect.collect([made.path])
    assert report.complete and len(df) == 20 * 14
    for evaluation in made.evaluations:
        hparams = _read(evaluation.path)["hparams"]
        rows = df[df["run_dir"] == f"{evaluation.run_dir}/{evaluation.level_id}"]
        assert set(rows["model.drop_rate"]) == {hparams["model.drop_rate"]} and set(rows["seed"]) == {hparams["seed"]}


def test_completeness_reports_missing_and_failed_levels(tmp_path: Path) -> None:
    made = _make(tmp_path, missing=[("2", "jpeg_quality=50")], fail=[("0", "none")])
    report = collect.check_completeness(made.path, collect.load_runs([made.path]))
    assert (report.grid_size, report.n_jobs, report.n_ok) == (20, 19, 18)
    assert report.missing == [{"run": "2", "level": "jpeg_quality=50"}]
    assert [job.run_dir for job in report.failed] == ["0/none"]
    assert report.without_ok == [{"run": "0", "level": "none"}, {"run": "2", "level": "jpeg_quality=50"}]
    assert not report.complete and not report.unexpected
    summary = report.summary()
    assert "missing run=2 level=jpeg_quality=50" in summary and "failed  0/none run=0 level=none" in summary


def test_only_ok_source_runs_are_expected(tmp_path: Path) -> None:
    source = write_fake_sweep(tmp_path / "sweep", grid=GRID, fail=[3])
    made = write_fake_evals(tmp_path / "evals", source)
    report = collect.check_completeness(made.path, collect.load_runs([made.path]))
    assert report.complete and report.grid_size == 3 * 5
    assert "1 of 4 source runs are not ok and were not evaluated" in report.summary()


def test_a_bad_eval_grid_is_one_line(tmp_path: Path) -> None:
    made = _make(tmp_path)
    grid = json.loads((made.path / "eval_grid.json").read_text())
    (made.path / "eval_grid.json").write_text(json.dumps({**grid, "level_ids": grid["level_ids"][:2]}))
    with pytest.raises(FakeidError, match=r"eval_grid.json: expected `levels` and `level_ids` to be lists"):
        collect.load_runs([made.path])


# ----------------------------------------------------------------------------- Fig R
def _hand_figR(evals: FakeEvals, group: str, metric: str, drop_rate: float, level: str) -> list[float]:
    """Per run (seed): the mean of `metric` over the run's sets of `group`, read from the json files."""
    values = []
    for evaluation in evals.evaluations:
        metrics = _read(evaluation.path)
        if evaluation.level_id != level or metrics["hparams"]["model.drop_rate"] != drop_rate:
            continue
        entries = [entry for entry in metrics["test"] if entry["seen_generator"] is not None]
        if group == "unseen content":
            entries = [entry for entry in entries if entry["seen_generator"] and not entry["seen_category"]]
        else:
            entries = [entry for entry in entries if not entry["seen_generator"]]
        values.append(float(np.mean([entry[metric] for entry in entries])))
    return values


@pytest.mark.parametrize(
    "group, perturbation, metric, level, x",
    [
        ("unseen content", "jpeg", "acc", "jpeg_quality=50", 50.0),
        ("unseen content", "jpeg", "ap", "none", 100.0),
        ("unseen generator", "blur", "acc", "blur_sigma=1.0", 1.0),
        ("unseen generator", "blur", "ap", "none", 0.0),
    ],
)
def test_figR_csv_equals_a_hand_computation(
    evals: FakeEvals,
    table: pd.DataFrame,
    tmp_path: Path,
    group: str,
    perturbation: str,
    metric: str,
    level: str,
    x: float,
) -> None:
    figure = robustness_figures.figR(table, tmp_path)
    assert [path.name for path in figure.paths.values()] == ["figR.png", "figR.pdf", "figR.csv"]
    data = pd.read_csv(figure.paths["csv"])
    assert list(data.columns) == robustness_figures.FIGR_COLUMNS
    for drop_rate in (0.0, 0.5):
        values = _hand_figR(evals, group, metric, drop_rate, level)
        (row,) = data[
            (data["sets"] == group)
            & (data["perturbation"] == perturbation)
            & (data["metric"] == metric)
            & (data["level"] == level)
            & (pd.to_numeric(data["group"]) == drop_rate)
        ].itertuples()
        assert row.x == x and row.n == 2 == len(values)
        assert row.mean == pytest.approx(np.mean(values))
        # a share's t interval, cut to [0, 1] where it reaches past (fakeid.analysis.stats.mean_ci)
        assert (row.ci_low, row.ci_high) == pytest.approx(
            (max(0.0, np.mean(values) - _t_half(values)), min(1.0, np.mean(values) + _t_half(values)))
        )
    assert "Left out (seen generator or category unknown): grip_pairs" in figure.caption
    assert "JPEG quality 100 (no recompression)" in figure.caption


def test_figR_has_one_line_per_dropout_and_every_level(table: pd.DataFrame) -> None:
    data = robustness_figures.figR_data(table).data
    assert set(data["series"]) == {"dropout 0", "dropout 0.5"}
    jpeg = data[(data["perturbation"] == "jpeg") & (data["metric"] == "acc") & (data["sets"] == "unseen content")]
    assert sorted(jpeg["x"]) == [50.0, 50.0, 90.0, 90.0, 100.0, 100.0]
    assert set(data["level"]) == {"none", "jpeg_quality=90", "jpeg_quality=50", "blur_sigma=1.0"}  # no format


def test_figures_1_to_3_ignore_evaluation_rows(table: pd.DataFrame) -> None:
    mixed = figures.fig2_data(table).data
    alone = figures.fig2_data(table[table["kind"] == "train"]).data
    pd.testing.assert_frame_equal(mixed, alone)


def test_an_evaluation_collected_twice_is_an_error(evals: FakeEvals, tmp_path: Path) -> None:
    copy = shutil.copytree(evals.path, tmp_path / "again")
    df, _ = collect.collect([evals.path, copy])
    with pytest.raises(FakeidError, match=r"^figR: source run .* has more than one evaluation at level"):
        robustness_figures.figR_data(df)


# ----------------------------------------------------------------------------- format bias
def test_format_bias_difference_equals_a_hand_computation(
    evals: FakeEvals, table: pd.DataFrame, tmp_path: Path
) -> None:
    made = robustness_figures.formatbias(table, tmp_path)
    data = pd.read_csv(made.paths["csv"])
    assert list(data.columns) == robustness_figures.BIAS_COLUMNS
    level = "format_format=jpeg,quality=75"
    by_run: dict[str, dict[str, float]] = {}
    for evaluation in evals.evaluations:
        if evaluation.level_id in ("none", level):
            entries = {entry["set"]: entry for entry in _read(evaluation.path)["test"]}
            by_run.setdefault(evaluation.run_dir, {})[evaluation.level_id] = entries["progan/sheep"]["ap"]
    diffs = [values[level] - values["none"] for values in by_run.values()]
    (row,) = data[(data["set"] == "progan/sheep") & (data["metric"] == "ap")].itertuples()
    assert row.level == level and row.format == "jpeg" and row.quality == 75 and row.n_pairs == 4
    assert row.diff_mean == pytest.approx(np.mean(diffs))
    assert (row.diff_ci_low, row.diff_ci_high) == pytest.approx(
        (np.mean(diffs) - _t_half(diffs), np.mean(diffs) + _t_half(diffs))
    )
    assert row.original_mean == pytest.approx(np.mean([values["none"] for values in by_run.values()]))
    assert row.condition == "seen generator, unseen content"
    markdown = made.paths["md"].read_text()
    assert f"| progan/sheep | seen generator, unseen content | ap | {row.original_mean:.3f} | " in markdown
    assert f"{row.diff_mean:+.3f} [{row.diff_ci_low:+.3f}, {row.diff_ci_high:+.3f}] | 4 |" in markdown
    assert set(data["condition"]) >= {"unknown", "unseen generator, unseen content"}


def test_format_bias_counts_runs_without_a_pair(tmp_path: Path) -> None:
    made = _make(tmp_path, missing=[("1", "format_format=jpeg,quality=75")])
    df, _ = collect.collect([made.path])
    data, notes = robustness_figures.formatbias_data(df)
    assert set(data["n_pairs"]) == {3}
    assert len(notes) == 1 and "1 run(s) evaluated on one side only" in notes[0]


# ----------------------------------------------------------------------------- the CLIs
def test_cli_collects_and_draws_fig_r_and_the_table(evals: FakeEvals, tmp_path: Path) -> None:
    csv = tmp_path / "results.csv"
    done = run_module("fakeid.collect", f"sweeps=[{evals.source.path},{evals.path}]", f"out={csv}", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "20 jobs with metrics.json: 20 ok" in done.stderr
    for figure in ("figR", "formatbias"):
        done = run_module("fakeid.figures", f"figure={figure}", f"csv={csv}", f"out={tmp_path / 'out'}", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    names = sorted(path.name for path in (tmp_path / "out").iterdir())
    assert names == [  # each with its drawn record, which a report takes it by (fakeid.analysis.figures.provenance)
        "figR.csv",
        "figR.drawn.json",
        "figR.pdf",
        "figR.png",
        "formatbias.csv",
        "formatbias.drawn.json",
        "formatbias.md",
    ]
    # drawn from the CSV (booleans and missing values read back) = drawn from the in-memory table
    from_memory = robustness_figures.figR_data(collect.collect([evals.source.path, evals.path])[0]).data
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "out" / "figR.csv"), from_memory, check_dtype=False)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out", "results.csv"]  # no Hydra folder, no log


def test_cli_all_draws_what_the_table_supports(table: pd.DataFrame, tmp_path: Path) -> None:
    csv = collect.write_results(table, tmp_path / "results.csv")
    assert figures_command.main(["figure=all", f"csv=[{csv}]", f"out={tmp_path / 'out'}"]) == 0
    names = {path.name.split(".")[0] for path in (tmp_path / "out").iterdir()}
    assert names == {"fig2", "fig3", "figR", "formatbias"}  # fig1 needs several category counts: skipped
    assert all((tmp_path / "out" / f"{name}.drawn.json").is_file() for name in names)  # each with its record


@pytest.mark.parametrize(
    "module, args, message",
    [
        (
            "fakeid.figures",
            ["figure=figR", "csv=a.csv", "bogus=1"],
            "bogus=1: unknown key 'bogus' for python -m fakeid.figures; expected one of baseline, bootstrap_seed, csv",
        ),
        (
            "fakeid.figures",
            ["figure=fig9", "csv=a.csv"],
            "figure=fig9: expected one of fig1, fig2, fig3, fig3_deconvgan, figR",
        ),
        ("fakeid.figures", ["figure=figR"], "missing key 'csv': expected csv=RESULTS.csv"),
        ("fakeid.figures", ["csv=a.csv", "drop_rate=abc"], "drop_rate=abc: expected a number"),
        (
            "fakeid.collect",
            ["sweep=x"],
            "sweep=x: unknown key 'sweep' for python -m fakeid.collect; did you mean 'sweeps'?",
        ),
        ("fakeid.collect", ["sweeps=a,b"], "sweeps=a,b: write a list as sweeps=[a,b] (a bare comma means a sweep"),
    ],
)
def test_cli_bad_input_is_one_line_exit_2(tmp_path: Path, module: str, args: list[str], message: str) -> None:
    done = run_module(module, *args, cwd=tmp_path)
    assert_one_line_error(done, "^fakeid: error: " + re.escape(message))
    assert not list(tmp_path.iterdir())


def test_notebook_shows_fig_r_and_the_table_of_an_evaluation_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import nbformat
    from nbclient import NotebookClient

    from tests.helpers.commands import NOTEBOOK

    source = write_fake_sweep(tmp_path / "sweep", grid={"data.num_categories": [1, 2], **GRID})
    made = write_fake_evals(tmp_path / "evals", source)
    monkeypatch.setenv("FAKEID_SWEEPS", os.pathsep.join([str(source.path), str(made.path)]))
    monkeypatch.setenv("FAKEID_FIGURES", str(tmp_path / "figures"))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        notebook, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    ).execute()
    outputs = [output for cell in notebook.cells for output in cell.get("outputs", [])]
    assert sum("image/png" in output.get("data", {}) for output in outputs) == 4  # Figs 1-3 and Fig R
    assert any("format_format=jpeg,quality=75" in output.get("data", {}).get("text/plain", "") for output in outputs)
    assert "skipped" not in "\n".join(output.get("text", "") for output in outputs)


def test_cli_help_lists_the_tools_own_keys(tmp_path: Path) -> None:
    done = run_module("fakeid.collect", "--help", cwd=tmp_path)
    assert (
        done.returncode == 0
        and "sweeps" in done.stdout
        and "(any, default required)" in done.stdout
        and "callbacks:" not in done.stdout
    )
    assert not list(tmp_path.iterdir())
