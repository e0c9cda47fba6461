"""fakeid.reporting without a trained model: the site from a fake sweep, the study read once (a current
results.csv reused, a stale one not), the gallery from a scores.csv, a corrupt scores.csv refused."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fakeid.analysis import collect
from fakeid.analysis.scores import CorruptScores
from fakeid.reporting import gallery, site
from fakeid.runs.files import RESULTS_FILE
from tests.helpers.fake_scores import add_scores, scores_path
from tests.helpers.fake_sweep import write_fake_sweep

N_BOOT = 50  # few replicates: the tests check where intervals come from, not their width


@pytest.fixture
def sweep(tmp_path: Path):
    made = write_fake_sweep(tmp_path / "sweep", grid={"data.num_categories": [1, 3], "seed": [0, 1]})
    add_scores(made, n_per_class=8)
    return made


def test_a_current_results_csv_gives_the_intervals_and_a_stale_one_does_not(sweep) -> None:
    collect.collect_to_csv([sweep.path], n_boot=N_BOOT)
    written = collect.read_results(sweep.path / RESULTS_FILE)

    study = collect.collect_study([sweep.path], n_boot=7, bootstrap_seed=3)  # other settings: not recomputed
    assert study.reused == [str(sweep.path)]
    for name in collect.INTERVAL_COLUMNS:
        assert study.table[name].to_numpy() == pytest.approx(written[name].to_numpy(), nan_ok=True, abs=0, rel=0)
    assert study.table["ap_img_low"].notna().any()

    path = sweep.jobs[0].run_dir / "metrics.json"  # a rerun job: its numbers are no longer those of results.csv
    metrics = json.loads(path.read_text())
    metrics["test"][0]["auroc"] = 0.123
    path.write_text(json.dumps(metrics))
    stale = collect.collect_study([sweep.path], n_boot=N_BOOT)
    assert stale.reused == []
    assert stale.table["ap_img_low"].notna().any()


def test_a_results_csv_without_interval_columns_is_not_current(sweep) -> None:
    df, _ = collect.collect([sweep.path])  # no n_boot: no interval columns
    collect.write_results(df, sweep.path / RESULTS_FILE)
    assert collect.collect_study([sweep.path], n_boot=N_BOOT).reused == []


def test_the_site_of_a_fake_sweep_shows_collects_table(sweep, tmp_path: Path) -> None:
    collect.collect_to_csv([sweep.path], n_boot=N_BOOT)
    out = tmp_path / "report"
    settings = site.Settings(k=2, spectra=False, command="test")
    record = site.build([sweep.path], out, settings)

    page = (out / site.INDEX).read_text()
    assert "Completeness" in page and "per-set-sweep" in page
    shown = pd.read_csv(out / RESULTS_FILE)
    assert set(collect.INTERVAL_COLUMNS) <= set(shown.columns)  # collect's table, intervals included
    assert pd.read_csv(sweep.path / RESULTS_FILE).equals(shown)  # the sweep's own results.csv, reused whole
    assert record["folders"][0]["n_ok"] == len(sweep.jobs)
    assert record["gallery"]["pictured"] > 0  # the fake runs record no data root: every image listed by path only
    assert record["gallery"]["outside"] == record["gallery"]["pictured"]


def test_the_gallery_picks_the_worst_mistakes_of_a_scores_csv(sweep) -> None:
    df, _ = collect.collect([sweep.path])
    runs = gallery.gallery_runs(df)
    scores = gallery.read_scores(sweep.path, runs)
    assert len(scores) == 8 * 2 * len(runs)  # every image of every chosen set
    for group, kind, chosen in gallery.rank(scores, 3):
        assert len(chosen) <= 3
        mine = scores[(scores["group"] == group) & (scores["label"] == (kind == "fake"))]
        # each image once, at its worst run: fakes scored most real, reals scored most fake
        per_image = mine.groupby("path")["score"].agg("min" if kind == "fake" else "max").to_numpy()
        expected = np.sort(per_image)[:3] if kind == "fake" else np.sort(per_image)[::-1][:3]
        assert sorted(chosen["score"]) == sorted(expected)
        assert chosen["path"].is_unique


def test_a_corrupt_scores_csv_is_refused_by_the_gallery(sweep) -> None:
    df, _ = collect.collect([sweep.path])
    runs = gallery.gallery_runs(df)
    path = scores_path(sweep, 0)
    path.write_text(path.read_text().replace(",0,", ",2,", 1))  # a label that is neither 0 nor 1
    with pytest.raises(CorruptScores, match="scores.csv"):
        gallery.read_scores(sweep.path, runs)


def test_the_report_copies_a_figure_drawn_from_its_rows_and_draws_one_whose_table_changed(
    sweep, tmp_path: Path, monkeypatch
) -> None:
    from fakeid import figures as figures_command
    from fakeid.analysis.figures import catalog

    csv = collect.collect_to_csv([sweep.path], n_boot=N_BOOT)
    figures = tmp_path / "figures"
    assert figures_command.main(["figure=[fig1,compare]", f"csv={csv}", f"out={figures}"]) == 0
    alone = site.comparisons_section(site.read_folders([sweep.path], None)[0])  # computed, no record read
    computed: list[object] = []
    monkeypatch.setattr(catalog, "compare_runs", lambda *a, _c=catalog.compare_runs: computed.append(1) or _c(*a))
    drawn: list[str] = []
    makers = catalog._makers
    monkeypatch.setattr(
        catalog,
        "_makers",
        lambda: {name: (lambda *a, _n=name, _m=m: drawn.append(_n) or _m(*a)) for name, m in makers().items()},
    )
    settings = site.Settings(k=2, spectra=False, command="test", drawn=[str(figures)])
    record = site.build([sweep.path], tmp_path / "report", settings)
    assert "fig1" not in drawn and "figures/fig1.png" in record["figures"]  # copied, not drawn
    for suffix in ("png", "pdf", "csv", "json"):
        assert (tmp_path / "report/figures" / f"fig1.{suffix}").read_bytes() == (
            figures / f"fig1.{suffix}"
        ).read_bytes()
    assert not list((tmp_path / "report").rglob("*.drawn.json"))  # the record stays with the figures step
    # the comparison figure=compare made of the same rows with the defaults: taken, the same page and record
    taken = site.comparisons_section(site.read_folders([sweep.path], None)[0], [str(figures)])
    assert computed == [] and taken == alone

    path = sweep.jobs[0].run_dir / "metrics.json"  # one number changed since the figures step: drawn again
    metrics = json.loads(path.read_text())
    metrics["test"][0]["acc"] = round(metrics["test"][0]["acc"] + 0.01, 6)
    path.write_text(json.dumps(metrics))
    site.build([sweep.path], tmp_path / "report2", settings)
    assert drawn.count("fig1") == 1 and computed == [1]
