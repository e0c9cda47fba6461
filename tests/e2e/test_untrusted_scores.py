"""Untrusted scores.csv and metrics.json (issue 30, deliverables 4, 5 and 7): every known way a corrupt file bent a
statistic or crashed a command, through the commands a user types.

Each case corrupts one run of a fake sweep with per-image scores (tests/helpers) and checks the exact statistic
it used to bend: collect's per-set interval of that run, the pooled calibration bins and ECE, the paired compare.
The honest value of a pooled statistic is the one computed with the corrupt run's folder deleted: a corrupt run
must weigh exactly as much as a run that is not there. A command pointed at the corrupt file itself (a results
table collected before the file went bad) says so in one line, exit 2.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from fakeid.synth.quick import write_images
from tests.helpers.commands import assert_one_line_error, run_module
from tests.helpers.fake_scores import add_scores
from tests.helpers.fake_sweep import write_fake_sweep
from tests.helpers.report import K, make_report_fake_sweep

GRID = {"model.drop_rate": [0.0, 0.5], "seed": [0, 1, 2]}
BAD = 1  # the job whose scores.csv goes bad: model.drop_rate=0.0 seed=1
N_BOOT = "n_boot=20"


def cut_last_row(text: str) -> str:
    """The file cut short inside its last row, after the path: the label and score are gone."""
    head, last = text.rstrip("\r\n").rsplit("\n", 1)
    return head + "\n" + ",".join(last.split(",")[:2])


def empty_label(text: str) -> str:
    """One label (the first data row's) left empty, the row otherwise intact."""
    lines = text.splitlines(keepends=True)
    cells = lines[1].split(",")
    lines[1] = ",".join([*cells[:2], "", *cells[3:]])
    return "".join(lines)


def score_of(value: str):
    def edit(text: str) -> str:
        lines = text.splitlines(keepends=True)
        cells = lines[1].rstrip("\r\n").split(",")
        lines[1] = ",".join([*cells[:3], value]) + "\n"
        return "".join(lines)

    return edit


CASES = {  # name -> (the edit, what the one line says)
    "truncated last row": (cut_last_row, r"truncated: line \d+ has no line end"),
    "one empty label": (empty_label, r"line 2 \(label ''\): expected a label 0 \(real\) or 1 \(fake\)"),
    "a score of 7.5": (score_of("7.5"), r"line 2 \(score '7.5'\): expected a probability, a number in \[0, 1\]"),
    "a score abc": (score_of("abc"), r"line 2 \(score 'abc'\): expected a probability"),
    "empty": (lambda text: "", r"empty \(expected the header set,path,label,score"),
    "header only": (lambda text: text.splitlines(keepends=True)[0], r"holds the header only"),
}


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scored sweep and the same sweep without job BAD (the honest reference of every pooled statistic)."""
    base = tmp_path_factory.mktemp("untrusted_scores")
    sweep = write_fake_sweep(base / "sweep", grid=GRID)
    add_scores(sweep)
    without = base / "without"
    shutil.copytree(sweep.path, without)
    shutil.rmtree(without / str(BAD))
    collected(without, base / "reference.csv")
    return base


def corrupted(clean: Path, tmp_path: Path, edit) -> Path:
    sweep = tmp_path / "sweep"
    shutil.copytree(clean / "sweep", sweep)
    path = sweep / str(BAD) / "scores.csv"
    path.write_text(edit(path.read_text()))
    return sweep


def collected(sweep: Path, out: Path) -> tuple[pd.DataFrame, str]:
    done = run_module("fakeid.collect", f"sweeps=[{sweep}]", f"out={out}", N_BOOT)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-3000:]
    return pd.read_csv(out, dtype={"run_dir": str}), done.stderr


def figure(kind: str, csv: Path, out: Path, *args: str) -> pd.DataFrame:
    done = run_module("fakeid.figures", f"figure={kind}", f"csv={csv}", f"out={out}", *args)
    assert done.returncode == 0, done.stderr[-3000:]
    return pd.read_csv(out / f"{kind}.csv")


@pytest.mark.parametrize("case", list(CASES))
def test_collect_lists_a_corrupt_run_and_leaves_it_out_of_its_intervals(clean, tmp_path, case) -> None:
    """Used to bend: the run's own `auroc_img_low` (a truncated row moved one from 0.083 to 0.0075), or crash
    (a score `abc`). Now the run is one row, status corrupt, its reason the reader's line, no number in it; every
    other run's row is the one collected without it."""
    edit, reason = CASES[case]
    sweep = corrupted(clean, tmp_path, edit)
    table, stderr = collected(sweep, tmp_path / "results.csv")
    bad = table[table["run_dir"] == str(BAD)]
    assert bad["status"].tolist() == ["corrupt"], "one row, as a failed run has"
    assert bad["error"].str.match(rf"{sweep / str(BAD) / 'scores.csv'}: {reason}").all(), bad["error"].tolist()
    assert bad[["acc", "auroc", "auroc_img_low", "ece", "scores_file"]].isna().all().all()
    assert "1 corrupt (left out)" in stderr and f"  corrupt {BAD} model.drop_rate=0.0 seed=1: " in stderr
    reference = pd.read_csv(clean / "reference.csv", dtype={"run_dir": str})
    others = table[table["run_dir"] != str(BAD)].reset_index(drop=True)
    assert others["error"].isna().all()
    ignored = ["sweep", "scores_file", "error"]  # where the files lie, and an error column with a value or none
    pd.testing.assert_frame_equal(others.drop(columns=ignored), reference.drop(columns=ignored), check_dtype=False)


@pytest.mark.parametrize("case", ["truncated last row", "one empty label", "header only"])
def test_calibration_pools_no_corrupt_run(clean, tmp_path, case) -> None:
    """Used to bend: a bin's fraction of fakes (-9.2e18 after a truncated row) and the ECE (7.7e16 after one
    empty label); a header-only file was a KeyError. Now the bins are those of the sweep without the run."""
    sweep = corrupted(clean, tmp_path, CASES[case][0])
    collected(sweep, tmp_path / "results.csv")
    bins = figure("calibration", tmp_path / "results.csv", tmp_path / "cal", "level=0.0")
    honest = figure("calibration", clean / "reference.csv", tmp_path / "cal_ref", "level=0.0")
    assert bins["fraction_fake"].dropna().between(0, 1).all() and bins["ece"].between(0, 1).all()
    pd.testing.assert_frame_equal(bins, honest)
    assert "1" not in set(bins["runs"].astype(str).str.split("; ").explode())


def test_compare_pairs_no_corrupt_run(clean, tmp_path) -> None:
    """Used to bend: a compare p (0.82 -> 0.98 after one empty label). Now compare.csv is the one of the sweep
    without the run (its seed has one side only, and says so)."""
    sweep = corrupted(clean, tmp_path, empty_label)
    collected(sweep, tmp_path / "results.csv")
    args = ("baseline=0.0", "n_boot=200")
    table = figure("compare", tmp_path / "results.csv", tmp_path / "cmp", *args)
    honest = figure("compare", clean / "reference.csv", tmp_path / "cmp_ref", *args)
    assert table["p"].notna().any()
    pd.testing.assert_frame_equal(table, honest)


@pytest.mark.parametrize("case", ["one empty label", "header only", "a score abc"])
def test_a_file_that_went_bad_after_collect_is_one_line_in_calibration_and_compare(clean, tmp_path, case) -> None:
    """A results table collected while the file was good, then the file corrupted: the reader, not a KeyError or
    int64 garbage, answers."""
    sweep = tmp_path / "sweep"
    shutil.copytree(clean / "sweep", sweep)
    collected(sweep, tmp_path / "results.csv")
    path = sweep / str(BAD) / "scores.csv"
    edit, reason = CASES[case]
    path.write_text(edit(path.read_text()))
    csv = f"csv={tmp_path / 'results.csv'}"
    for args in (("figure=calibration", "level=0.0"), ("figure=compare", "baseline=0.0", "n_boot=50")):
        done = run_module("fakeid.figures", *args, csv, f"out={tmp_path / 'out'}")
        assert_one_line_error(done, rf"{path}: {reason}")


def test_a_valid_looking_edit_is_caught_by_the_digest_and_a_lost_row_by_the_counts(clean, tmp_path) -> None:
    """scores_sha256 ties the file to its metrics.json: a score moved within [0, 1] is caught; a whole row removed
    (line end and all) leaves a file every format check passes, and the record's n_real catches it."""
    sweep = tmp_path / "sweep"
    shutil.copytree(clean / "sweep", sweep)
    for index in (0, BAD):
        record = sweep / str(index) / "metrics.json"
        metrics = json.loads(record.read_text())
        digest = hashlib.sha256((record.parent / "scores.csv").read_bytes()).hexdigest()
        metrics.update(schema_version=2, scores_sha256=digest)
        record.write_text(json.dumps(metrics))
    edited = sweep / "0" / "scores.csv"
    edited.write_text(score_of("0.5")(edited.read_text()))
    lost = sweep / str(BAD) / "scores.csv"
    lines = lost.read_text().splitlines(keepends=True)
    lost.write_text("".join([lines[0], *lines[2:]]))  # the first real image of the first set, gone
    record = json.loads((sweep / str(BAD) / "metrics.json").read_text())
    record.pop("scores_sha256")
    record["schema_version"] = 1  # an older record: no digest, the counts still hold
    (sweep / str(BAD) / "metrics.json").write_text(json.dumps(record))
    table, stderr = collected(sweep, tmp_path / "results.csv")
    errors = dict(zip(table["run_dir"], table["error"], strict=True))
    assert table.loc[table["run_dir"].isin(["0", str(BAD)]), "status"].eq("corrupt").all()
    assert errors["0"] == f"{edited}: differs from the scores_sha256 its metrics.json records (changed since the run)"
    first = record["test"][0]
    assert errors[str(BAD)] == (
        f"{lost}: set {first['set']!r} has {first['n_real'] - 1} real and {first['n_fake']} fake rows; its "
        f"metrics.json records n_real {first['n_real']} and n_fake {first['n_fake']}"
    )
    assert "2 corrupt (left out)" in stderr


def test_a_stripped_digest_of_a_version_2_record_is_corrupt(clean, tmp_path) -> None:
    sweep = tmp_path / "sweep"
    shutil.copytree(clean / "sweep", sweep)
    record = sweep / str(BAD) / "metrics.json"
    record.write_text(json.dumps({**json.loads(record.read_text()), "schema_version": 2}))
    table, _ = collected(sweep, tmp_path / "results.csv")
    assert table.loc[table["run_dir"] == str(BAD), "error"].str.endswith("records no scores_sha256").all()


@pytest.fixture
def report_sweep(tmp_path: Path):
    sweep, root = make_report_fake_sweep(tmp_path)
    return sweep, root


def report(sweep: Path, out: Path):
    return run_module("fakeid.report", f"sweeps=[{sweep}]", f"out={out}", f"k={K}", "spectra=false")


def test_report_lists_corrupt_runs_and_pictures_none_of_them(report_sweep, tmp_path) -> None:
    """Used to crash (an empty file, via the gallery's own unchecked reader; a score `abc`) or picture a score
    of 7.5 as a mistake. Now the report is written, each run is listed as corrupt with its reason, the folder is
    not complete, and no tile comes from them."""
    sweep, _ = report_sweep
    cases = ["empty", "a score abc", "a score of 7.5"]
    bad = [job for job in sweep.jobs if job.status == "ok"][: len(cases)]
    for job, case in zip(bad, cases, strict=True):
        path = job.run_dir / "scores.csv"
        path.write_text(CASES[case][0](path.read_text()))
    done = report(sweep.path, tmp_path / "site")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-3000:]
    written = json.loads((tmp_path / "site" / "report.json").read_text())
    folder = written["folders"][0]
    assert [job["run_dir"] for job in folder["corrupt"]] == [job.run_dir.name for job in bad]
    assert not folder["complete"]
    for job, case, listed in zip(bad, cases, folder["corrupt"], strict=True):
        assert re.match(rf"{job.run_dir / 'scores.csv'}: {CASES[case][1]}", listed["error"]), listed
    picks = written["gallery"]["picks"]
    assert picks and not {job.run_dir.name for job in bad} & {pick["run_dir"] for pick in picks}
    assert all(0 <= pick["score"] <= 1 for pick in picks)
    assert f'id="corrupt-{sweep.path.name}"' in (tmp_path / "site" / "index.html").read_text()


def test_the_gallery_copies_no_file_outside_the_runs_data_root(report_sweep, tmp_path) -> None:
    """A crafted row naming a private photo (absolute, or `..` out of the root) scored as the worst real: listed by
    path, counted, never copied into the report; the images under the root are still pictured."""
    sweep, root = report_sweep
    private = tmp_path / "private"
    private.mkdir()
    photos = []
    for name in ("holiday.png", "passport.png"):
        shutil.copyfile(next((root / "test").rglob("*.png")), private / name)
        photos.append(private / name)
    crafted = [str(photos[0]), f"{root}/test/../../private/passport.png"]
    for job in sweep.jobs:
        if job.status != "ok":
            continue
        path = job.run_dir / "scores.csv"
        frame = pd.read_csv(path)
        first = frame["set"].iloc[0]
        extra = pd.DataFrame({"set": first, "path": crafted, "label": 0, "score": 1.0})
        frame = pd.concat([frame, extra], ignore_index=True)
        frame.to_csv(path, index=False, float_format="%.9g")
        metrics = json.loads((job.run_dir / "metrics.json").read_text())
        entry = next(entry for entry in metrics["test"] if entry["set"] == first)
        entry["n_real"] += len(crafted)  # the record agrees: only the paths are hostile
        (job.run_dir / "metrics.json").write_text(json.dumps(metrics))
    done = report(sweep.path, tmp_path / "site")
    assert done.returncode == 0, done.stderr[-3000:]
    written = json.loads((tmp_path / "site" / "report.json").read_text())
    outside = [pick for pick in written["gallery"]["picks"] if pick["outside"]]
    assert sorted(pick["path"] for pick in outside) == sorted(crafted)
    assert all(pick["thumbnail"] is None for pick in outside) and written["gallery"]["outside"] == 2
    assert f"fakeid: warning: 2 of {len(written['gallery']['picks'])} gallery images lie outside" in done.stderr
    copied = {f"gallery/{path.name}" for path in (tmp_path / "site" / "gallery").iterdir()}
    assert copied == {pick["thumbnail"] for pick in written["gallery"]["picks"] if pick["thumbnail"]} != set()
    html = (tmp_path / "site" / "index.html").read_text()
    assert html.count('class="outside"') == 2 and written["gallery"]["missing"] == 0


def future(run_dir: Path) -> Path:
    path = run_dir / "metrics.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "schema_version": 99}))
    return path


def test_a_record_from_a_newer_fakeid_is_counted_apart_and_never_complete(report_sweep, tmp_path) -> None:
    """Used to read as if known: collect "4 ok", report "complete". Now collect and report count it apart."""
    sweep, _ = report_sweep
    newer = next(job for job in sweep.jobs if job.status == "ok")
    path = future(newer.run_dir)
    line = f"{path}: written by a newer fakeid (schema_version 99; this fakeid reads up to 2)"
    table, stderr = collected(sweep.path, tmp_path / "results.csv")
    assert table.loc[table["run_dir"] == newer.run_dir.name, ["status", "error"]].values.tolist() == [["newer", line]]
    assert "1 of a newer fakeid (not read)" in stderr and f"  newer   {newer.run_dir.name}: {line}" in stderr
    assert f"not in the grid: {newer.run_dir.name}" not in stderr
    done = report(sweep.path, tmp_path / "site")
    assert done.returncode == 0, done.stderr[-3000:]
    folder = json.loads((tmp_path / "site" / "report.json").read_text())["folders"][0]
    assert folder["newer"] == [{"run_dir": newer.run_dir.name, "error": line}] and not folder["complete"]


def test_a_record_from_a_newer_fakeid_is_one_line_where_a_command_reads_one_run(tmp_path) -> None:
    """eval and predict on a run whose metrics.json is from a newer fakeid: refused before anything is loaded."""
    sweep = write_fake_sweep(tmp_path / "sweep", grid={"seed": [0]})
    path = future(sweep.jobs[0].run_dir)
    write_images(tmp_path / "in", 1, 16, False, seed=0)
    for module, args in (
        ("fakeid.eval", (f"run={sweep.jobs[0].run_dir}", f"hydra.run.dir={tmp_path / 'eval'}")),
        ("fakeid.predict", (f"run={sweep.jobs[0].run_dir}", f"input={tmp_path / 'in'}", f"out={tmp_path / 'p.csv'}")),
    ):
        done = run_module(module, *args)
        assert_one_line_error(
            done, rf"{path}: written by a newer fakeid \(schema_version 99; this fakeid reads up to 2"
        )
