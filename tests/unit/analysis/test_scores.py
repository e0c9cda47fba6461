"""fakeid.analysis.scores.read_scores, the one reader of scores.csv: each check of its docstring on a file that fails
only that check, and the writer's digest read back (fakeid.evaluation.scored_sets.write_scores)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from fakeid.analysis.scores import CorruptScores, ScoresMemo, read_scores
from fakeid.data.selection import TestSelection as Selection
from fakeid.evaluation.scored_sets import ScoredSet, write_scores
from fakeid.runs.record import RunRecord, read_record, write_record

GOOD = "set,path,label,score\r\na,r.png,0,0.25\r\na,f.png,1,0.75\r\nb,r.png,0,0\r\nb,f.png,1,1\r\n"
ONE = {"n_real": 1, "n_fake": 1}
RECORD = {"status": "ok", "test": [{"set": "a", "n_real": 1, "n_fake": 1}, {"set": "b", "n_real": 1, "n_fake": 1}]}


def written(tmp_path: Path, text: str | bytes, record: dict | None = None) -> Path:
    path = tmp_path / "scores.csv"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    if record is not None:
        (tmp_path / "metrics.json").write_text(json.dumps(record))
    return path


def test_a_good_file_reads_per_set_sorted_by_path(tmp_path) -> None:
    per_set = read_scores(written(tmp_path, GOOD, RECORD))
    assert list(per_set) == ["a", "b"]
    assert per_set["a"].paths == ("f.png", "r.png") and per_set["a"].labels.tolist() == [1, 0]
    assert per_set["a"].scores.tolist() == [0.75, 0.25] and per_set["a"].labels.dtype == np.int64


BAD = {
    "empty": ("", "empty (expected the header set,path,label,score and a row per image)"),
    "not text": (b"\xff\xfe\x00", "not a CSV table of text (UnicodeDecodeError)"),
    "a column lacking": ("set,path,score\na,r.png,0.5\n", "expected columns set, path, label, score; lacks label"),
    "header only": ("set,path,label,score\r\n", "holds the header only (expected a row per image)"),
    "truncated in a score": (GOOD[:-3], "truncated: line 5 has no line end (the file was cut short)"),
    "truncated after a path": (GOOD[: GOOD.rindex("f.png") + 5], "truncated: line 5 has no line end"),
    "a short row": (GOOD.replace("a,f.png,1,0.75", "a,f.png,1"), "line 3 has 3 fields; the header has 4"),
    "a long row": (GOOD.replace("a,f.png,1,0.75", "a,f.png,1,0.75,x"), "line 3 has 5 fields; the header has 4"),
    "a blank line": (GOOD.replace("\r\nb,r", "\r\n\r\nb,r"), "line 4 has 0 fields; the header has 4"),
    "an empty label": (GOOD.replace("a,f.png,1", "a,f.png,"), "line 3 (label ''): expected a label 0 (real) or 1"),
    "a label 2": (GOOD.replace("a,f.png,1", "a,f.png,2"), "line 3 (label '2'): expected a label 0 (real) or 1"),
    "a label 1.0": (GOOD.replace("a,f.png,1", "a,f.png,1.0"), "line 3 (label '1.0'): expected a label"),
    "a score abc": (GOOD.replace("0.75", "abc"), "line 3 (score 'abc'): expected a probability, a number in [0, 1]"),
    "a score 7.5": (GOOD.replace("0.75", "7.5"), "line 3 (score '7.5'): expected a probability"),
    "a score -0.1": (GOOD.replace("0.75", "-0.1"), "line 3 (score '-0.1'): expected a probability"),
    "a score nan": (GOOD.replace("0.75", "nan"), "line 3 (score 'nan'): expected a probability"),
    "a score inf": (GOOD.replace("0.75", "inf"), "line 3 (score 'inf'): expected a probability"),
    "an empty score": (GOOD.replace("0.75", ""), "line 3 (score ''): expected a probability"),
    "a path twice": (GOOD.replace("b,r.png,0,0", "a,r.png,0,0"), "line 4 (path 'r.png'): path listed twice in set 'a'"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_each_bad_file_is_one_line_naming_it_and_what_is_wrong(tmp_path, case) -> None:
    text, reason = BAD[case]
    path = written(tmp_path, text)
    with pytest.raises(CorruptScores) as raised:
        read_scores(path)
    assert str(raised.value).startswith(f"{path}: {reason}") and "\n" not in str(raised.value)
    assert raised.value.reason.startswith(reason)


def test_the_same_path_in_two_sets_is_not_a_duplicate(tmp_path) -> None:
    assert read_scores(written(tmp_path, GOOD, RECORD))["b"].paths == ("f.png", "r.png")


@pytest.mark.parametrize(
    "record, reason",
    [
        ({**RECORD, "test": [{**ONE, "set": "a", "n_real": 2}, RECORD["test"][1]]}, "set 'a' has 1 real and 1 fake"),
        ({**RECORD, "test": RECORD["test"][:1]}, "set 'b': metrics.json does not list it, scores.csv has it"),
        (
            {**RECORD, "test": [*RECORD["test"], {**ONE, "set": "c"}]},
            "set 'c': metrics.json lists it, scores.csv lacks",
        ),
        ({**RECORD, "scores_sha256": "0" * 64}, "differs from the scores_sha256 its metrics.json records"),
        ({**RECORD, "schema_version": 2}, "its metrics.json (schema_version 2 or later) records no scores_sha256"),
    ],
    ids=["a count", "a set the record lacks", "a set the file lacks", "the digest", "a version-2 record lacks one"],
)
def test_the_record_beside_the_file_holds_its_counts_and_digest(tmp_path, record, reason) -> None:
    path = written(tmp_path, GOOD, record)
    with pytest.raises(CorruptScores) as raised:
        read_scores(path)
    assert str(raised.value).startswith(f"{path}: {reason}")
    if "scores_sha256" in record:  # the file as written passes
        good = {**record, "schema_version": 2, "scores_sha256": hashlib.sha256(GOOD.encode()).hexdigest()}
        assert set(read_scores(written(tmp_path, GOOD, good))) == {"a", "b"}


def test_a_failed_record_or_none_checks_the_format_only(tmp_path) -> None:
    assert set(read_scores(written(tmp_path, GOOD, {"status": "failed", "test": []}))) == {"a", "b"}
    (tmp_path / "metrics.json").unlink()
    assert set(read_scores(written(tmp_path, GOOD))) == {"a", "b"}


def test_the_writer_returns_the_digest_that_the_reader_checks(tmp_path) -> None:
    selection = Selection("progan/cat", [Path("x/0.png"), Path("x/1.png")], [0, 1])
    scored = ScoredSet(selection, torch.tensor([0.125, 0.875]), torch.tensor([0, 1]))
    digest = write_scores(tmp_path / "scores.csv", [scored])
    assert digest == hashlib.sha256((tmp_path / "scores.csv").read_bytes()).hexdigest()
    record = RunRecord(status="ok", scores_sha256=digest, test=[{"set": "progan/cat", "n_real": 1, "n_fake": 1}])
    write_record(tmp_path, record)
    assert read_record(tmp_path).scores_sha256 == digest
    assert read_scores(tmp_path / "scores.csv")["progan/cat"].scores.tolist() == [0.125, 0.875]
    with open(tmp_path / "scores.csv", "a") as handle:  # one row more, in the format: the digest catches it
        handle.write("progan/cat,x/2.png,0,0.5\r\n")
    with pytest.raises(CorruptScores, match="differs from the scores_sha256"):
        read_scores(tmp_path / "scores.csv")


def test_a_file_read_again_is_parsed_once_and_a_changed_one_again(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr("fakeid.analysis.scores.MEMO", memo := ScoresMemo())
    path = written(tmp_path, GOOD, RECORD)
    first = read_scores(path)
    first["a"].scores[0] = 0.5  # a caller writing into its arrays changes no later read
    again = read_scores(path)
    assert memo.hits == 1 and again["a"].scores.tolist() == [0.75, 0.25] and again["a"].paths == first["a"].paths
    # rewritten in place at the same size (the same inode, maybe the same mtime): one score differs, it is read
    path.write_text(GOOD.replace("0.75", "0.85"))
    assert read_scores(path)["a"].scores.tolist() == [0.85, 0.25] and memo.hits == 1
    # the record is checked on every read: an edited metrics.json is seen though the scores were kept
    (tmp_path / "metrics.json").write_text(json.dumps({**RECORD, "scores_sha256": "0" * 64}))
    with pytest.raises(CorruptScores, match="differs from the scores_sha256"):
        read_scores(path)
    assert memo.hits == 2
    # a bad file keeps nothing; the memo stops adding at its budget
    (tmp_path / "bad").mkdir()
    bad, kept = written(tmp_path / "bad", BAD["a score nan"][0]), len(memo.parsed)
    for _ in range(2):
        with pytest.raises(CorruptScores):
            read_scores(bad)
    assert len(memo.parsed) == kept and memo.hits == 2
    small = ScoresMemo(budget=len(GOOD) - 1)
    small.parse(path), small.parse(path)
    assert small.hits == 0 and not small.parsed


def test_runs_scored_on_the_same_images_share_one_string_per_path(tmp_path) -> None:
    """Every run of a study is scored on the same test images: two runs' kept paths are the same strings, not a
    copy each (4.8 MiB a run of the paper's shape before; BENCHMARKS.md, the report's memory)."""
    memo = ScoresMemo()
    runs = []
    for name, text in (("one", GOOD), ("two", GOOD.replace("0.75", "0.65"))):
        (tmp_path / name).mkdir()
        path = written(tmp_path / name, text)
        runs.append(memo.parse(path))
    first, second = (run.sets["a"].paths for run in runs)
    assert first == second == ("f.png", "r.png") and all(a is b for a, b in zip(first, second, strict=True))
