"""Score with an ONNX file written by `fakeid.export`, on onnxruntime: the deployment path.

Imports numpy and onnxruntime only (no torch, Lightning or timm; a test checks `sys.modules`). The file's
input is uint8 NCHW and its output the probability of fake (see `fakeid.inference.metadata`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fakeid.core.devices import device_name
from fakeid.core.errors import FakeidError
from fakeid.inference.metadata import INPUT_NAME, DetectorInfo, parse_metadata

PROVIDERS = {"cpu": ["CPUExecutionProvider"], "cuda": ["CUDAExecutionProvider", "CPUExecutionProvider"]}


def import_onnxruntime():
    try:
        import onnxruntime
    except ImportError:
        raise FakeidError("exported=*.onnx needs onnxruntime: pip install -e '.[export]'") from None
    return onnxruntime


class OnnxScorer:
    """uint8 (N, H, W, 3) -> probability of fake, through an onnxruntime session."""

    def __init__(self, path: Path, device: str = "cpu", threads: int = 0):
        ort = import_onnxruntime()
        device = device_name(
            device,
            cuda_available=lambda: "CUDAExecutionProvider" in ort.get_available_providers(),
            no_cuda="this onnxruntime has no CUDA provider (pip install onnxruntime-gpu)",
        )
        if not path.is_file():
            raise FakeidError(f"exported={path} is not a file (an .onnx file written by fakeid.export was expected)")
        options = ort.SessionOptions()
        options.intra_op_num_threads = int(threads)
        try:
            self.session = ort.InferenceSession(str(path), options, providers=PROVIDERS[device])
        except Exception as err:  # noqa: BLE001 - onnxruntime raises its own exception types for a bad file
            first = (str(err).strip().splitlines() or [type(err).__name__])[0][:160]
            raise FakeidError(f"exported={path} is not an ONNX model onnxruntime can load ({first})") from None
        self.info: DetectorInfo = parse_metadata(self.session.get_modelmeta().custom_metadata_map, str(path))
        if [item.name for item in self.session.get_inputs()] != [INPUT_NAME]:
            raise FakeidError(f"exported={path}: expected one input named {INPUT_NAME!r} (a fakeid export)")

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        images = np.ascontiguousarray(batch.transpose(0, 3, 1, 2))
        return self.session.run(None, {INPUT_NAME: images})[0].reshape(-1)
