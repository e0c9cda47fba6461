"""The model card `fakeid.export` writes beside every exported detector (`MODEL_CARD.md`), and its essentials
for the exported file's metadata.

A released forensic detector accuses or clears images, so the document beside it says what it was trained on,
how it was evaluated, where it fails and what it is not for, in the structure of Hugging Face model cards (YAML
front matter with `model-index` results, then sections). Every number is the run's metrics.json, copied, never
recomputed; the 95 % intervals come from the run's scores.csv, as `fakeid.collect` computes them (Wilson for
accuracy, the stratified bootstrap for AP and AUROC; ECE's by the same resampling of the images). It lives in
`analysis`, not `inference`, because the intervals are the statistics' (fakeid.analysis.bootstrap).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from fakeid.analysis.bootstrap import seed_sequence, set_intervals, stratified_resamples
from fakeid.analysis.scores import read_scores
from fakeid.core.atomic import write_text_atomically
from fakeid.core.metric_names import INTERVAL_METRICS
from fakeid.evaluation.metrics import ece
from fakeid.inference.metadata import INPUT_DOC, OUTPUT_DOC, PREFIX
from fakeid.runs.files import SCORES_FILE
from fakeid.runs.record import MAX_DEPTH, RunRecord, find_metrics_files, given, read_record
from fakeid.runs.trained import TrainedDetector

CARD_FILE = "MODEL_CARD.md"
CARD_METRICS = (*INTERVAL_METRICS, "ece")  # the evaluation table's columns, each with its interval
HF_METRIC_TYPES = {
    "acc": "accuracy",
    "ap": "average_precision",
    "auroc": "roc_auc",
    "ece": "expected_calibration_error",
}
N_BOOT, BOOTSTRAP_SEED, CONFIDENCE = 2000, 0, 0.95  # as fakeid.collect's intervals
SYNTHETIC_LINE = (
    "**Trained on fakeid's embedded synthetic benchmark (procedural images), not on real photographs or real "
    "GAN output: a demonstration of the pipeline, not a detector for real images.**"
)
INTENDED = (
    "Research on the generalisation of GAN-image detectors (Lee & Park 2021's protocol): scoring images as real "
    "or GAN-generated under this card's input contract and threshold, on content and generators like "
    "those of the evaluation table, and reading a score as evidence to weigh with others."
)
OUT_OF_SCOPE = (
    "Deciding alone whether an image is authentic in any forensic, legal, journalistic or moderation decision; "
    "images from generators, content, sizes or compression unlike the training data (diffusion models, "
    "re-compressed social-media copies, edited photographs) without evaluating it there first; reading the "
    "score as a calibrated probability where the ECE below is large."
)


@dataclass
class ModelCard:
    """What the card says, gathered once: the markdown and the ONNX metadata are two views of it."""

    title: str
    synthetic: bool
    record: RunRecord
    trained: TrainedDetector
    model_name: str
    intervals: dict[str, dict[str, tuple[float, float]]] = field(default_factory=dict)  # set -> metric -> (lo, hi)
    robustness: list[dict[str, Any]] = field(default_factory=list)  # one row per evaluated perturbation and set

    def results(self) -> list[dict[str, Any]]:
        """Per test set, the card's metrics as metrics.json holds them (None where it holds none)."""
        return [
            {"set": entry["set"], **{name: finite(entry.get(name)) for name in CARD_METRICS}}
            for entry in given(self.record.test, []) or []
        ]

    def at_chance(self) -> list[str]:
        """Test sets whose AUROC interval reaches 0.5 (or whose AUROC is at most 0.5 without an interval)."""
        sets = []
        for row in self.results():
            low = self.intervals.get(row["set"], {}).get("auroc", (math.nan, math.nan))[0]
            if (not math.isnan(low) and low <= 0.5) or (math.isnan(low) and (row["auroc"] or 0.5) <= 0.5):
                sets.append(row["set"])
        return sets

    def data_summary(self) -> dict[str, Any]:
        hparams = given(self.record.hparams, {}) or {}
        data = given(self.record.data, {}) or {}
        identity = given(self.record.data_identity, {}) or {}
        tests = {entry["set"]: (entry.get("generator"), entry.get("category")) for entry in given(self.record.test, [])}
        return {
            "kind": "synthetic" if self.synthetic else "real",
            "root": identity.get("root") or hparams.get("data.root"),
            "fingerprint": identity.get("fingerprint"),
            "categories": hparams.get("data.categories_used") or self.trained.categories_used or [],
            "train_generator": hparams.get("data.train_generator") or self.trained.train_generator,
            "test_generators": sorted({g for g, _ in tests.values() if g}),
            "train": {k: (data.get("train") or {}).get(k) for k in ("n_real", "n_fake")},
            "val": {k: (data.get("val") or {}).get(k) for k in ("n_real", "n_fake")},
        }

    def metadata(self) -> dict[str, str]:
        """The card's essentials as `fakeid.card.*` metadata of the exported file (strings, as ONNX wants)."""
        values = {
            "summary": self.summary(),
            "synthetic": json.dumps(self.synthetic),
            "training_data": json.dumps(self.data_summary()),
            "results": json.dumps(self.results()),
            "threshold_rule": THRESHOLD_RULE,
            "failure_modes": json.dumps(self.failure_modes()),
            "intended_use": INTENDED,
            "out_of_scope": OUT_OF_SCOPE,
        }
        return {f"{PREFIX}card.{key}": value for key, value in values.items()}

    def summary(self) -> str:
        kind = "fakeid's synthetic benchmark, not real images" if self.synthetic else "real images"
        return f"{self.model_name} real-vs-GAN image detector, fakeid run {self.record.config_hash}, trained on {kind}"

    def failure_modes(self) -> list[str]:
        modes = [f"{name}: not told from chance (its AUROC's 95 % interval reaches 0.5)" for name in self.at_chance()]
        data = given(self.record.data, {}) or {}
        modes += [f"training data: {warning}" for warning in data.get("warnings") or []]
        return modes

    def front_matter(self) -> dict[str, Any]:
        """Hugging Face's model card metadata: `model-index` with one result per test set."""
        results = []
        for row in self.results():
            metrics = [
                {"type": HF_METRIC_TYPES[name], "name": name, "value": row[name]}
                for name in CARD_METRICS
                if row[name] is not None
            ]
            results.append(
                {
                    "task": {"type": "image-classification", "name": "real vs GAN-generated image detection"},
                    "dataset": {"name": row["set"], "type": self.data_summary()["kind"], "split": "test"},
                    "metrics": metrics,
                }
            )
        tags = ["image-forensics", "gan-detection", "fakeid"] + (["synthetic-benchmark"] if self.synthetic else [])
        return {
            "library_name": "fakeid",
            "pipeline_tag": "image-classification",
            "tags": tags,
            "model-index": [{"name": self.title, "results": results}],
        }

    def markdown(self) -> str:
        body = yaml.safe_dump(self.front_matter(), sort_keys=False, allow_unicode=True).rstrip("\n")
        header = [SYNTHETIC_LINE, ""] if self.synthetic else []
        data = self.data_summary()
        threshold = self.trained.threshold
        lines = [
            *header,
            f"# Model card: {self.title}",
            "",
            f"{self.summary()}.",
            "",
            "## Model",
            "",
            f"- architecture: `{self.model_name}` (timm backbone, fakeid's dropout head, one logit), "
            f"dropout {given(self.record.hparams, {}).get('model.drop_rate')}",
            f"- input: {INPUT_DOC}; trained at {self.trained.image_size} x {self.trained.image_size}",
            f"- output: {OUTPUT_DOC}",
            f"- fakeid run: config hash `{self.record.config_hash}`, weights `{self.trained.checkpoint.name}`",
            "",
            "## Training data",
            "",
            f"- kind: **{data['kind']}**; root `{data['root']}`, fingerprint `{data['fingerprint']}`",
            f"- categories ({len(data['categories'])}): {', '.join(data['categories']) or 'unknown'}",
            f"- generator: {data['train_generator']}; test generators: {', '.join(data['test_generators']) or '-'}",
            f"- images: train {data['train']['n_real']} real / {data['train']['n_fake']} fake, "
            f"validation {data['val']['n_real']} real / {data['val']['n_fake']} fake",
            "",
            "## Evaluation",
            "",
            "Per test set, from the run's metrics.json; 95 % intervals over the set's images (Wilson for accuracy, "
            f"a stratified bootstrap of {N_BOOT} resamples for AP, AUROC and ECE) from its {SCORES_FILE}.",
            "",
            "| set | acc | AP | AUROC | ECE |",
            "|---|---|---|---|---|",
            *(self.table_row(row) for row in self.results()),
            "",
            *self.robustness_lines(),
            "## Threshold",
            "",
            f"{'unknown: a score of 0.5 or more is called fake' if threshold is None else repr(float(threshold))}. "
            f"{THRESHOLD_RULE}",
            "",
            "## Known failure modes (measured on this run)",
            "",
            *([f"- {mode}" for mode in self.failure_modes()] or ["- none measured on these test sets"]),
            "",
            "## Intended use",
            "",
            INTENDED,
            "",
            "## Out-of-scope use",
            "",
            OUT_OF_SCOPE,
            "",
        ]
        # a synthetic run says so first: in the front matter's first line, and the body's
        warning = f"# {SYNTHETIC_LINE.strip('*')}\n" if self.synthetic else ""
        return f"---\n{warning}{body}\n---\n" + "\n".join(lines)

    def table_row(self, row: dict[str, Any]) -> str:
        cells = []
        for name in CARD_METRICS:
            value = row[name]
            low, high = self.intervals.get(row["set"], {}).get(name, (math.nan, math.nan))
            text = "-" if value is None else f"{value:.3f}"
            if value is not None and not math.isnan(low):
                text += f" [{low:.3f}, {high:.3f}]"
            cells.append(text)
        return f"| {row['set']} | " + " | ".join(cells) + " |"

    def robustness_lines(self) -> list[str]:
        if not self.robustness:
            return ["No robustness grid was evaluated for this run (`sweeps/robustness.sh`).", ""]
        lines = ["### Robustness (fakeid.eval of this run's weights under perturbations)", ""]
        lines += ["| perturbation | set | acc | AP | AUROC |", "|---|---|---|---|---|"]
        for row in self.robustness:
            lines.append(
                f"| {row['perturbation']} | {row['set']} | "
                + " | ".join("-" if row.get(k) is None else f"{row[k]:.3f}" for k in INTERVAL_METRICS)
                + " |"
            )
        return [*lines, ""]


THRESHOLD_RULE = (
    "Chosen on the validation split only (images of the training categories and generator, never test "
    "images): the threshold that maximises balanced accuracy on the validation scores, ties to the one "
    "closest to 0.5 (fakeid.evaluation.metrics.calibrate_threshold)."
)


def finite(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else None


def image_intervals(scores_csv: Path) -> dict[str, dict[str, tuple[float, float]]]:
    """set -> metric -> 95 % interval over its images (module docstring); empty without scores.csv."""
    if not scores_csv.is_file():
        return {}
    intervals = {}
    for name, scored in read_scores(scores_csv).items():
        rng = np.random.default_rng(seed_sequence(BOOTSTRAP_SEED, name))
        found = set_intervals(
            scored.scores, scored.labels, stratified_resamples(scored.labels, N_BOOT, rng), CONFIDENCE
        )
        found["ece"] = ece_interval(scored.scores, scored.labels, rng)
        intervals[name] = found
    return intervals


def ece_interval(scores: np.ndarray, labels: np.ndarray, rng: np.random.Generator) -> tuple[float, float]:
    """The percentile interval of ECE over stratified resamples of the images (reals and fakes apart)."""
    groups = [np.flatnonzero(labels == value) for value in (0, 1)]
    replicates = []
    for _ in range(N_BOOT):
        chosen = np.concatenate([rng.choice(group, group.size) for group in groups if group.size])
        replicates.append(ece(scores[chosen], labels[chosen]))
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(replicates, [tail, 100 - tail])
    return float(low), float(high)


def robustness_rows(run_dir: Path) -> list[dict[str, Any]]:
    """This run's robustness grid, where `sweeps/robustness.sh` writes one (fakeid.eval of the sweep into
    `<outputs>/evals/<experiment>/<sweep>/`, beside `<outputs>/sweeps/<sweep>/<job>`): each evaluation whose
    source is this run folder, one row per perturbation and test set; empty when there is none."""
    run_dir = run_dir.resolve()
    evals = run_dir.parents[2] / "evals" if len(run_dir.parents) > 2 else None
    if evals is None or not evals.is_dir():
        return []
    rows = []
    # the one sweep walker (find_metrics_files); an evaluation folder is a sweep's depth plus its level folders
    folders = sorted(evals.glob(f"*/{run_dir.parent.name}"))
    for path in (path for folder in folders for path in find_metrics_files(folder, max_depth=MAX_DEPTH + 1)):
        record = read_record(path)
        if record is None or record.status != "ok" or not record.perturbation:
            continue
        source = (given(record.source, {}) or {}).get("run")
        if not source or Path(source).resolve() != run_dir:
            continue
        perturbation = dict(record.perturbation)
        label = " ".join(f"{k}={v}" for k, v in perturbation.items() if k != "name") or ""
        label = f"{perturbation.get('name')} {label}".strip()
        rows += [{"perturbation": label, **entry} for entry in given(record.test, []) or []]
    return rows


def model_card(trained: TrainedDetector) -> ModelCard | None:
    """The card of a detector exported from a run folder; None for a bare checkpoint (no record to tell)."""
    if trained.run_dir is None:
        return None
    record = read_record(trained.run_dir)
    if record is None:
        return None
    hparams = given(record.hparams, {}) or {}
    model_name = str(hparams.get("model.name") or trained.hparams.get("model.name") or "unknown")
    run_name = Path(trained.run_dir).name
    return ModelCard(
        title=f"fakeid {model_name} ({run_name})",
        synthetic=hparams.get("data.dataset_kind") == "synthetic",
        record=record,
        trained=trained,
        model_name=model_name,
        intervals=image_intervals(Path(trained.run_dir) / SCORES_FILE),
        robustness=robustness_rows(Path(trained.run_dir)),
    )


def card_file(beside: Path) -> Path:
    """Where the card of the exported file `beside` goes: MODEL_CARD.md in its folder."""
    return beside.parent / CARD_FILE


def write_card(card: ModelCard, beside: Path) -> Path:
    """MODEL_CARD.md in the exported file's folder (export checked it may be written: `runs.outputs`)."""
    path = card_file(beside)
    write_text_atomically(path, card.markdown())
    return path
