"""`fakeid.export`: ONNX and TorchScript files with their metadata, parity with the PyTorch detector within 1e-4
of the score spread (on the discriminating detector, tests/helpers/parity.py), and `fakeid.predict exported=FILE`,
whose ONNX path must not import torch, Lightning or timm."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fakeid import __version__
from fakeid.inference.metadata import TORCHSCRIPT_EXTRA_FILE
from fakeid.inference.predicting import predict
from fakeid.runs import trained
from fakeid.synth.quick import quick_pixels, write_images
from tests.helpers.commands import REPO, assert_one_line_error, run_module
from tests.helpers.parity import RELATIVE_TOLERANCE, assert_scores_match

onnx = pytest.importorskip("onnx", reason="the export extra is not installed (pip install -e '.[export]')")
pytest.importorskip("onnxruntime", reason="the export extra is not installed (pip install -e '.[export]')")

HEAVY = ("torch", "timm", "lightning", "pytorch_lightning")


def read_scores(path: Path) -> dict[str, float]:
    with path.open(newline="") as handle:
        return {row["path"]: float(row["score"]) for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def exported(discriminating_run, tmp_path_factory) -> dict[str, Path]:
    """Both formats of the discriminating detector written once through the command line; the parity line
    (fakeid.export's own check, on random batches) read on the way."""
    folder = tmp_path_factory.mktemp("exported")
    files = {"onnx": folder / "detector.onnx", "torchscript": folder / "detector.pt"}
    for export_format, path in files.items():
        done = run_module("fakeid.export", f"run={discriminating_run.run}", f"format={export_format}", f"out={path}")
        assert done.returncode == 0, done.stderr[-3000:]
        assert f"wrote {path} ({export_format}; image_size 32" in done.stdout
        difference = float(re.search(r"max \|difference\| (\S+) on 4x3x32x32, 3x3x48x40", done.stdout).group(1))
        assert difference <= RELATIVE_TOLERANCE * discriminating_run.spread and path.is_file()
    return files


@pytest.fixture(scope="module")
def images(tmp_path_factory) -> Path:
    """Tiny images of several sizes (so crop=none batches by shape), real and fake-looking."""
    folder = tmp_path_factory.mktemp("images")
    write_images(folder / "a", 3, 32, fake=False, seed=11)
    write_images(folder / "b", 3, 48, fake=True, seed=12)
    write_images(folder / "c", 2, 72, fake=True, seed=13, suffix=".jpg")
    return folder


def expected_metadata(run_dir: Path) -> dict[str, str]:
    metrics = json.loads((run_dir / "metrics.json").read_text())
    return {
        "fakeid.version": __version__,
        "fakeid.image_size": "32",
        "fakeid.threshold": repr(float(metrics["threshold"])),
        "fakeid.config_hash": metrics["config_hash"],
        "fakeid.categories_used": json.dumps(metrics["hparams"]["data.categories_used"]),
        "fakeid.model_name": "test_resnet",
    }


def test_onnx_file_has_metadata_and_a_dynamic_uint8_input(exported, discriminating_run):
    model = onnx.load(str(exported["onnx"]))
    props = {entry.key: entry.value for entry in model.metadata_props}
    assert expected_metadata(discriminating_run.run).items() <= props.items()
    assert props["fakeid.format"] == "onnx" and "uint8 RGB, NCHW" in props["fakeid.input"]
    (graph_input,) = model.graph.input
    assert graph_input.name == "images" and graph_input.type.tensor_type.elem_type == onnx.TensorProto.UINT8
    dims = [dim.dim_param or dim.dim_value for dim in graph_input.type.tensor_type.shape.dim]
    assert dims == ["batch", 3, "height", "width"]
    assert [output.name for output in model.graph.output] == ["score"]


@pytest.mark.filterwarnings("ignore::FutureWarning")  # torch marks torch.jit.load deprecated
def test_torchscript_file_has_metadata(exported, discriminating_run):
    torch = pytest.importorskip("torch")
    extra = {TORCHSCRIPT_EXTRA_FILE: ""}
    torch.jit.load(str(exported["torchscript"]), _extra_files=extra)
    props = json.loads(extra[TORCHSCRIPT_EXTRA_FILE])
    assert (
        expected_metadata(discriminating_run.run).items() <= props.items() and props["fakeid.format"] == "torchscript"
    )


def quick_batch(rng: np.random.Generator, count: int, height: int, width: int) -> np.ndarray:
    """`count` quick images (real, fake, real, ...) of height x width, uint8 NHWC: images the detector tells
    apart, unlike random noise, on which every score lies within a few hundredths."""
    side = max(height, width)
    return np.stack([quick_pixels(rng, side, fake=bool(index % 2))[:height, :width] for index in range(count)])


def assert_export_parity(net, onnx_file: Path, torchscript_file: Path, spread: float) -> None:
    """ONNX Runtime and TorchScript give the network's probabilities within 1e-4 of the score spread, at any
    batch and size, on batches the network tells apart."""
    torch = pytest.importorskip("torch")
    from fakeid.inference.onnx_runtime import OnnxScorer
    from fakeid.inference.torch_models import ScoringModule, load_torchscript

    module = ScoringModule(net).eval()
    onnx_scorer, (script_scorer, _) = OnnxScorer(onnx_file), load_torchscript(torchscript_file)
    rng, references = np.random.default_rng(0), []
    for shape in [(5, 32, 32), (1, 32, 32), (2, 40, 56)]:
        batch = quick_batch(rng, *shape)
        with torch.no_grad():
            reference = module(torch.from_numpy(batch).permute(0, 3, 1, 2).contiguous()).numpy()
        assert reference.shape == (shape[0],) and np.all((reference >= 0) & (reference <= 1))
        assert_scores_match(onnx_scorer(batch), reference, spread)
        assert_scores_match(script_scorer(batch), reference, spread)
        references += reference.tolist()
    assert np.ptp(references) > 0.5, references  # the batches themselves are told apart


def test_parity_with_the_pytorch_detector_on_tiny_batches(exported, discriminating_run):
    net = trained.resolve(run=str(discriminating_run.run)).load().net
    assert_export_parity(net, exported["onnx"], exported["torchscript"], discriminating_run.spread)


def test_predict_on_onnx_imports_no_torch_and_writes_the_checkpoint_csv(exported, discriminating_run, images, tmp_path):
    out = tmp_path / "onnx.csv"
    script = (
        "import runpy, sys; sys.argv = sys.argv[1:]\n"
        "try:\n    runpy.run_module('fakeid.predict', run_name='__main__', alter_sys=True)\n"
        "except SystemExit as stop:\n    assert not stop.code, stop.code\n"  # `python -m` exits with main()'s 0
        f"print('HEAVY', sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))"
    )
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            script,
            "fakeid.predict",
            f"exported={exported['onnx']}",
            f"input={images}",
            f"out={out}",
        ],
        cwd=REPO,
        text=True,
        capture_output=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "HEAVY []" in done.stdout, done.stdout[-2000:]  # the deployment path: no torch, Lightning or timm
    assert "calibrated on the run's validation split" in done.stdout  # the threshold came from the metadata
    reference = predict(inputs=str(images), out=tmp_path / "ckpt.csv", run=str(discriminating_run.run), quiet=True)
    onnx_scores = read_scores(out)
    assert len(onnx_scores) == len(reference) == 8
    assert_scores_match(
        [onnx_scores[row["path"]] for row in reference],
        [float(row["score"]) for row in reference],
        discriminating_run.spread,
    )


@pytest.mark.parametrize("crop", ["none", "tiles"])
@pytest.mark.parametrize("export_format", ["onnx", "torchscript"])
def test_exported_files_match_the_checkpoint_in_every_crop_mode(
    exported, discriminating_run, images, tmp_path, crop, export_format
):
    run = str(discriminating_run.run)
    reference = predict(inputs=str(images), out=tmp_path / "ckpt.csv", run=run, crop=crop, quiet=True)
    rows = predict(
        inputs=str(images), out=tmp_path / "file.csv", exported=str(exported[export_format]), crop=crop, quiet=True
    )
    assert [row["path"] for row in rows] == [row["path"] for row in reference]
    scores = [float(row["score"]) for row in reference]
    assert_scores_match([float(row["score"]) for row in rows], scores, discriminating_run.spread)
    assert np.ptp(scores) > 0.3, scores  # the images are told apart in this crop mode too


def test_an_onnx_file_fakeid_did_not_export_is_refused(tmp_path, images):
    helper = onnx.helper
    graph = helper.make_graph(
        [helper.make_node("Identity", ["images"], ["score"])],
        "not-fakeid",
        [helper.make_tensor_value_info("images", onnx.TensorProto.UINT8, None)],
        [helper.make_tensor_value_info("score", onnx.TensorProto.UINT8, None)],
    )
    foreign = tmp_path / "foreign.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(foreign))
    done = run_module("fakeid.predict", f"exported={foreign}", f"input={images}", f"out={tmp_path / 'p.csv'}")
    assert_one_line_error(
        done, r"foreign.onnx holds no fakeid metadata .*only files written by python -m fakeid.export"
    )
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"not a protobuf at all")
    done = run_module("fakeid.predict", f"exported={garbage}", f"input={images}", f"out={tmp_path / 'p.csv'}")
    assert_one_line_error(done, r"garbage.onnx is not an ONNX model onnxruntime can load")
    assert not (tmp_path / "p.csv").exists()


@pytest.mark.parametrize(
    "args, pattern",
    [
        (["format=onnx"], r"out=FILE is required \(e.g. out=detector.onnx\)"),
        (["format=keras", "out={tmp}/d.keras"], "format=keras: expected one of onnx, torchscript"),
        (["format=onnx", "out={tmp}"], "is a folder"),
    ],
)
def test_export_bad_arguments_are_one_line(trained_run, tmp_path, args, pattern):
    done = run_module("fakeid.export", f"run={trained_run}", *[arg.format(tmp=tmp_path) for arg in args])
    assert_one_line_error(done, pattern)


def test_export_of_a_missing_run_is_one_line(tmp_path):
    assert_one_line_error(
        run_module("fakeid.export", f"run={tmp_path / 'nope'}", f"out={tmp_path / 'd.onnx'}"),
        r"run=.*nope is not a folder",
    )
