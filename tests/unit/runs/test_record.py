"""What identifies a finished run (the config hash), and metrics.json: its one writer and its one reader."""

import json
import pickle

import pytest

from fakeid.core.errors import FakeidError
from fakeid.runs.identity import config_hash
from fakeid.runs.record import (
    RECORD_KEYS,
    SCHEMA_VERSION,
    UNSET,
    NewerRecord,
    RunRecord,
    UnreadableRecord,
    read_record,
    write_record,
)

BASE = {
    "data.num_categories": 3,
    "model.drop_rate": 0.3,
    "seed": 1,
    "data.num_workers": 4,
    "trainer.enable_progress_bar": True,
    "paths.outputs": "outputs",
    "version.torch": "2.14.1",
}


def test_hash_follows_the_experiment_not_where_or_how_fast_it_runs():
    same = {**BASE, "data.num_workers": 0, "paths.outputs": "/elsewhere", "version.torch": "2.15.0"}
    assert config_hash(same) == config_hash(BASE)
    for key, value in (("model.drop_rate", 0.4), ("seed", 2), ("data.num_categories", 4)):
        assert config_hash({**BASE, key: value}) != config_hash(BASE), key


def test_a_new_record_is_written_atomically_with_the_keys_a_run_starts_with(tmp_path):
    record = RunRecord(hparams=dict(BASE), overrides=["seed=1"], config_hash=config_hash(BASE))
    write_record(tmp_path, record)
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"], "no temporary file is left behind"
    written = json.loads((tmp_path / "metrics.json").read_text())
    # the keys fakeid wrote before the record was versioned, in the same order, schema_version first
    assert list(written) == [
        "schema_version",
        "status",
        "error",
        "hparams",
        "overrides",
        "config_hash",
        "threshold",
        "wall_time_s",
        "test",
    ]
    assert written["schema_version"] == SCHEMA_VERSION == 2
    assert written["status"] == "failed" and written["error"] is None and written["test"] == []
    assert read_record(tmp_path) == record


def test_keys_set_later_take_their_place_and_null_is_not_absent(tmp_path):
    record = RunRecord(kind="eval", source={"run": None, "ckpt": "x.ckpt"}, perturbation=None)
    record.error_log = "no error.log: disk full"
    record.tested_checkpoint = None
    record.data_identity = {"root": "/data", "fingerprint": "f"}
    written = record.to_dict()
    assert list(written) == [
        "schema_version",
        "status",
        "error",
        "kind",
        "source",
        "perturbation",
        "hparams",
        "overrides",
        "config_hash",
        "threshold",
        "wall_time_s",
        "test",
        "data_identity",
        "tested_checkpoint",
        "error_log",
    ]
    assert written["perturbation"] is None and written["tested_checkpoint"] is None
    assert "timing" not in written and "data" not in written


def test_a_file_reads_back_exactly_unknown_and_absent_keys_included(tmp_path):
    """Nothing an older fakeid wrote, or a key this one does not know, is lost or added by reading and writing it
    again; a file of a newer fakeid is refused (tests/e2e/test_untrusted_scores.py has the commands)."""
    payload = {"status": "ok", "from_the_future": {"a": 1}, "threshold": 0.25, "test": [], "zzz": None}
    (tmp_path / "metrics.json").write_text(json.dumps(payload))
    record = read_record(tmp_path)
    assert record.schema_version == 0, "a file without schema_version is version 0"
    assert record.status == "ok" and record.threshold == 0.25
    assert record.hparams is UNSET and record.error is UNSET and not record.hparams
    assert record.unknown == {"from_the_future": {"a": 1}, "zzz": None}
    assert record.to_dict() == payload and list(record.to_dict()) == ["status", "threshold", "test", *record.unknown]
    versioned = {"schema_version": SCHEMA_VERSION, **payload}
    (tmp_path / "metrics.json").write_text(json.dumps(versioned))
    assert read_record(tmp_path / "metrics.json").to_dict() == versioned, "a path reads as its folder does"


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize("version", [SCHEMA_VERSION + 1, 99])
def test_a_record_of_a_newer_fakeid_is_refused_in_one_line_strict_or_not(tmp_path, version, strict):
    """Read as missing (None), a newer run's folder would be written over; read as known, its keys misread."""
    path = tmp_path / "metrics.json"
    path.write_text(json.dumps({"schema_version": version, "status": "ok", "test": []}))
    with pytest.raises(NewerRecord) as raised:
        read_record(tmp_path, strict=strict)
    assert str(raised.value) == (
        f"{path}: written by a newer fakeid (schema_version {version}; this fakeid reads up to {SCHEMA_VERSION})"
    )


@pytest.mark.parametrize("version", ["2", 1.5, True, -1, None])
def test_a_schema_version_that_is_not_a_whole_number_is_one_line(tmp_path, version):
    path = tmp_path / "metrics.json"
    path.write_text(json.dumps({"schema_version": version, "status": "ok"}))
    with pytest.raises(FakeidError, match=r"schema_version .*: expected a whole number from 0 to 2$"):
        read_record(tmp_path)


@pytest.mark.parametrize(
    "content",
    [None, "", '{"status": "ok", "hpar', "[1, 2]", '"ok"', b"\xff\xfe\x00garbage"],
    ids=["missing", "empty", "truncated", "a list", "a string", "not text"],
)
def test_a_missing_or_corrupt_file_is_none_or_one_line_naming_it(tmp_path, content):
    path = tmp_path / "metrics.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    assert read_record(tmp_path) is None
    with pytest.raises(UnreadableRecord) as raised:
        read_record(tmp_path, strict=True)
    message = str(raised.value)
    assert message.startswith(f"{path}: ") and "\n" not in message
    assert ("unreadable metrics.json" in message) != ("expected a JSON object" in message)


def test_unset_is_one_value_falsy_never_written_and_survives_pickling():
    assert not UNSET and repr(UNSET) == "UNSET"
    assert pickle.loads(pickle.dumps(UNSET)) is UNSET
    record = RunRecord()
    for name in RECORD_KEYS:
        setattr(record, name, UNSET)
    assert record.to_dict() == {"schema_version": SCHEMA_VERSION}
