"""Grad-CAM maps from `fakeid.predict explain=gradcam` (`fakeid.inference.explain`): the files and the column,
maps of the image's size, finite and different between images, every crop mode, the target layer of every
backbone of conf/model, CUDA, and the refusals."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from fakeid.core.errors import FakeidError
from fakeid.inference import explain
from fakeid.inference.predicting import COLUMNS, predict
from fakeid.inference.scoring import CropRule
from fakeid.models.config import build_detector, model_choices
from fakeid.runs import trained
from tests.helpers.commands import assert_one_line_error, run_module
from tests.helpers.models import offline_values

pytest.importorskip("pytorch_grad_cam")

# per choice of conf/model (docs/report.md): at 256 px the module the global pool reads (8 x 8 cells), at 32 px
# the deepest timm stage with 4 x 4 cells; a new choice must find one
EXPECTED_LAYER = {
    256: {"xception": "act4", "demo": "act4", "resnet50": "layer4", "efficientnet_b0": "bn2"},
    32: {"xception": "block3.rep.0", "demo": "block3.rep.0", "resnet50": "layer2", "efficientnet_b0": "blocks.2"},
}


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def picture(path: Path, height: int, width: int, seed: int) -> Path:
    """A structured image (not flat noise): blobs and stripes the maps can differ on."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = 128 + 60 * np.sin(x / rng.uniform(1.5, 4)) * np.cos(y / rng.uniform(1.5, 4))
    cy, cx = rng.uniform(0, height), rng.uniform(0, width)
    base += 80 * np.exp(-((y - cy) ** 2 + (x - cx) ** 2) / 40.0)
    pixels = np.clip(base[..., None] + rng.normal(0, 12, (height, width, 3)), 0, 255).astype(np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)
    return path


@pytest.fixture(scope="module")
def explained(trained_run, tmp_path_factory) -> tuple[Path, list[dict[str, str]]]:
    folder = tmp_path_factory.mktemp("explain")
    for index in range(3):
        picture(folder / "in" / f"img{index}.png", 32, 32, seed=index)
    (folder / "in" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    out = folder / "out" / "predictions.csv"
    done = run_module(
        "fakeid.predict",
        f"run={trained_run}",
        f"input={folder / 'in'}",
        f"out={out}",
        "explain=gradcam",
        "explain_raw=true",
        f"hydra.run.dir={folder / 'cmd'}",  # Hydra's own folder: not the working tree's outputs/
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "gradcam overlays into" in done.stdout
    return out, read_csv(out)


@pytest.mark.slow
def test_predict_writes_an_overlay_and_a_map_per_scored_image(explained) -> None:
    out, rows = explained
    assert tuple(rows[0]) == (*COLUMNS, "explanation")
    scored = [row for row in rows if row["score"]]
    assert len(scored) == 3 and all(row["explanation"] == "" for row in rows if not row["score"])
    maps = []
    for row in scored:
        overlay = out.parent / row["explanation"]
        assert overlay.parent.name == "explain" and overlay.is_file()
        with Image.open(overlay) as image:
            assert image.size == (128, 128)  # 32 px enlarged 4x (nearest) so it can be seen
        heat = np.load(overlay.with_suffix(".npy"))
        assert heat.shape == (int(row["height"]), int(row["width"])) == (32, 32)
        assert heat.dtype == np.float32 and np.isfinite(heat).all()
        assert heat.min() >= 0 and heat.max() <= 1
        maps.append(heat)
    assert any(heat.max() > 0 for heat in maps)
    assert not np.allclose(maps[0], maps[1]) and not np.allclose(maps[1], maps[2])
    assert not list(out.parent.glob(".explain.partial-*"))


def test_exported_models_are_refused_in_one_line_and_nothing_is_written(tmp_path) -> None:
    out = tmp_path / "p.csv"
    picture(tmp_path / "a.png", 32, 32, seed=0)
    done = run_module(
        "fakeid.predict", f"exported={tmp_path / 'detector.onnx'}", f"input={tmp_path / 'a.png'}", f"out={out}",
        "explain=gradcam", f"hydra.run.dir={tmp_path / 'cmd'}",
    )  # fmt: skip
    expected = (
        "fakeid: error: explain=gradcam needs the detector's gradients, which an exported= file does not have "
        "(use run=RUN_DIR or ckpt=PATH)"
    )
    assert_one_line_error(done, f"^{re.escape(expected)}$")
    assert not out.exists() and not (tmp_path / "explain").exists()


def test_an_unknown_method_is_one_line() -> None:
    with pytest.raises(FakeidError, match="explain=shap is not one of none, gradcam, layercam"):
        explain.check_method("shap", None)


@pytest.mark.slow
@pytest.mark.parametrize(
    "crop, size, extra, seen",
    [
        ("center", (48, 80), {}, (slice(8, 40), slice(24, 56))),  # the centre 32 px square
        ("tiles", (64, 96), {}, (slice(0, 64), slice(0, 96))),  # 2 x 3 tiles cover it all
        ("none", (40, 56), {}, (slice(0, 40), slice(0, 56))),
        ("center", (40, 24), {"min_size": 16}, (slice(4, 36), slice(0, 24))),  # enlarged to 32 x 53, mapped back
    ],
)
def test_each_crop_mode_maps_what_the_detector_saw(trained_run, tmp_path, crop, size, extra, seen) -> None:
    height, width = size
    source = picture(tmp_path / "in" / "a.png", height, width, seed=7)
    out = tmp_path / "p.csv"
    rows = predict(
        inputs=str(source), out=out, run=str(trained_run), crop=crop, explain="gradcam", explain_raw=True,
        quiet=True, **extra,
    )  # fmt: skip
    heat = np.load(out.parent / Path(rows[0]["explanation"]).with_suffix(".npy"))
    assert heat.shape == (height, width) and np.isfinite(heat).all()
    outside = np.ones_like(heat, dtype=bool)
    outside[seen] = False
    assert (heat[outside] == 0).all()  # pixels the detector did not see carry no weight


@pytest.mark.slow
def test_tiles_are_stitched_on_one_scale(trained_run, tmp_path) -> None:
    """The tiles' maps of one image share the image's scale: each tile equals the map of that tile alone,
    times one factor."""
    source = picture(tmp_path / "a.png", 64, 64, seed=3)
    detector = trained.from_run(trained_run).load()
    explainer = explain.Explainer(detector.net, 32)
    rule = CropRule(crop="tiles", image_size=32)
    heat, _ = explainer.image_map(source, rule, fake=True, batch_size=4)
    pixels = np.array(Image.open(source).convert("RGB"))
    alone = explainer.crop_maps([pixels[:32, :32], pixels[:32, 32:], pixels[32:, :32], pixels[32:, 32:]], fake=True)
    stitched = np.block([[alone[0], alone[1]], [alone[2], alone[3]]])
    explainer.close()
    assert stitched.max() > 0
    np.testing.assert_allclose(heat, stitched / stitched.max(), atol=1e-5)


@pytest.mark.parametrize("choice", model_choices())
def test_every_backbone_of_conf_model_gets_its_target_layer_and_a_map(choice: str) -> None:
    torch.manual_seed(0)
    net = build_detector(choice, **offline_values(choice)).net.eval()
    for size, expected in EXPECTED_LAYER.items():
        layer = explain.feature_layer(net.backbone, size)
        assert layer == expected.get(choice, layer), size
    explainer = explain.Explainer(net, 32)
    crops = [np.random.default_rng(seed).integers(0, 256, (32, 32, 3), dtype=np.uint8) for seed in (0, 1)]
    maps = explainer.crop_maps(crops, fake=True)
    explainer.close()
    assert maps.shape == (2, 32, 32) and np.isfinite(maps).all()


@pytest.mark.slow
def test_layercam_maps_the_same_images_its_own_way(trained_run, tmp_path) -> None:
    for seed in (0, 1):
        picture(tmp_path / "in" / f"{seed}.png", 32, 32, seed)
    maps = {}
    for method in ("gradcam", "layercam"):
        out = tmp_path / method / "p.csv"
        rows = predict(
            inputs=str(tmp_path / "in"), out=out, run=str(trained_run), explain=method, explain_raw=True, quiet=True
        )
        maps[method] = [np.load(out.parent / Path(row["explanation"]).with_suffix(".npy")) for row in rows]
    for heat in maps["layercam"]:
        assert heat.shape == (32, 32) and np.isfinite(heat).all() and heat.max() == pytest.approx(1.0)
    assert not np.allclose(*maps["layercam"])
    assert not any(np.allclose(grad, layer) for grad, layer in zip(maps["gradcam"], maps["layercam"], strict=True))


def test_a_backbone_without_a_feature_map_is_refused() -> None:
    class Tokens(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = torch.nn.Linear(3, 4)

        def forward_features(self, images):
            return self.proj(images.flatten(2).transpose(1, 2))  # (N, tokens, channels)

    with pytest.raises(FakeidError, match=r"features are a 2-D map \(N, C, H, W\); this one gives \(1, 64, 4\)"):
        explain.feature_layer(Tokens(), 8)


def test_an_unknown_explain_layer_is_one_line() -> None:
    net = build_detector("resnet50").net
    with pytest.raises(FakeidError, match="explain_layer=layer9: no such module in the backbone"):
        explain.Explainer(net, 32, layer="layer9")


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_maps_equal_cpu_maps(trained_run, tmp_path) -> None:
    for index in range(2):
        picture(tmp_path / "in" / f"{index}.png", 64, 64, seed=index)
    maps = {}
    for device in ("cpu", "cuda"):
        out = tmp_path / device / "p.csv"
        rows = predict(
            inputs=str(tmp_path / "in"), out=out, run=str(trained_run), crop="tiles", device=device,
            explain="gradcam", explain_raw=True, quiet=True,
        )  # fmt: skip
        maps[device] = [np.load(out.parent / Path(row["explanation"]).with_suffix(".npy")) for row in rows]
    for cpu, cuda in zip(maps["cpu"], maps["cuda"], strict=True):
        np.testing.assert_allclose(cpu, cuda, atol=2e-3)
