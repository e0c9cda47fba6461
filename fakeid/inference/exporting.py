"""`fakeid.export`'s work: write a trained detector as ONNX or TorchScript, with its metadata, and prove parity.

What is exported is `ScoringModule` (`fakeid.inference.torch_models`): input `images`, uint8 RGB NCHW
(0..255, decoded by fakeid's rule), normalisation inside the graph, output `score`, the probability of fake
per image. Batch, height and width are dynamic in both formats (Xception pools globally); the parity check
runs a batch at the training size and one at another size and batch.

- ONNX: the TorchScript-based exporter (`dynamo=False`, opset 17; the torch.export-based one needs
  onnxscript and traces timm's Xception less reliably); metadata in `metadata_props` (`fakeid.*` keys).
- TorchScript: `torch.jit.trace` (timm's legacy_xception has no data-dependent control flow, so the trace is
  shape-generic); metadata in the extra file `fakeid.json`.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from fakeid import __version__
from fakeid.core.atomic import write_atomically
from fakeid.core.errors import FakeidError
from fakeid.inference.metadata import INPUT_NAME, OUTPUT_NAME, TORCHSCRIPT_EXTRA_FILE, DetectorInfo, build_metadata
from fakeid.inference.torch_models import ScoringModule
from fakeid.runs.outputs import check_output
from fakeid.runs.trained import TrainedDetector

FORMATS = {"onnx": ".onnx", "torchscript": ".pt"}
OPSET = 17
PARITY_TOLERANCE = 1e-4
DYNAMIC_AXES = {INPUT_NAME: {0: "batch", 2: "height", 3: "width"}, OUTPUT_NAME: {0: "batch"}}


@dataclass(frozen=True)
class ParityResult:
    max_abs_diff: float
    shapes: list[tuple[int, ...]]

    @property
    def ok(self) -> bool:
        return self.max_abs_diff <= PARITY_TOLERANCE


def metadata_of(trained: TrainedDetector, model_name: str, export_format: str) -> dict[str, str]:
    return build_metadata(
        version=__version__,
        image_size=trained.image_size,
        threshold=trained.threshold,
        config_hash=trained.config_hash,
        categories_used=trained.categories_used,
        model_name=model_name,
        checkpoint=trained.checkpoint.name,
        export_format=export_format,
        fit=trained.fit,
    )


def example_batches(image_size: int, seed: int = 0) -> list[np.ndarray]:
    """Random uint8 NCHW batches: the training size, and another batch size, height and width."""
    rng = np.random.default_rng(seed)
    other = (image_size + image_size // 2, image_size + image_size // 4)
    return [
        rng.integers(0, 256, (4, 3, image_size, image_size), dtype=np.uint8),
        rng.integers(0, 256, (3, 3, *other), dtype=np.uint8),
    ]


def check_out(out: str | None, export_format: str, overwrite: bool = False) -> Path:
    """The file to write: not a folder, not a run's own file, an existing one only with `overwrite`."""
    if export_format not in FORMATS:
        raise FakeidError(f"format={export_format} is not one of {', '.join(FORMATS)}")
    if not out:
        raise FakeidError(f"out=FILE is required (e.g. out=detector{FORMATS[export_format]})")
    path = Path(out).expanduser()
    if path.is_dir():
        raise FakeidError(f"out={path} is a folder (a file path was expected)")
    check_output(path, overwrite)
    return path


@contextmanager
def quiet_export_warnings() -> Iterator[None]:
    """torch marks the TorchScript-based paths deprecated on every call; the choice is documented above."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=FutureWarning)
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
        warnings.filterwarnings("ignore", message=".*legacy TorchScript-based ONNX export.*")
        yield


def write_onnx(module: ScoringModule, example: torch.Tensor, out: Path, metadata: dict[str, str]) -> None:
    try:
        import onnx
    except ImportError:
        raise FakeidError("format=onnx needs the onnx package: pip install -e '.[export]'") from None
    with quiet_export_warnings():
        torch.onnx.export(
            module,
            (example,),
            str(out),
            dynamo=False,
            opset_version=OPSET,
            input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME],
            dynamic_axes=DYNAMIC_AXES,
        )
    graph = onnx.load(str(out))
    for key, value in metadata.items():
        entry = graph.metadata_props.add()
        entry.key, entry.value = key, value
    graph.doc_string = metadata["fakeid.input"] + ". " + metadata["fakeid.output"]
    onnx.checker.check_model(graph)
    onnx.save(graph, str(out))


def write_torchscript(module: ScoringModule, example: torch.Tensor, out: Path, metadata: dict[str, str]) -> None:
    with quiet_export_warnings(), torch.inference_mode(False), torch.no_grad():
        traced = torch.jit.trace(module, (example,), check_trace=False)
        torch.jit.save(traced, str(out), _extra_files={TORCHSCRIPT_EXTRA_FILE: json.dumps(metadata)})


def parity(module: ScoringModule, exported: Path, export_format: str, image_size: int) -> ParityResult:
    """Max |exported - PyTorch| over the example batches, the file loaded back the way predict loads it."""
    # the check loads the file back the way predict does; onnxruntime (the export extra) only when asked
    from fakeid.inference.onnx_runtime import OnnxScorer
    from fakeid.inference.torch_models import load_torchscript

    scorer = OnnxScorer(exported) if export_format == "onnx" else load_torchscript(exported)[0]
    worst, shapes = 0.0, list[tuple[int, ...]]()
    for batch in example_batches(image_size):
        with torch.no_grad():
            reference = module(torch.from_numpy(batch)).numpy()
        scores = scorer(np.ascontiguousarray(batch.transpose(0, 2, 3, 1)))
        worst, shapes = max(worst, float(np.abs(scores - reference).max())), shapes + [batch.shape]
    return ParityResult(worst, shapes)


def export(
    trained: TrainedDetector,
    export_format: str,
    out: str | Path | None,
    check: bool = True,
    overwrite: bool = False,
    extra_metadata: dict[str, str] | None = None,
) -> tuple[Path, ParityResult | None, DetectorInfo]:
    """Write the file atomically (a link at `out` is replaced, never written through); with `check`, compare
    it to the checkpoint's PyTorch scores (a failure is an error). `extra_metadata`: more `fakeid.*` keys for
    the file (the model card's essentials)."""
    path = check_out(str(out) if out else None, export_format, overwrite)
    detector = trained.load()
    module = ScoringModule(detector.net).eval()
    metadata = {**metadata_of(trained, detector.hparams.name, export_format), **(extra_metadata or {})}
    path.parent.mkdir(parents=True, exist_ok=True)
    example = torch.from_numpy(example_batches(trained.image_size)[0][:2])
    writer = write_onnx if export_format == "onnx" else write_torchscript
    write_atomically(path, lambda partial: writer(module, example, partial, metadata))
    result = parity(module, path, export_format, trained.image_size) if check else None
    if result is not None and not result.ok:
        raise FakeidError(
            f"{path}: parity check failed, max |exported - PyTorch| = {result.max_abs_diff:.2e} "
            f"> {PARITY_TOLERANCE:g} (shapes {result.shapes})"
        )
    info = DetectorInfo(
        image_size=trained.image_size,
        threshold=trained.threshold,
        source=str(path),
        categories_used=trained.categories_used,
        fit=trained.fit,
    )
    return path, result, info
