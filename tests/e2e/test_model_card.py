"""`fakeid.export` writes MODEL_CARD.md beside the detector, in Hugging Face's model card structure, and its
essentials into the file's metadata: every number equals the run's metrics.json; a run trained on the synthetic
benchmark says so first."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from fakeid.analysis.model_card import CARD_FILE, CARD_METRICS, SYNTHETIC_LINE
from fakeid.runs.record import read_record
from fakeid.synth import generate
from tests.helpers.commands import assert_one_line_error, run_module, train_tiny_run

onnx = pytest.importorskip("onnx", reason="the export extra is not installed (pip install -e '.[export]')")


def export(run: Path, out: Path, *extra: str) -> tuple[str, dict[str, str]]:
    """The card's text and the ONNX file's metadata after `fakeid.export run=RUN format=onnx out=OUT`."""
    done = run_module("fakeid.export", f"run={run}", "format=onnx", f"out={out}", "check=false", *extra)
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"wrote {out.parent / CARD_FILE}" in done.stdout
    props = {p.key: p.value for p in onnx.load(str(out)).metadata_props}
    return (out.parent / CARD_FILE).read_text(), props


def front_matter(card: str) -> dict:
    assert card.startswith("---\n")
    return yaml.safe_load(card.split("---\n")[1])


@pytest.mark.slow
def test_the_card_numbers_equal_metrics_json(discriminating_run, tmp_path):
    run = discriminating_run.run
    card, props = export(run, tmp_path / "detector.onnx")
    record = read_record(run)
    entries = {entry["set"]: entry for entry in record.test}
    (model,) = front_matter(card)["model-index"]
    assert {result["dataset"]["name"] for result in model["results"]} == set(entries)
    for result in model["results"]:
        entry = entries[result["dataset"]["name"]]
        assert {metric["name"]: metric["value"] for metric in result["metrics"]} == {k: entry[k] for k in CARD_METRICS}
    # the same numbers in the exported file's metadata, and the table's cells rounded from them
    assert json.loads(props["fakeid.card.results"]) == [
        {"set": e["set"], **{k: e[k] for k in CARD_METRICS}} for e in record.test
    ]
    for entry in record.test:
        (row,) = [line for line in card.splitlines() if line.startswith(f"| {entry['set']} |")]
        assert row.split(" | ")[1].startswith(f"{entry['acc']:.3f} [")  # with its interval
    assert repr(record.threshold) in card and "balanced accuracy on the validation scores" in card
    assert json.loads(props["fakeid.card.training_data"])["kind"] == "real"
    assert SYNTHETIC_LINE not in card and "synthetic" not in props["fakeid.card.summary"]
    for section in (
        "## Training data",
        "## Evaluation",
        "## Known failure modes",
        "## Intended use",
        "## Out-of-scope",
    ):
        assert section in card


@pytest.mark.slow
def test_a_synthetic_run_says_so_in_the_first_line(tmp_path):
    root = generate(tmp_path / "data", preset="tiny", seed=0, progress=False)
    run = train_tiny_run(tmp_path, root, "trainer.max_epochs=1")
    card, props = export(run, tmp_path / "exported" / "detector.onnx")
    head, body = card.split("\n---\n", 1)
    assert head.splitlines()[1].startswith("# Trained on fakeid's embedded synthetic benchmark")
    assert body.splitlines()[0] == SYNTHETIC_LINE
    assert json.loads(props["fakeid.card.synthetic"]) is True and "synthetic" in props["fakeid.card.summary"]
    assert "synthetic-benchmark" in front_matter(card)["tags"]
    # sets where this one-epoch detector is at chance are named as its failure modes
    failures = json.loads(props["fakeid.card.failure_modes"])
    assert all(f"- {mode}" in card for mode in failures)


@pytest.mark.slow
def test_a_bare_checkpoint_gets_no_card(discriminating_run, tmp_path):
    ckpt = tmp_path / "tested.ckpt"
    shutil.copy(discriminating_run.run / "checkpoints" / "tested.ckpt", ckpt)
    done = run_module("fakeid.export", f"ckpt={ckpt}", "format=onnx", f"out={tmp_path / 'd.onnx'}", "check=false")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "no model card" in done.stdout and not (tmp_path / CARD_FILE).exists()


@pytest.mark.slow
def test_a_second_export_into_the_folder_never_replaces_another_card_unasked(discriminating_run, tmp_path):
    """The card beside out= follows out='s rule: an existing MODEL_CARD.md with other text (another run's, or the
    user's own) is replaced only with overwrite=true, and the refusal comes before anything is written; the same
    run's card (its other format exported beside it) is the same text and needs no flag."""
    card, _ = export(discriminating_run.run, tmp_path / "first.onnx")
    assert export(discriminating_run.run, tmp_path / "first-again.onnx")[0] == card  # the same card: no refusal
    card = card + "\nThe user's own notes.\n"
    (tmp_path / CARD_FILE).write_text(card)
    second = tmp_path / "second.onnx"
    done = run_module("fakeid.export", f"run={discriminating_run.run}", "format=onnx", f"out={second}", "check=false")
    assert done.returncode == 2 and not second.exists()
    assert_one_line_error(done, re.escape(f"the model card {tmp_path / CARD_FILE} exists: pass overwrite=true"))
    assert (tmp_path / CARD_FILE).read_text() == card
    export(discriminating_run.run, second, "overwrite=true")
