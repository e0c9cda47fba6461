"""metrics.json files written by fakeid before the record was versioned (commit 88b4e21: schema version 0),
read by today's fakeid. They lie in tests/data/legacy_metrics/<name>/metrics.json, as 88b4e21 wrote them but
for their `test` lists, cut to the first 3 entries (the other keys untouched):

- train_ok: `make demo`'s sweep `demo_categories`, job `data.num_categories=2,seed=0`: an ok training run with
  `timing` and `keep_checkpoints=none` (`tested_checkpoint` null).
- train_augment: `python -m fakeid.train data=demo model=demo augment=blur_jpeg data.num_categories=1
  data.train_per_class=16 data.val_per_class=8 data.test_per_class=4 trainer.max_epochs=1` on make demo's data:
  ok, with the training augmentation's `augment.*` hparams, `timing` and a tested checkpoint.
- train_failed: the same command without `augment=blur_jpeg` and with `model.name=resnet50.no_such_tag`:
  failed before training (`error`, `test: []`, no `data` or `timing`).
- eval_jpeg: `python -m fakeid.eval run=<train_augment's folder> perturb=jpeg`: an evaluation (`kind`, `source`,
  `perturbation`; a single evaluation records no `data_identity`).

`collected_by_88b4e21.csv` beside them is the table 88b4e21's collector made of the four folders
(`tidy(load_runs([legacy_metrics]))`, written by its `write_results`), its `sweep` column set to
`legacy_metrics` (the folder's path on the machine that made it).
"""

import json
from pathlib import Path

import pandas as pd
import pytest

from fakeid.analysis import collect
from fakeid.benchmark.demo import sweep_timing
from fakeid.evaluation.runner import NO_WEIGHTS, sweep_jobs
from fakeid.runs.failures import folder_failure
from fakeid.runs.record import SCHEMA_VERSION, UNSET, read_record, write_record

LEGACY = Path(__file__).resolve().parents[2] / "data" / "legacy_metrics"
NAMES = ("train_ok", "train_augment", "train_failed", "eval_jpeg")


def legacy(name: str) -> dict:
    return json.loads((LEGACY / name / "metrics.json").read_text())


@pytest.mark.parametrize("name", NAMES)
def test_a_legacy_file_reads_as_it_was_written_and_writes_back_with_only_schema_version_added(name, tmp_path):
    payload = legacy(name)
    record = read_record(LEGACY / name)
    assert record.schema_version == 0 and record.unknown == {}, "every key 88b4e21 wrote is a field"
    assert record.to_dict() == payload and list(record.to_dict()) == list(payload)
    record.schema_version = SCHEMA_VERSION
    write_record(tmp_path, record)
    text = (tmp_path / "metrics.json").read_text()
    assert list(json.loads(text)) == ["schema_version", *payload]
    assert text == json.dumps({"schema_version": SCHEMA_VERSION, **payload}, indent=2)


def test_the_fields_of_the_legacy_files():
    ok, augment, failed, evaluated = (read_record(LEGACY / name) for name in NAMES)
    assert ok.status == "ok" and ok.kind is UNSET and ok.tested_checkpoint is None
    assert ok.timing["train_images"] == 800 and len(ok.test) == 3 and ok.data_identity["fingerprint"]
    assert augment.hparams["augment.name"] == "blur_jpeg" and augment.tested_checkpoint.endswith("tested.ckpt")
    assert failed.status == "failed" and failed.error.startswith("FakeidError: model.name=resnet50.no_such_tag")
    assert failed.test == [] and failed.data is UNSET and failed.timing is UNSET
    assert evaluated.kind == "eval" and evaluated.perturbation == {"name": "jpeg", "quality": 75}
    assert evaluated.source["config_hash"] == augment.config_hash and evaluated.data_identity is UNSET
    assert all(entry["perturbation"] == evaluated.perturbation for entry in evaluated.test)


def test_collect_makes_the_rows_it_made_before(tmp_path):
    df = collect.tidy(collect.load_runs([LEGACY]))
    assert set(df["sweep"]) == {str(LEGACY)}
    df["sweep"] = "legacy_metrics"
    now = collect.read_results(collect.write_results(df, tmp_path / "results.csv"))
    before = collect.read_results(LEGACY / "collected_by_88b4e21.csv")
    pd.testing.assert_frame_equal(now, before)
    assert sorted(set(now["run_dir"])) == sorted(NAMES) and len(now) == 3 + 3 + 1 + 3


def test_the_other_readers_read_the_legacy_files():
    """Sweep status, the grid's list of source runs and make demo's timing read the same files."""
    assert folder_failure(LEGACY / "train_ok") is None and folder_failure(LEGACY / "eval_jpeg") is None
    failed = folder_failure(LEGACY / "train_failed")
    assert failed is not None and failed.reason.startswith("FakeidError: model.name=resnet50.no_such_tag")
    assert failed.where == f"error in {LEGACY / 'train_failed' / 'metrics.json'}"  # there is no error.log
    assert sorted(sweep_jobs(LEGACY)) == [("train_augment", "ok"), ("train_failed", "failed"), ("train_ok", NO_WEIGHTS)]
    timing = sweep_timing(LEGACY, started=0.0)
    assert timing["runs"] == 2 and timing["without_timing"] == 2 and timing["failed"] == 0
    assert (
        timing["train_images"]
        == legacy("train_ok")["timing"]["train_images"] + legacy("train_augment")["timing"]["train_images"]
    )
