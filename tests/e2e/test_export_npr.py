"""model=npr through `fakeid.export`: NPR's residual (nearest down/up-sampling inside the network) survives the
ONNX and TorchScript graphs, within 1e-4 of the score spread of a discriminating NPR detector (tests/helpers/parity.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fakeid.runs import trained
from tests.conftest import DISCRIMINATING_TEST_SIZE
from tests.e2e.test_export import assert_export_parity
from tests.helpers.commands import run_module, train_tiny_run
from tests.helpers.layouts import make_layout
from tests.helpers.parity import RELATIVE_TOLERANCE, ScoredRun

pytest.importorskip("onnx", reason="the export extra is not installed (pip install -e '.[export]')")
pytest.importorskip("onnxruntime", reason="the export extra is not installed (pip install -e '.[export]')")


@pytest.fixture(scope="module")
def npr_run(tmp_path_factory) -> ScoredRun:
    """NPR trained on `discriminating_run`'s quick images (2 epochs at lr 0.001, precise BN: without it the
    running statistics of a few steps left every score at 1.0): its scores spread over most of [0, 1]
    (asserted; 0.0005..0.999, std 0.50 on the 2-core sandbox), so a residual lost on the way to ONNX would show."""
    base = tmp_path_factory.mktemp("npr")
    root = make_layout(base / "data", test_size=DISCRIMINATING_TEST_SIZE)
    return ScoredRun.of(
        train_tiny_run(
            base, root, "model.name=npr", "trainer.max_epochs=2", "model.lr=0.001", "model.bn_recalibration_batches=2"
        )
    )


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::FutureWarning")  # torch marks torch.jit.load deprecated
def test_npr_exports_with_parity(npr_run, tmp_path: Path):
    files = {"onnx": tmp_path / "npr.onnx", "torchscript": tmp_path / "npr.pt"}
    for export_format, path in files.items():
        done = run_module("fakeid.export", f"run={npr_run.run}", f"format={export_format}", f"out={path}")
        assert done.returncode == 0, done.stderr[-3000:]
        difference = float(re.search(r"max \|difference\| (\S+) on", done.stdout).group(1))
        assert difference <= RELATIVE_TOLERANCE * npr_run.spread
    detector = trained.resolve(run=str(npr_run.run)).load()
    assert detector.hparams.name == "npr"
    # NPR tells the batches apart: the residual reached the graph
    assert_export_parity(detector.net, files["onnx"], files["torchscript"], npr_run.spread)
