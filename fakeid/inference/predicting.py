"""`fakeid.predict`'s work: pick the detector, score every input file, write the per-image CSV, report.

The detector comes from exactly one of `run=` (a finished training run: its tested weights and its
validation-calibrated threshold), `ckpt=` (a checkpoint; threshold only when given) or `exported=` (a
file written by `fakeid.export`: `.onnx` on onnxruntime, `.pt` TorchScript). Only the checkpoint path imports
Lightning and timm, and only the checkpoint and TorchScript paths import torch.

CSV columns (`COLUMNS`): path, score (probability of fake, empty when the file could not be scored; written
so that it reads back exactly, `fakeid.core.numbers`), verdict (`fake` when score >= threshold in float64, at the
run's calibrated threshold when known, else 0.5),
verdict_at_0.5, width, height, format (Pillow's name), error (why there is no score), note (what was
changed to score it: 16-bit scaled, alpha dropped, enlarged, tiles capped, first frame of an animation).
"""

from __future__ import annotations

import csv
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from fakeid.core.atomic import write_atomically
from fakeid.core.errors import FakeidError
from fakeid.core.numbers import called_fake, number_text
from fakeid.data.images import MAX_PIXELS
from fakeid.inference.inputs import expand_inputs
from fakeid.inference.metadata import DetectorInfo
from fakeid.inference.scoring import CropRule, ImageResult, Scorer, score_files
from fakeid.runs.outputs import check_output

COLUMNS = ("path", "score", "verdict", "verdict_at_0.5", "width", "height", "format", "error", "note")
DEFAULT_OUT = "predictions.csv"
TABLE_LIMIT = 20  # at most this many images: a table on stdout; more: a progress bar
ONNX_SUFFIXES, TORCHSCRIPT_SUFFIXES = (".onnx",), (".pt", ".pth", ".ts", ".torchscript")


@dataclass(frozen=True)
class Verdicts:
    threshold: float
    source: str  # how the threshold was chosen, for the report

    def of(self, score: float | None, threshold: float | None = None) -> str:
        if score is None:
            return ""
        return "fake" if called_fake(score, self.threshold if threshold is None else threshold) else "real"


def default_out(outputs: Path) -> Path:
    """Where the CSV goes when `out=` is not given: a new folder per command under `outputs/predict/`, named
    by the time, so two predictions never meet; made only when the CSV is written (a refused command leaves
    nothing behind)."""
    return outputs / "predict" / time.strftime("%Y-%m-%d_%H-%M-%S") / DEFAULT_OUT


def choose_threshold(info: DetectorInfo, given: float | None) -> Verdicts:
    if given is not None:
        if not 0.0 <= float(given) <= 1.0:
            raise FakeidError(f"threshold={given} must lie in [0, 1] (a probability of fake)")
        return Verdicts(float(given), "given as threshold=")
    if info.threshold is not None:
        return Verdicts(float(info.threshold), "calibrated on the run's validation split")
    return Verdicts(0.5, "0.5: no calibrated threshold is known for this detector")


def load_scorer(
    run: str | None, ckpt: str | None, exported: str | None, device: str, threshold: float | None
) -> tuple[Scorer, DetectorInfo]:
    """The scorer and what is known about its detector, from exactly one of run=, ckpt=, exported=."""
    if sum(bool(item) for item in (run, ckpt, exported)) != 1:
        raise FakeidError("give exactly one of run=RUN_DIR, ckpt=PATH or exported=FILE.onnx (a fakeid.export file)")
    if exported:
        return exported_scorer(Path(exported).expanduser(), device)
    # torch, Lightning and timm: not imported for exported=FILE.onnx, which needs onnxruntime alone
    from fakeid.core.devices import torch_device
    from fakeid.inference.torch_models import checkpoint_scorer
    from fakeid.runs import trained

    torch_device(device)  # a one-line error before the (slow) load
    detector = trained.resolve(run=run, ckpt=ckpt, threshold=threshold)
    source = str(detector.run_dir or detector.checkpoint)
    info = DetectorInfo(
        image_size=detector.image_size,
        threshold=detector.threshold,
        source=source,
        categories_used=detector.categories_used,
        fit=detector.fit,
    )
    return checkpoint_scorer(detector.load(), device), info


def exported_scorer(path: Path, device: str) -> tuple[Scorer, DetectorInfo]:
    suffix = path.suffix.lower()
    if suffix in ONNX_SUFFIXES:
        from fakeid.inference.onnx_runtime import OnnxScorer  # the export extra's onnxruntime

        scorer = OnnxScorer(path, device)
        return scorer, scorer.info
    if suffix in TORCHSCRIPT_SUFFIXES:
        from fakeid.inference.torch_models import load_torchscript  # torch: not needed for .onnx

        return load_torchscript(path, device)
    raise FakeidError(
        f"exported={path}: expected a .onnx or .pt file written by fakeid.export "
        "(for a training checkpoint use ckpt=, for a run folder run=)"
    )


def row(result: ImageResult, verdicts: Verdicts) -> dict[str, str]:
    score = "" if result.score is None else number_text(result.score)
    return {
        "path": str(result.path),
        "score": score,
        "verdict": verdicts.of(result.score),
        "verdict_at_0.5": verdicts.of(result.score, 0.5),
        "width": "" if result.width is None else str(result.width),
        "height": "" if result.height is None else str(result.height),
        "format": result.format,
        "error": result.error,
        "note": "; ".join(result.notes),
    }


def progress_bar(total: int, enabled: bool) -> tuple[Callable[[int], None] | None, Callable[[], None]]:
    if not enabled:
        return None, lambda: None
    from tqdm import tqdm

    bar = tqdm(total=total, unit="img", file=sys.stderr, desc="predict")
    return bar.update, bar.close  # type: ignore[return-value]  # update's bool return is unused


def print_table(rows: list[dict[str, str]]) -> None:
    width = min(60, max(len(item["path"]) for item in rows))
    digits = max(5, *(len(item["score"]) for item in rows))  # the CSV's exact scores, so the table agrees with it
    print(f"{'path':<{width}}  {'score':>{digits}}  verdict  error")
    for item in rows:
        path = item["path"] if len(item["path"]) <= width else "..." + item["path"][-(width - 3) :]
        print(f"{path:<{width}}  {item['score']:>{digits}}  {item['verdict']:<7}  {item['error']}")


def summary(results: list[ImageResult], skipped: int, verdicts: Verdicts, rule: CropRule, out: Path) -> str:
    scored = [result for result in results if result.score is not None]
    fakes = sum(verdicts.of(result.score) == "fake" for result in scored)
    lines = [
        f"scored {len(scored)} of {len(results)} images (crop={rule.crop}, image_size={rule.image_size}): "
        f"{fakes} fake, {len(scored) - fakes} real at threshold {number_text(verdicts.threshold)} ({verdicts.source})"
    ]
    errors = Counter(result.error.split(" (")[0].split(":")[0] for result in results if result.error)
    if errors:
        lines.append(
            f"{sum(errors.values())} not scored: "
            + ", ".join(f"{n} {why}" for why, n in errors.items())
            + " (their rows carry the error)"
        )
    notes = Counter(note.split(" (")[0] for result in results for note in result.notes)
    if notes:
        lines.append(
            "changed to score them: " + ", ".join(f"{n} {what}" for what, n in notes.items()) + " (see the note column)"
        )
    if skipped:
        lines.append(f"skipped {skipped} files without an image suffix in the input folders (not in the CSV)")
    lines.append(f"wrote {out}")
    return "\n".join(lines)


def write_rows(out: Path, rows: list[dict[str, str]], columns: tuple[str, ...] = COLUMNS) -> None:
    """The CSV, atomically (a full disk is one line and leaves no temporary file)."""

    def write(temporary: Path) -> None:
        with temporary.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)

    write_atomically(out, write)


def predict(
    *,
    inputs,
    out: Path,
    run: str | None = None,
    ckpt: str | None = None,
    exported: str | None = None,
    crop: str = "center",
    min_size: int = 32,
    max_tiles: int = 16,
    max_pixels: int = MAX_PIXELS,
    batch_size: int = 32,
    device: str = "cpu",
    threshold: float | None = None,
    progress: bool | None = None,
    quiet: bool = False,
    explain: str = "none",
    explain_raw: bool = False,
    explain_layer: str | None = None,
    overwrite: bool = False,
) -> list[dict[str, str]]:
    """Score every input file and write the CSV; returns its rows. `progress=None`: a bar above 20 images.
    `explain=gradcam|layercam`: class-activation maps into explain/ beside the CSV (`fakeid.inference.explain`).
    An existing CSV or explain/ is replaced only with `overwrite` (fakeid.runs.outputs)."""
    if explain != "none":
        from fakeid.inference import explain as explaining  # torch and grad-cam: only when maps are asked for

        explaining.check_method(explain, exported)
    expanded = expand_inputs(inputs)
    if out.exists() and out.is_dir():
        raise FakeidError(f"out={out} is a folder (a .csv file path was expected)")
    check_output(out, overwrite)
    if explain != "none":  # the overlays' folder beside the CSV: replaced whole, so the same consent
        folder = out.parent / explaining.FOLDER
        check_output(folder, overwrite, what="folder", named=f"explain={explain} writes {folder}, which")
    rule = CropRule(
        crop=crop, min_size=int(min_size), max_tiles=int(max_tiles), max_pixels=int(max_pixels)
    )  # checked before the load
    choose_threshold(DetectorInfo(image_size=rule.image_size), threshold)
    scorer, info = load_scorer(run, ckpt, exported, device, threshold)
    rule = replace(rule, image_size=info.image_size, fit=info.fit)
    verdicts = choose_threshold(info, threshold)
    many = len(expanded.files) > TABLE_LIMIT
    update, close = progress_bar(len(expanded.files), (many if progress is None else progress) and not quiet)
    try:
        results = list(score_files(expanded.files, rule, scorer, int(batch_size), update))
    finally:
        close()
    rows = [row(result, verdicts) for result in results]
    columns: tuple[str, ...] = COLUMNS
    explained = None
    if explain != "none":
        explained = explaining.write_explanations(
            rows,
            scorer.module.net,  # type: ignore[attr-defined]  # a TorchScorer: explain= refuses exported=
            rule,
            out,
            explain_raw,
            explain_layer,
            batch_size,
            method=explain,
        )
        columns = (*COLUMNS, explaining.COLUMN)
    write_rows(out, rows, columns)
    if not quiet:
        if not many:
            print_table(rows)
        print(summary(results, len(expanded.skipped), verdicts, rule, out))
        if explained:
            print(f"wrote {sum(bool(item[explaining.COLUMN]) for item in rows)} {explain} overlays into {explained}")
    return rows
