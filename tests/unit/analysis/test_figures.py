"""fakeid.figures: files written, CSV numbers equal an independent pandas computation, one-line errors."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from fakeid import figures as figures_command
from fakeid.analysis import collect
from fakeid.analysis.figures import catalog
from fakeid.analysis.figures import study as figures
from fakeid.core.errors import FakeidError
from tests.helpers.commands import assert_one_line_error, exited
from tests.helpers.fake_sweep import write_fake_sweep

GRID = {"data.num_categories": [1, 2, 3], "model.drop_rate": [0.0, 0.5], "seed": [0, 1, 2]}


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    # Job 1 failed and job 7 crashed: figures must use only the ok runs.
    sweep = write_fake_sweep(tmp_path_factory.mktemp("sweep") / "sweep", grid=GRID, fail=[1], missing=[7])
    df, _ = collect.collect([sweep.path])
    return df


@pytest.fixture(scope="module")
def drawn(results: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> dict[str, figures.Figure]:
    out = tmp_path_factory.mktemp("figures")
    made = catalog.write_all(results, out)
    assert all(isinstance(result, figures.Figure) for result in made.values()), made
    return made  # type: ignore[return-value]


def _unseen_content_per_run(df: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Independent of figures.py: mean of `metric` over each ok run's unseen-content sets."""
    ok = df[(df["status"] == "ok")]
    unseen = ok[(ok["seen_generator"] == True) & (ok["seen_category"] == False)]  # noqa: E712
    keys = ["sweep", "run_dir", "seed", "data.num_categories", "model.drop_rate"]
    return unseen.groupby(keys, as_index=False)[metric].mean()


def _points(figure: figures.Figure, metric: str, group: object | None = None, role: str | None = None) -> pd.DataFrame:
    data = pd.read_csv(figure.paths["csv"])  # the file beside the picture, not the in-memory table
    rows = data[(data["kind"] == "point") & (data["metric"] == metric)]
    if group is not None:
        rows = rows[rows["group"].astype(str) == str(group)]
    if role is not None:
        rows = rows[rows["role"] == role]
    return rows.sort_values("x").reset_index(drop=True)


def test_each_figure_is_written_as_png_pdf_and_csv(drawn: dict[str, figures.Figure]) -> None:
    for name, figure in drawn.items():
        assert [path.name for path in figure.paths.values()] == [f"{name}.{s}" for s in ("png", "pdf", "csv", "json")]
        assert figure.paths["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert figure.paths["pdf"].read_bytes()[:5] == b"%PDF-"
        assert list(pd.read_csv(figure.paths["csv"]).columns) == figures.CSV_COLUMNS


@pytest.mark.parametrize("metric", ["acc", "ap"])
def test_fig1_secondary_series_is_the_mean_over_all_unseen_sets(
    results: pd.DataFrame, drawn: dict[str, figures.Figure], metric: str
) -> None:
    per_run = _unseen_content_per_run(results, metric)
    per_run = per_run[per_run["model.drop_rate"] == 0.5]  # the fixed ratio: both ratios cover 3 n; 0.5 lost fewer runs
    expected = per_run.groupby("data.num_categories")[metric].agg(["mean", "size", "sem"])
    points = _points(drawn["fig1"], metric, role=figures.SECONDARY)
    assert points["n_sets"].tolist() == [10, 9, 8]  # ten categories and the holdout, minus those trained on
    assert "progan/sheep" in points["sets"].iloc[0] and "progan/cat" not in points["sets"].iloc[0]
    assert points["x"].tolist() == expected.index.tolist()
    assert points["mean"].to_numpy() == pytest.approx(expected["mean"].to_numpy())
    assert points["n"].tolist() == expected["size"].tolist()
    half = scipy_stats.t.ppf(0.975, expected["size"] - 1) * expected["sem"]
    assert (points["ci_high"] - points["mean"]).to_numpy() == pytest.approx(half.to_numpy())
    assert "dropout 0.5" in drawn["fig1"].title


@pytest.mark.parametrize("metric", ["acc", "ap", "acc_cal"])
def test_fig1_primary_series_is_on_the_sets_unseen_at_every_n(
    results: pd.DataFrame, drawn: dict[str, figures.Figure], metric: str
) -> None:
    ok = results[(results["status"] == "ok") & (results["model.drop_rate"] == 0.5)]
    # the categories are trained on in a fixed order: with n <= 3 of 10, the last seven and sheep stay unseen
    training_generator = set(ok.loc[ok["seen_generator"].astype(bool), "set"])
    constant = sorted(training_generator - set(ok.loc[ok["seen_category"].astype(bool), "set"]))
    rows = ok[ok["set"].isin(constant)]
    per_run = rows.groupby(["run_dir", "data.num_categories"], as_index=False)[metric].mean()
    expected = per_run.groupby("data.num_categories")[metric].mean()
    points = _points(drawn["fig1"], metric, role=figures.PRIMARY)
    assert points["mean"].to_numpy() == pytest.approx(expected.to_numpy())
    assert set(points["sets"]) == {"; ".join(constant)} and set(points["n_sets"]) == {len(constant)}
    assert "unseen at every n" in points["series"].iloc[0]
    assert "Solid: the sets unseen at every n" in drawn["fig1"].caption


def test_fig1_trend_is_the_line_of_the_level_means_with_page_and_lack_of_fit(
    results: pd.DataFrame, drawn: dict[str, figures.Figure]
) -> None:
    per_run = _unseen_content_per_run(results, "acc")
    per_run = per_run[per_run["model.drop_rate"] == 0.5]
    means = per_run.groupby("data.num_categories")["acc"].mean()
    reference = scipy_stats.linregress(means.index.to_numpy(float), means.to_numpy())
    half = scipy_stats.t.ppf(0.975, len(means) - 2) * reference.stderr  # L - 2 dof: the level means are the units
    trends = drawn["fig1"].data.query("kind == 'trend'").drop_duplicates(["panel", "series"])
    trend = trends[(trends["panel"] == "acc") & trends["series"].str.contains("mean over all unseen")].iloc[0]
    assert trend["slope"] == pytest.approx(reference.slope)
    assert (trend["slope_ci_low"], trend["slope_ci_high"]) == pytest.approx(
        (reference.slope - half, reference.slope + half)
    )
    assert trend["n"] == len(per_run)
    table = per_run.pivot_table(index="seed", columns="data.num_categories", values="acc").dropna()
    up = scipy_stats.page_trend_test(table.to_numpy()).pvalue
    down = scipy_stats.page_trend_test(table.to_numpy()[:, ::-1]).pvalue
    assert trend["trend_p"] == pytest.approx(min(1.0, 2 * min(up, down)))
    assert 0 <= trend["lack_of_fit_p"] <= 1
    line = pd.read_csv(drawn["fig1"].paths["csv"]).query("kind == 'trend' and metric == 'acc' and role == 'secondary'")
    assert line["mean"].to_numpy() == pytest.approx(reference.intercept + reference.slope * line["x"].to_numpy())
    assert {"trend_p", "lack_of_fit_p", "line", "clipped"} <= set(line.columns)


def test_fig2_has_a_line_and_trend_per_number_of_categories(
    results: pd.DataFrame, drawn: dict[str, figures.Figure]
) -> None:
    per_run = _unseen_content_per_run(results, "acc")
    for categories, runs in per_run.groupby("data.num_categories"):
        points = _points(drawn["fig2"], "acc", group=categories)
        expected = runs.groupby("model.drop_rate")["acc"].mean()
        assert points["x"].tolist() == expected.index.tolist()
        assert points["mean"].to_numpy() == pytest.approx(expected.to_numpy())
        slope = scipy_stats.linregress(expected.index.to_numpy(float), expected.to_numpy()).slope
        trend = drawn["fig2"].trends.query("panel == 'acc'")
        assert slope == pytest.approx(trend[trend["series"].str.startswith(f"{categories} ")]["slope"].iloc[0])


def test_fig3_has_one_line_per_unseen_generator_set(results: pd.DataFrame, drawn: dict[str, figures.Figure]) -> None:
    ok = results[(results["status"] == "ok") & (results["seen_generator"] == False)]  # noqa: E712
    ok = ok[ok["data.num_categories"] == 3]  # every n covers both ratios; ties go to the most runs, n=3 lost none
    assert "3 training categories" in drawn["fig3"].title
    for metric in ("acc", "acc_cal", "ap"):
        for test_set, rows in ok.groupby("set"):
            points = _points(drawn["fig3"], metric, group=test_set)
            assert points["mean"].to_numpy() == pytest.approx(rows.groupby("model.drop_rate")[metric].mean().to_numpy())
            assert points["series"].str.contains("unseen generator, unseen content").all()


def test_tables_equal_groupby_of_the_tidy_table(results: pd.DataFrame) -> None:
    table = figures.per_set_table(results, by=["data.num_categories"], metrics=["acc", "ap"])
    ok = results[results["status"] == "ok"]
    expected = ok.groupby(["set", "data.num_categories"])["acc"].agg(["mean", "size"]).reset_index()
    merged = table.merge(expected, on=["set", "data.num_categories"])
    assert len(merged) == len(expected) == 13 * 3
    assert merged["acc"].to_numpy() == pytest.approx(merged["mean"].to_numpy())
    assert (merged["n"] == merged["size"]).all()
    assert set(table.loc[table["set"] == "progan/sheep", "condition"]) == {"seen generator, unseen content"}

    comparison = figures.seen_unseen_table(results)
    assert set(comparison["condition"]) == {
        "seen generator, seen content",
        "seen generator, unseen content",
        "unseen generator, unseen content",
    }
    unseen = _unseen_content_per_run(results, "acc")["acc"].mean()
    row = comparison.set_index("condition").loc["seen generator, unseen content"]
    assert row["acc"] == pytest.approx(unseen) and row["n"] == ok[["sweep", "run_dir"]].drop_duplicates().shape[0]


def test_figures_explain_in_one_line_what_the_table_lacks(results: pd.DataFrame, tmp_path: Path) -> None:
    one_rate = results[results["model.drop_rate"] == 0.5]
    with pytest.raises(
        FakeidError, match=r"^fig2 needs runs with more than one model.drop_rate; the results table has only 0.5$"
    ):
        figures.fig2(one_rate, tmp_path)
    one_n = results[results["data.num_categories"] == 2]
    with pytest.raises(
        FakeidError, match=r"^fig1 needs runs with more than one data.num_categories at model.drop_rate"
    ):
        figures.fig1(one_n, tmp_path)
    with pytest.raises(FakeidError, match=r"^fig3 needs columns ap; r.csv lacks them$"):
        figures.fig3(results.drop(columns=["ap"]), tmp_path, source="r.csv")
    with pytest.raises(FakeidError, match="no runs with model.drop_rate=0.3"):
        figures.fig1(results, tmp_path, drop_rate=0.3)
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_cli_draws_from_the_collected_csv(
    results: pd.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = collect.write_results(results, tmp_path / "results.csv")
    assert figures_command.main(["figure=fig1", f"csv={csv}", f"out={tmp_path / 'figs'}", "drop_rate=0.0"]) == 0
    assert sorted(path.name for path in (tmp_path / "figs").iterdir()) == [
        "fig1.csv",
        "fig1.drawn.json",  # what it was drawn from (fakeid.analysis.figures.provenance): a report may copy it
        "fig1.json",
        "fig1.pdf",
        "fig1.png",
    ]
    written = pd.read_csv(tmp_path / "figs" / "fig1.csv")
    assert written["mean"].to_numpy() == pytest.approx(figures.fig1_data(results, 0.0).data["mean"].to_numpy())
    with pytest.raises(SystemExit) as exit_info:
        figures_command.main(["figure=fig2", f"csv=[{tmp_path / 'absent.csv'}]"])
    no_csv = f"{tmp_path / 'absent.csv'}: no such results CSV"
    assert_one_line_error(exited(exit_info, capsys), "^fakeid: error: " + re.escape(no_csv))
    np.testing.assert_array_equal(written["x"].unique(), np.array([1.0, 2.0, 3.0]))


def test_write_all_reads_each_figure_from_the_sweeps_that_vary_its_x(tmp_path: Path) -> None:
    from fakeid.analysis.collect import load_runs, tidy
    from fakeid.analysis.figures.catalog import write_all

    categories = write_fake_sweep(tmp_path / "categories", grid={"data.num_categories": [1, 2, 3], "seed": [0, 1]})
    dropout = write_fake_sweep(tmp_path / "dropout", grid={"model.drop_rate": [0.0, 0.5], "seed": [0, 1]})
    df = tidy(load_runs([categories.path, dropout.path]))
    made = write_all(df, tmp_path / "figures")
    fig2_points = made["fig2"].data[made["fig2"].data["kind"] == "point"]
    assert set(fig2_points["n"]) == {2}, "only the dropout sweep's two seeds per point"
    fig1_points = made["fig1"].data[made["fig1"].data["kind"] == "point"]
    assert set(fig1_points["x"]) == {1, 2, 3} and set(fig1_points["n"]) == {2}


def test_a_flat_test_set_is_left_out_of_unseen_content_and_named(results):
    """A test/<generator>/{0_real,1_fake} set has no category level: seen_category is null (unknown)."""
    flat = results[results["set"] == "progan/sheep"].copy()
    flat["set"], flat["category"], flat["seen_category"], flat["acc"] = "progan", None, None, 0.0
    with_flat = pd.concat([results, flat], ignore_index=True)
    figure = figures.fig1_data(with_flat)
    assert "left out (content unknown: no category level): progan" in figure.caption
    assert figure.data.equals(figures.fig1_data(results).data), "the flat set changes no plotted number"


def test_fig1_primary_series_holds_the_sets_fixed_when_composition_and_set_effects_differ_in_sign() -> None:
    """Hand-made: sheep is unseen at every n and falls 0.80 -> 0.70; bus and cow sit at 0.50 while unseen and
    are trained on from n = 2 and n = 3. The average over the unseen sets rises (0.60 -> 0.70): composition."""
    sheep = {1: 0.80, 2: 0.75, 3: 0.70}
    rows = []
    for n in (1, 2, 3):
        trained = {"bus", "cow"} & ({"bus"} if n == 2 else {"bus", "cow"} if n == 3 else set())
        for seed in (0, 1):
            for category, acc in (("sheep", sheep[n]), ("bus", 0.5), ("cow", 0.5)):
                seen = category in trained
                value = 0.95 if seen else acc + 0.01 * seed
                rows.append(
                    {
                        "sweep": "hand",
                        "run_dir": f"{n}-{seed}",
                        "status": "ok",
                        "set": f"progan/{category}",
                        "generator": "progan",
                        "seen_generator": True,
                        "seen_category": seen,
                        "data.num_categories": n,
                        "model.drop_rate": 0.0,
                        "seed": seed,
                        "acc": value,
                        "acc_cal": value,
                        "ap": value,
                    }
                )
    figure = figures.fig1_data(pd.DataFrame(rows))
    data = figure.data
    trends = figure.trends[figure.trends["panel"] == "acc"]
    primary = trends[trends["series"].str.contains("unseen at every n")]["slope"].iloc[0]
    secondary = trends[trends["series"].str.contains("mean over all unseen")]["slope"].iloc[0]
    assert primary == pytest.approx(-0.05) and secondary == pytest.approx(0.05, abs=0.01)
    points = data[(data["kind"] == "point") & (data["metric"] == "acc")]
    first = points[points["role"] == figures.PRIMARY]
    assert first["mean"].to_numpy() == pytest.approx([0.805, 0.755, 0.705])
    assert set(first["sets"]) == {"progan/sheep"}
    mixed = points[points["role"] == figures.SECONDARY].sort_values("x")
    assert mixed["n_sets"].tolist() == [3, 2, 1]
    assert mixed["sets"].tolist() == [
        "progan/bus; progan/cow; progan/sheep",
        "progan/cow; progan/sheep",
        "progan/sheep",
    ]
    per_set = data[(data["panel"] == "set_acc") & (data["kind"] == "point")]
    assert per_set.loc[per_set["series"] == "progan/bus", "x"].tolist() == [1]  # bus only while unseen
    assert "Solid: the set unseen at every n (progan/sheep)" in figure.caption


def test_fig3_shows_stylegan2_sets_only_and_the_other_generators_apart(results: pd.DataFrame, tmp_path: Path) -> None:
    unseen = results[results["seen_generator"] == False]  # noqa: E712
    deconv = unseen.assign(generator="deconvgan", set=unseen["set"].str.replace("stylegan2/", "deconvgan/"))
    table = pd.concat([results, deconv], ignore_index=True)
    fig3 = figures.fig3_data(table)
    assert set(fig3.data["group"]) == {"stylegan2/ffhq", "stylegan2/horse"}
    assert "deconvgan" not in fig3.caption
    for name in ("stylegan2/ffhq", "stylegan2/horse"):  # each set's power statement, named by its set
        assert f"on {name} (80 % power" in fig3.caption or f"power on {name} is unknown" in fig3.caption
    other = figures.fig3_data(table, others=True)
    assert other.name == "fig3_deconvgan" and set(other.data["group"]) == {"deconvgan/ffhq", "deconvgan/horse"}
    made = catalog.write_all(table, tmp_path)
    assert isinstance(made["fig3_deconvgan"], figures.Figure) and "fig3_deconvgan" not in catalog.write_all(
        results, tmp_path
    )
    trends = fig3.data.query("kind == 'trend'")
    assert set(trends["metric"]) == {"acc", "ap"} and trends["lack_of_fit_p"].isna().all()  # 2 ratios: untestable


def test_intervals_outside_the_unit_interval_are_clipped_and_flagged() -> None:
    runs = pd.DataFrame({"x": [0, 0, 0, 1, 1, 1], "acc": [1.0, 0.6, 1.0, 0.7, 0.72, 0.71]})
    points = figures._point_rows(runs, "x", "acc", figure="f", panel="acc", series="s", group="g", role="primary")
    first, second = points
    assert first["ci_high"] == 1.0 and first["clipped"] and first["ci_low"] < first["mean"]
    assert not second["clipped"] and second["ci_high"] < 1.0
    assert figures.bounded(1.0000001, 0.9, 1.2) == (1.0, 0.9, 1.0, True)


class _Comparison:
    def marks(self, group: str, metric: str) -> dict[float, tuple[bool, float]]:
        return {0.3: (True, 0.075), 0.6: (True, 0.01), 0.9: (False, 0.01)}


def test_a_star_needs_the_holm_adjusted_p_under_5_percent() -> None:
    points = [{"x": x} for x in (0.0, 0.3, 0.6, 0.9)]
    marked = figures._apply_marks(points, _Comparison(), "g", "acc")
    assert [point["marked"] for point in marked] == [None, False, True, False]


def test_figs_1_and_2_draw_one_line_per_model_when_the_table_has_several(tmp_path: Path) -> None:
    """`model=xception,npr`: each network's points from its own runs only, never pooled."""
    sweep = write_fake_sweep(
        tmp_path / "models",
        grid={"model.name": ["legacy_xception", "npr"], "data.num_categories": [1, 2, 3], "seed": [0, 1, 2]},
    )
    df, _ = collect.collect([sweep.path])
    figure = figures.fig1(df, tmp_path / "figures")
    assert figure.title.endswith(", by model") and "One line per model (legacy_xception, npr)" in figure.caption
    expected = _unseen_content_per_run(df, "acc").merge(
        df[["run_dir", "model.name"]].drop_duplicates(), on="run_dir", how="left"
    )
    points = pd.read_csv(figure.paths["csv"])
    points = points[(points["kind"] == "point") & (points["metric"] == "acc") & (points["role"] == "secondary")]
    for model in ("legacy_xception", "npr"):
        mine = points[points["series"].astype(str).str.endswith(f"| model {model}")].sort_values("x")
        means = expected[expected["model.name"] == model].groupby("data.num_categories")["acc"].mean()
        assert list(mine["x"]) == [1, 2, 3] and set(mine["n"]) == {3}
        np.testing.assert_allclose(mine["mean"], means.to_numpy())
    assert figures.fig2 and figures.by_model  # Fig 2 and 3 go through the same split (study.fig2, study.fig3)
