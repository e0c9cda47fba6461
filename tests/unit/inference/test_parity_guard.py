"""The parity checks can fail: a deliberately broken preprocessing, injected into the code that scores (not
simulated by adding noise to numbers), is reported by `assert_scores_match`, the comparison every
numeric-agreement test uses (tests/helpers/parity.py), on the shared discriminating detector.

Three breakages, each one a real bug a refactor could make, through three parity checks:

    bgr           channels swapped RGB -> BGR after decoding (`to_rgb`, in the file dataset and in predict)
    shift         the centre crop one pixel to the right (`center_fit`, likewise)
    unnormalised  the network fed 0..255 instead of its (x - mean) / std (`DetectorNet.normalise`)

    predict       `fakeid.predict` (the checkpoint) against the scores.csv its training's test wrote
    eval          `python -m fakeid.eval run=` against that scores.csv
    onnx          `fakeid.predict exported=` an ONNX export against `fakeid.predict` on the checkpoint

Each test first checks that the unbroken path passes, so a failure to catch is not a path that never matched.
Everything runs in this process (the breakage is a monkeypatch), also under FAKEID_TESTS_SUBPROCESS=1.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fakeid.data import images as images_module
from fakeid.inference import scoring
from fakeid.inference.predicting import predict
from fakeid.models.backbone import DetectorNet
from tests.helpers.commands import run_here
from tests.helpers.parity import ScoredRun, assert_scores_match, max_difference, score_mismatch

BREAKAGES = ("bgr", "shift", "unnormalised")
real_to_rgb, real_center_fit = images_module.to_rgb, images_module.center_fit


def bgr_to_rgb(image: Image.Image) -> Image.Image:
    return Image.fromarray(np.array(real_to_rgb(image))[..., ::-1])


def shifted_center_fit(image: Image.Image, size: int) -> Image.Image:
    """The centre crop one pixel right of the centre (the images are larger than `size`: room to shift)."""
    width, height = image.size
    assert min(width, height) > size, "a one-pixel shift needs an image larger than the crop"
    left, top = (width - size) // 2 + 1, (height - size) // 2
    return image.crop((left, top, left + size, top + size))


def unnormalised(self, images):
    return images.float()


def break_preprocessing(monkeypatch: pytest.MonkeyPatch, breakage: str) -> None:
    """Patch the function itself where each scoring path looks it up (the dataset's module, predict's)."""
    if breakage == "bgr":
        for module in (images_module, scoring):
            monkeypatch.setattr(module, "to_rgb", bgr_to_rgb)
    elif breakage == "shift":
        for module in (images_module, scoring):
            monkeypatch.setattr(module, "center_fit", shifted_center_fit)
    else:
        monkeypatch.setattr(DetectorNet, "normalise", unnormalised)


def assert_caught(good: list[float], actual: list[float], expected: list[float], spread: float, what: str) -> None:
    """`good` (the unbroken path) passes the parity check, `actual` (the broken one) fails it."""
    assert_scores_match(good, expected, spread)
    problem = score_mismatch(actual, expected, spread)
    assert problem is not None, f"{what}: the parity check let a broken preprocessing pass"
    with pytest.raises(AssertionError, match="max \\|difference\\|"):
        assert_scores_match(actual, expected, spread)
    # the number the closing note of issue 24 quotes (pytest -s shows it)
    print(
        f"\n{what}: caught, max |score difference| {max_difference(actual, expected):.4f} "
        f"(unbroken {max_difference(good, expected):.2g}, spread {spread:.3f})"
    )


def predicted(scored: ScoredRun, folder: Path, **detector) -> list[float]:
    """`predict()` (centre crop, the training rule) on the run's own test images, in scores.csv's order."""
    paths = list(scored.scores)
    # overwrite: the same scratch CSV, before and after the preprocessing is broken
    rows = predict(inputs=paths, out=folder / "predictions.csv", overwrite=True, batch_size=7, quiet=True, **detector)
    assert [row["path"] for row in rows] == paths
    return [float(row["score"]) for row in rows]


@pytest.mark.slow
@pytest.mark.parametrize("breakage", BREAKAGES)
def test_predict_against_training_catches(discriminating_run, tmp_path, monkeypatch, breakage):
    expected, run = list(discriminating_run.scores.values()), str(discriminating_run.run)
    good = predicted(discriminating_run, tmp_path, run=run)
    break_preprocessing(monkeypatch, breakage)
    broken = predicted(discriminating_run, tmp_path, run=run)
    assert_caught(good, broken, expected, discriminating_run.spread, f"predict vs training, {breakage}")


def evaluated(scored: ScoredRun, out: Path) -> list[float]:
    """`python -m fakeid.eval run=` (in this process: the breakage is a monkeypatch), its scores.csv in order."""
    done = run_here("fakeid.eval", [f"run={scored.run}", f"hydra.run.dir={out}"], out.parent)
    assert done.returncode == 0, done.stderr[-3000:]
    with open(out / "scores.csv", newline="") as handle:
        scores = {row["path"]: float(row["score"]) for row in csv.DictReader(handle)}
    assert list(scores) == list(scored.scores)
    return list(scores.values())


@pytest.mark.slow
@pytest.mark.parametrize("breakage", BREAKAGES)
def test_eval_against_training_catches(discriminating_run, tmp_path, monkeypatch, breakage):
    expected = list(discriminating_run.scores.values())
    good = evaluated(discriminating_run, tmp_path / "good")
    break_preprocessing(monkeypatch, breakage)
    broken = evaluated(discriminating_run, tmp_path / "broken")
    assert_caught(good, broken, expected, discriminating_run.spread, f"eval vs training, {breakage}")


def exported_onnx(scored: ScoredRun, path: Path) -> Path:
    done = run_here("fakeid.export", [f"run={scored.run}", "format=onnx", f"out={path}"], path.parent)
    assert done.returncode == 0, done.stderr[-3000:]
    return path


@pytest.fixture(scope="module")
def onnx_file(discriminating_run, tmp_path_factory) -> Path:
    pytest.importorskip("onnx", reason="the export extra is not installed (pip install -e '.[export]')")
    pytest.importorskip("onnxruntime", reason="the export extra is not installed (pip install -e '.[export]')")
    return exported_onnx(discriminating_run, tmp_path_factory.mktemp("guard") / "detector.onnx")


@pytest.mark.slow
@pytest.mark.parametrize("breakage", BREAKAGES)
def test_onnx_against_the_checkpoint_catches(discriminating_run, onnx_file, tmp_path, monkeypatch, breakage):
    reference = predicted(discriminating_run, tmp_path, run=str(discriminating_run.run))
    good = predicted(discriminating_run, tmp_path, exported=str(onnx_file))
    if breakage == "unnormalised":  # the normalisation is inside the exported graph: export it broken
        monkeypatch.setattr(DetectorNet, "normalise", unnormalised)
        broken_file = exported_onnx(discriminating_run, tmp_path / "broken.onnx")  # its own check traced it broken too
        monkeypatch.undo()
        broken = predicted(discriminating_run, tmp_path, exported=str(broken_file))
    else:
        break_preprocessing(monkeypatch, breakage)
        broken = predicted(discriminating_run, tmp_path, exported=str(onnx_file))
    assert_caught(good, broken, reference, discriminating_run.spread, f"onnx vs checkpoint, {breakage}")


def test_a_narrow_spread_is_refused_not_passed():
    """Scores that all lie near 0.5 cannot show a wrong preprocessing: the comparison says so."""
    with pytest.raises(AssertionError, match="could not see a wrong score"):
        assert_scores_match([0.5, 0.5001], [0.5, 0.5001], spread=0.0001)
    assert score_mismatch([0.1, 0.9], [0.1, 0.9 + 5e-5], spread=0.8) is None
    assert "1 of 2 scores differ" in score_mismatch([0.1, 0.9], [0.1, 0.9 + 2e-4], spread=0.8)
