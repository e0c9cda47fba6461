"""`python -m fakeid.report`: every section, figure and table of a tiny sweep's report, its numbers equal to
results.csv, the gallery equal to an independent ranking of scores.csv, moved images, and the bad input."""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from tests.helpers.commands import assert_one_line_error, run_module
from tests.helpers.fake_evals import write_fake_evals
from tests.helpers.fake_sweep import FAIL_ERROR, write_fake_sweep
from tests.helpers.report import METRICS, K, make_report_fake_sweep, make_report_sweep


class Page(HTMLParser):
    """What the tests read from index.html: tables by id (data-v per cell), images, figures, tiles, counts."""

    def __init__(self, text: str):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.headers: dict[str, list[str]] = {}
        self.images: list[str] = []
        self.figures: list[str] = []
        self.tiles: list[dict[str, str]] = []
        self.counts: dict[str, str] = {}
        self._table: str | None = None
        self._count: str | None = None
        self._th = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and "sortable" in (attrs.get("class") or ""):
            self._table = attrs.get("id") or f"table-{len(self.tables)}"
            self.tables[self._table], self.headers[self._table] = [], []
        elif tag == "tr" and self._table:
            self.tables[self._table].append([])
        elif tag == "td" and self._table:
            self.tables[self._table][-1].append(attrs.get("data-v", ""))
        elif tag == "th" and self._table:
            self._th = True
        elif tag == "img":
            self.images.append(attrs["src"])
        elif tag == "figure":
            self.figures.append(attrs.get("data-figure", ""))
        elif tag == "div" and attrs.get("class") == "tile":
            self.tiles.append({key[5:]: value for key, value in attrs.items() if key.startswith("data-")})
        elif tag == "span" and "data-count" in attrs:
            self._count = attrs["data-count"]

    def handle_endtag(self, tag):
        if tag == "table":
            if self._table:
                self.tables[self._table] = [row for row in self.tables[self._table] if row]
            self._table = None
        elif tag == "th":
            self._th = False

    def handle_data(self, data):
        if self._th and self._table:
            self.headers[self._table].append(data)
        if self._count:
            self.counts[self._count] = data
            self._count = None


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("report")
    sweep, root = make_report_sweep(base)
    out = base / "site"
    done = run_module("fakeid.report", f"sweeps=[{sweep}]", f"out={out}", f"k={K}", "spectra_per_class=2")
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith(f"wrote {out / 'index.html'}")
    collected = run_module("fakeid.collect", f"sweeps={sweep}", f"out={base / 'results.csv'}")
    assert collected.returncode == 0, collected.stderr
    return {
        "sweep": sweep,
        "root": root,
        "out": out,
        "page": Page((out / "index.html").read_text()),
        "results": pd.read_csv(base / "results.csv"),
    }


def test_every_section_figure_and_picture_is_there(report) -> None:
    out, page = report["out"], report["page"]
    text = (out / "index.html").read_text()
    for heading in ("What was run", "Completeness", "Figures", "Per-set tables", "Mistakes gallery", "Spectra"):
        assert f">{heading}" in text
    drawn = sorted(path.relative_to(out).as_posix() for path in (out / "figures").rglob("*.png"))
    assert [Path(name).stem for name in drawn] == ["fig1", "fig2", "fig3"]  # what figures.write_all draws here
    assert set(drawn) <= set(page.images) and "spectra/0/spectra.png" in page.images
    assert page.figures == ["fig1", "fig2", "fig3", "spectra"]
    for source in page.images:
        assert (out / source).is_file(), source  # nothing points outside the folder
        assert not source.startswith(("/", "http:", "https:", "file:"))
    assert (out / "results.csv").is_file() and json.loads((out / "report.json").read_text())["kind"] == "fakeid_report"
    assert "data.num_categories</code> 1, 3" in text and "python 3.11.7" in text
    assert str(report["root"]) in text and "0123456789abcdef" in text


def test_completeness_names_the_failed_and_missing_jobs(report) -> None:
    page = report["page"]
    assert [page.counts[key] for key in ("grid_points", "ok", "failed", "missing")] == ["8", "6", "1", "1"]
    failed = page.tables["failed-sweep"]
    assert failed == [["1", "data.num_categories=1 model.drop_rate=0.0 seed=1", FAIL_ERROR]]


def test_every_run_row_equals_results_csv(report) -> None:
    page, results = report["page"], report["results"]
    columns = page.headers["per-run-sweep"]
    shown = pd.DataFrame(page.tables["per-run-sweep"], columns=columns)
    ok = results[results["status"] == "ok"].reset_index(drop=True)
    assert len(shown) == len(ok) == 6 * 13  # 6 ok runs x 13 test sets
    assert shown["run_dir"].tolist() == ok["run_dir"].astype(str).tolist()
    assert shown["set"].tolist() == ok["set"].tolist()
    for metric in (*METRICS, "threshold", "n_real"):
        assert shown[metric].astype(float).tolist() == ok[metric].astype(float).tolist(), metric


def test_per_set_means_equal_a_groupby_of_results_csv(report) -> None:
    page, results = report["page"], report["results"]
    columns = page.headers["per-set-sweep"]
    assert columns[:3] == ["set", "data.num_categories", "model.drop_rate"]
    shown = pd.DataFrame(page.tables["per-set-sweep"], columns=columns)
    ok = results[results["status"] == "ok"]
    expected = ok.groupby(["set", "data.num_categories", "model.drop_rate"])[list(METRICS)].mean().reset_index()
    assert len(shown) == len(expected)
    for metric in METRICS:
        np.testing.assert_allclose(shown[metric].astype(float), expected[metric], rtol=0, atol=1e-12)
    counts = ok.groupby(["set", "data.num_categories", "model.drop_rate"]).size().tolist()
    assert shown["runs"].astype(int).tolist() == counts


def independent_picks(sweep: Path) -> dict[tuple[str, str], list[tuple[str, float, str]]]:
    """The gallery computed from the jobs' files alone: group of each (run, set) from metrics.json."""
    frames = []
    for metrics_path in sorted(sweep.glob("*/metrics.json")):
        metrics = json.loads(metrics_path.read_text())
        if metrics["status"] != "ok":
            continue
        scores = pd.read_csv(metrics_path.parent / "scores.csv")
        condition = {
            entry["set"]: f"{'seen' if entry['seen_generator'] else 'unseen'} generator, "
            f"{'seen' if entry['seen_category'] else 'unseen'} content"
            for entry in metrics["test"]
        }
        frames.append(scores.assign(group=scores["set"].map(condition), run=metrics_path.parent.name))
    scores = pd.concat(frames)
    picks = {}
    for (group, label), rows in scores.groupby(["group", "label"]):
        worst = rows.sort_values(["score", "path", "run"], ascending=[label == 1, True, True])
        worst = worst.drop_duplicates("path").head(K)
        picks[(group, "fake" if label else "real")] = list(
            zip(worst["path"], worst["score"], worst["run"], strict=True)
        )
    return picks


def test_the_gallery_equals_an_independent_ranking_of_scores_csv(report) -> None:
    tiles = report["page"].tiles
    shown: dict[tuple[str, str], list[tuple[str, float, str]]] = {}
    for tile in tiles:
        shown.setdefault((tile["group"], tile["kind"]), []).append((tile["path"], float(tile["score"]), tile["run"]))
    assert shown == independent_picks(report["sweep"])
    assert len(tiles) == 3 * 2 * K  # three groups here (no seen-content set of an unseen generator)
    assert report["page"].counts["gallery_missing"] == "0"


def test_images_moved_since_the_run_are_shown_missing_and_counted(report, tmp_path) -> None:
    root = tmp_path / "data"
    shutil.copytree(report["root"], root)
    sweep = tmp_path / "sweep"
    shutil.copytree(report["sweep"], sweep)
    for scores in sweep.glob("*/scores.csv"):  # the runs saw the copy; then two of its images moved
        scores.write_text(scores.read_text().replace(str(report["root"]), str(root)))
        record = scores.parent / "metrics.json"
        record.write_text(record.read_text().replace(str(report["root"]), str(root)))
    moved = [tile["path"].replace(str(report["root"]), str(root)) for tile in report["page"].tiles[:2]]
    for index, path in enumerate(moved):
        Path(path).rename(tmp_path / f"moved{index}.png")
    done = run_module("fakeid.report", f"sweeps=[{sweep}]", f"out={tmp_path / 'site'}", f"k={K}", "spectra=false")
    assert done.returncode == 0, done.stderr
    page = Page((tmp_path / "site" / "index.html").read_text())
    missing = [tile for tile in page.tiles if tile["path"] in moved]  # an image can be pictured in two groups
    assert len(missing) >= 2 and len(page.tiles) == 3 * 2 * K
    assert f"fakeid: warning: {len(missing)} of {len(page.tiles)} gallery images are missing from disk" in done.stderr
    assert page.counts["gallery_missing"] == str(len(missing))
    assert (tmp_path / "site" / "index.html").read_text().count('class="missing"') == len(missing)


def test_an_evaluation_folder_is_reported_by_level_and_pictured_at_level_none(tmp_path) -> None:
    sweep, root = make_report_fake_sweep(tmp_path)
    evals = write_fake_evals(tmp_path / "evals", sweep, missing=[("0", "blur_sigma=1.0")])
    for index, evaluation in enumerate(evals.evaluations):  # each scored the source run's images, its own way
        if evaluation.status == "ok":
            scores = pd.read_csv(sweep.path / evaluation.run_dir / "scores.csv")
            metrics = json.loads(evaluation.path.read_text())
            first, extra = metrics["test"][0]["set"], metrics["test"][-1]["set"]  # the extra set: the first's images
            scores = pd.concat([scores, scores[scores["set"] == first].assign(set=extra)], ignore_index=True)
            rng = np.random.default_rng(index)
            scores.assign(score=rng.random(len(scores))).to_csv(evaluation.path.parent / "scores.csv", index=False)
    out = tmp_path / "site"
    done = run_module("fakeid.report", f"sweeps=[{sweep.path},{evals.path}]", f"out={out}", f"k={K}", "spectra=false")
    assert done.returncode == 0, done.stderr[-3000:]
    page = Page((out / "index.html").read_text())
    assert page.headers["per-set-evals"][:2] == ["set", "level"]
    assert {row[1] for row in page.tables["per-set-evals"]} == set(evals.level_ids)
    assert "figures/figR.png" in page.images  # drawn from the evaluation rows
    assert "evaluation folder (fakeid.eval)" in (out / "index.html").read_text()
    eval_tiles = [tile for tile in page.tiles if "/" in tile["run"]]  # an evaluation's run_dir is <run>/<level>
    assert eval_tiles and all(tile["run"].endswith("/none") for tile in eval_tiles)
    assert "run=0 level=blur_sigma=1.0" in (out / "index.html").read_text()  # the missing evaluation is listed


def test_figures_of_other_folders_are_shown_with_their_files(report, tmp_path) -> None:
    drawn = tmp_path / "more" / "calibration"
    drawn.mkdir(parents=True)
    Image.new("RGB", (40, 30), "red").save(drawn / "figC.png")
    (drawn / "figC.csv").write_text("x,y\n1,2\n")
    out = tmp_path / "site"
    done = run_module(
        "fakeid.report", f"sweeps=[{report['sweep']}]", f"out={out}", f"figures=[{tmp_path / 'more'}]", "spectra=false"
    )
    assert done.returncode == 0, done.stderr
    page = Page((out / "index.html").read_text())
    assert "figures/extra-0-more/calibration/figC.png" in page.images and "figC" in page.figures
    assert (out / "figures" / "extra-0-more" / "calibration" / "figC.csv").read_text() == "x,y\n1,2\n"


def test_a_rerun_replaces_an_earlier_report_with_overwrite_and_leaves_no_partial(report, tmp_path) -> None:
    out = tmp_path / "site"
    done = run_module("fakeid.report", f"sweeps=[{report['sweep']}]", f"out={out}", "spectra=false")
    assert done.returncode == 0, done.stderr
    again = run_module("fakeid.report", f"sweeps=[{report['sweep']}]", f"out={out}", "spectra=false")
    assert_one_line_error(again, "exists: pass overwrite=true to replace that earlier report")
    done = run_module("fakeid.report", f"sweeps=[{report['sweep']}]", f"out={out}", "spectra=false", "overwrite=true")
    assert done.returncode == 0, done.stderr
    assert (out / "index.html").is_file() and not list(tmp_path.glob(".site.partial-*"))


@pytest.mark.parametrize(
    "case, expected",
    [
        ("no_results", "expected a sweep folder with multirun.yaml or metrics.json files"),
        ("missing", "no such sweep folder"),
        ("k", "k=0: expected an integer of at least 1"),
        ("spectra", "spectra_per_class=0: expected an integer of at least 1"),
        ("out_taken", "holds other files (expected a new or empty folder, or an earlier report)"),
        ("out_file", "is a file (a folder for the report was expected)"),
        ("figures", "no such folder (a folder of figure PNGs was expected)"),
        ("drawn", "no such folder (a folder python -m fakeid.figures drew into)"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(report, tmp_path, case, expected) -> None:
    sweep, out, extra = report["sweep"], tmp_path / "site", []
    if case == "no_results":  # a folder of a sweep that never ran: nothing to collect
        sweep = tmp_path / "empty_sweep"
        (sweep / "0").mkdir(parents=True)
    elif case == "missing":
        sweep = tmp_path / "nowhere"
    elif case == "k":
        extra = ["k=0"]
    elif case == "spectra":
        extra = ["spectra_per_class=0"]
    elif case == "out_taken":
        out.mkdir()
        (out / "notes.txt").write_text("mine")
    elif case == "out_file":
        out.write_text("a file")
    elif case == "figures":
        extra = [f"figures=[{tmp_path / 'nowhere'}]"]
    elif case == "drawn":
        extra = [f"drawn=[{tmp_path / 'nowhere'}]"]
    before = sorted(tmp_path.rglob("*"))
    done = run_module("fakeid.report", f"sweeps=[{sweep}]", f"out={out}", *extra)
    assert_one_line_error(done, re.escape(expected))
    assert sorted(tmp_path.rglob("*")) == before


def test_the_comparison_section_equals_figure_compare(tmp_path) -> None:
    """A one-variable sweep is compared in the page exactly as `figure=compare` compares it; the two-variable
    sweep of the other tests says in one line why it is not compared."""
    from fakeid.analysis.compare import compare
    from fakeid.analysis.rows import training_rows

    sweep = write_fake_sweep(tmp_path / "dropout", grid={"model.drop_rate": [0.0, 0.5, 0.9], "seed": [0, 1, 2]})
    out = tmp_path / "site"
    done = run_module("fakeid.report", f"sweeps=[{sweep.path}]", f"out={out}", "spectra=false")
    assert done.returncode == 0, done.stderr[-3000:]
    page = Page((out / "index.html").read_text())
    assert done.returncode == 0
    collected = run_module("fakeid.collect", f"sweeps={sweep.path}", f"out={tmp_path / 'results.csv'}")
    assert collected.returncode == 0, collected.stderr
    expected = compare(training_rows(pd.read_csv(tmp_path / "results.csv")), source=str(sweep.path)).table
    shown = page.tables["compare-dropout"]
    assert len(shown) == len(expected) > 0
    assert [float(row[0]) for row in shown] == expected["level"].astype(float).tolist()
    assert [float(row[3]) for row in shown] == pytest.approx(expected["diff"].tolist(), abs=1e-9)
    assert [row[6] == "yes" for row in shown] == expected["supported"].tolist()
    record = json.loads((out / "report.json").read_text())["comparisons"]
    assert record[0]["variable"] == "model.drop_rate" and record[0]["baseline"] == 0.0


def test_a_sweep_of_two_variables_says_why_it_is_not_compared(report) -> None:
    text = (report["out"] / "index.html").read_text()
    assert ">Is the difference real?" in text and "not compared: " in text
