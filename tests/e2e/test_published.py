"""`python -m fakeid.published`: a peer's checkpoint, saved as the peer saves it, becomes a run folder whose scores
(through `fakeid.predict` and `fakeid.eval`) equal the peer's own forward pass and preprocessing, written here
independently with torchvision's transforms as the peers write them (CNNDetection's data/datasets.py,
UniversalFakeDetect's validate.py), to 1e-5 on real images (the gan_samples fixture) and synthetic ones."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision import transforms

from fakeid.synth.quick import write_images
from tests.helpers.commands import assert_one_line_error, run_module, run_script
from tests.helpers.layouts import make_layout
from tests.helpers.parity import MIN_SPREAD, max_difference, score_spread

PARITY = 1e-5  # |fakeid's probability - the peer's| on every image
IMAGENET = ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
CLIP = ([0.48145466, 0.4578275, 0.40821073], [0.26862954, 0.26130258, 0.27577711])
# a small CLIP for the tests (ViT-L/14's layout, 2 layers of width 64): what the tower is built from is open_clip's
TINY_CLIP = "fakeid-test-tiny-vit"
TINY_CLIP_CONFIG = {
    "embed_dim": 768,  # UniversalFakeDetect's head is Linear(768, 1): the embedding keeps its width
    "quick_gelu": True,
    "vision_cfg": {"image_size": 224, "layers": 2, "width": 64, "head_width": 32, "patch_size": 32},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 1},
}


# width x height: margins around the 224 crop that torchvision rounds half to even and fakeid down (255 x 257),
# that both round alike (300 x 301: 38), under the crop (200 x 180: torchvision pads, fakeid enlarges), none
ODD_SIZES = ((255, 257), (300, 301), (200, 180), (256, 256))


def odd_images(folder: Path) -> list[Path]:
    """One image of each of ODD_SIZES, cut from synthetic fakes (their period-2 trace makes a pixel's shift show)."""
    squares = write_images(folder / "square", len(ODD_SIZES), 320, fake=True, seed=3)
    paths = []
    for (width, height), square in zip(ODD_SIZES, squares, strict=True):
        path = folder / f"{width}x{height}.png"
        Image.open(square).crop((7, 3, 7 + width, 3 + height)).save(path)
        paths.append(path)
    return paths


def images(tmp_path: Path, gan_samples: Path | None) -> list[Path]:
    """Synthetic images (256 and 240 px: even margins around the 224 crop; ODD_SIZES) and the real ones."""
    synthetic = [
        *write_images(tmp_path / "synthetic" / "a", 4, 256, fake=False, seed=1),
        *write_images(tmp_path / "synthetic" / "b", 4, 240, fake=True, seed=2, suffix=".jpg"),
        *odd_images(tmp_path / "synthetic" / "odd"),
    ]
    real = sorted(gan_samples.rglob("*.png")) if gan_samples else []
    return synthetic + real


def peer_transform(npr: bool) -> transforms.Compose:
    """The peer's own resize and crop (before ToTensor): NPR's test.py (ForenSynths: no_resize False, no_crop
    True, loadSize 256) Resize((256, 256)); CNNDetection's eval and UFD's validate.py no resize, CenterCrop(224)."""
    return transforms.Resize((256, 256)) if npr else transforms.CenterCrop(224)


def peer_scores(model: torch.nn.Module, stats, paths: list[Path], npr: bool = False) -> np.ndarray:
    """The peers' evaluation: CNNDetection's and UFD's no resize, CenterCrop(224); NPR's test.py (ForenSynths)
    Resize((256, 256)) and no crop; then ToTensor, Normalize, model(x).sigmoid()."""
    preprocess = transforms.Compose(
        [peer_transform(npr), transforms.ToTensor(), transforms.Normalize(mean=stats[0], std=stats[1])]
    )
    model.eval()
    with torch.no_grad():
        batch = torch.stack([preprocess(Image.open(path).convert("RGB")) for path in paths])
        return torch.cat([model(part).sigmoid().flatten() for part in batch.split(16)]).double().numpy()


def spread_head(model: torch.nn.Module, head: torch.nn.Linear, stats, paths: list[Path], npr: bool = False) -> None:
    """Random weights give logits of any scale: the head is rescaled (on the peer's side, before saving) so that
    the scores spread over [0, 1] and a wrong pixel or statistic shows in them."""
    logits = torch.logit(torch.from_numpy(peer_scores(model, stats, paths, npr)).clamp(1e-6, 1 - 1e-6))
    with torch.no_grad():
        scale = 3.0 / float(logits.std().clamp_min(1e-6))
        head.weight.mul_(scale)
        head.bias.copy_(head.bias * scale - float(logits.mean()) * scale)


def fakeid_scores(run: Path, paths: list[Path], tmp_path: Path) -> np.ndarray:
    listed = tmp_path / "inputs.txt"
    listed.write_text("".join(f"{path}\n" for path in paths))
    out = tmp_path / "predictions.csv"
    done = run_module(
        "fakeid.predict", f"run={run}", f"input={listed}", f"out={out}", "progress=false", "overwrite=true"
    )
    assert done.returncode == 0, done.stderr[-2000:]
    with out.open() as handle:
        rows = {row["path"]: float(row["score"]) for row in csv.DictReader(handle)}
    return np.array([rows[str(path)] for path in paths])


def import_run(tmp_path: Path, *args: str) -> Path:
    run = tmp_path / "run"
    done = run_module("fakeid.published", *args, f"out={run}")
    assert done.returncode == 0, done.stderr[-2000:]
    return run


def assert_parity(fakeid: np.ndarray, peer: np.ndarray) -> float:
    assert score_spread(peer) >= MIN_SPREAD, f"spread {score_spread(peer):.3f}: this comparison could not see an error"
    difference = max_difference(fakeid, peer)
    assert difference <= PARITY, f"max |fakeid - peer| = {difference:.3g} > {PARITY}"
    return difference


@pytest.fixture
def cnndetection_file(tmp_path, gan_samples_or_none):
    """CNNDetection's network (its networks/resnet.py is torchvision's ResNet-50) with fc 2048 -> 1, random
    weights, saved as its trainer saves: `{'model': state_dict}`."""
    from torchvision.models import resnet50

    torch.manual_seed(0)
    model = resnet50(num_classes=1)
    paths = images(tmp_path, gan_samples_or_none)
    spread_head(model, model.fc, IMAGENET, paths)
    path = tmp_path / "blur_jpg_prob0.5.pth"
    torch.save({"model": model.state_dict()}, path)
    return model, path, paths


@pytest.fixture
def gan_samples_or_none(request):
    try:
        return request.getfixturevalue("gan_samples")
    except pytest.skip.Exception:
        return None


@pytest.mark.slow
def test_cnndetection_scores_equal_the_peers_and_the_run_exports(cnndetection_file, tmp_path, gan_samples_or_none):
    model, path, paths = cnndetection_file
    run = import_run(tmp_path, "source=cnndetection", f"weights={path}")
    record = json.loads((run / "metrics.json").read_text())
    hparams = record["hparams"]
    assert record["status"] == "ok" and record["threshold"] == 0.5
    assert hparams["published.source"] == "cnndetection" and hparams["published.crop"] == "center 224"
    assert hparams["published.resize"] is None and hparams["published.mean"] == IMAGENET[0]
    import hashlib

    assert hparams["published.weights_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    difference = assert_parity(fakeid_scores(run, paths, tmp_path), peer_scores(model, IMAGENET, paths))
    print(f"cnndetection parity: max |difference| {difference:.2e} over {len(paths)} images")
    if gan_samples_or_none is None:
        pytest.skip("synthetic images only: no real GAN images (set FAKEID_GAN_SAMPLES)")
    # export: ONNX with export's own parity check against the PyTorch detector
    pytest.importorskip("onnxruntime")
    done = run_module("fakeid.export", f"run={run}", "format=onnx", f"out={tmp_path / 'cnndetection.onnx'}")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "parity with the PyTorch detector" in done.stdout


def ufd_files(tmp_path: Path, paths: list[Path]) -> tuple[type, torch.nn.Linear, list[str]]:
    """A tiny CLIP (TINY_CLIP_CONFIG, random weights) and UFD's head, saved as the peers save them; the peer's
    forward pass; `fakeid.published`'s arguments for them. The tower's architecture reaches fakeid as a user's
    would: `clip_model=` an open_clip model config file, whose content the run records (every later command, in
    any process, builds the tower from the record, never from a path it names)."""
    open_clip = pytest.importorskip("open_clip")
    config = tmp_path / "clipcfg" / f"{TINY_CLIP}.json"
    config.parent.mkdir()
    config.write_text(json.dumps(TINY_CLIP_CONFIG))
    torch.manual_seed(0)
    # the peer's side builds it the peer's way (open_clip's create_model from a registered config)
    open_clip.add_model_config(config)
    clip = open_clip.create_model(TINY_CLIP)
    fc = torch.nn.Linear(768, 1)

    class Peer(torch.nn.Module):  # UniversalFakeDetect's CLIPModel.forward
        def forward(self, x):
            return fc(clip.encode_image(x))

    spread_head(Peer(), fc, CLIP, paths)
    torch.save(fc.state_dict(), tmp_path / "fc_weights.pth")
    torch.save(clip.state_dict(), tmp_path / "clip.bin")
    args = [f"weights={tmp_path / 'fc_weights.pth'}", f"clip_weights={tmp_path / 'clip.bin'}", f"clip_model={config}"]
    return Peer, fc, args


@pytest.mark.slow
def test_ufd_scores_equal_the_peers(tmp_path, gan_samples_or_none):
    """UniversalFakeDetect: CLIP's encode_image -> fc (768 -> 1), sigmoid; the head saved as fc_weights.pth is
    `fc.state_dict()` (validate.py loads it with `model.fc.load_state_dict`), the tower an open_clip state dict."""
    paths = images(tmp_path, gan_samples_or_none)
    Peer, fc, args = ufd_files(tmp_path, paths)
    run = import_run(tmp_path, "source=ufd", *args)
    hparams = json.loads((run / "metrics.json").read_text())["hparams"]
    assert hparams["published.mean"] == CLIP[0] and hparams["published.clip_weights_sha256"]
    assert hparams["model.name"] == "open_clip:" + json.dumps(TINY_CLIP_CONFIG, sort_keys=True, separators=(",", ":"))
    shutil.rmtree(tmp_path / "clipcfg")  # the file is not needed after the import
    difference = assert_parity(fakeid_scores(run, paths, tmp_path), peer_scores(Peer(), CLIP, paths))
    print(f"ufd parity: max |difference| {difference:.2e} over {len(paths)} images")


@pytest.mark.slow
def test_an_imported_run_evaluates_like_a_trained_one(cnndetection_file, tmp_path):
    _, path, _ = cnndetection_file
    run = import_run(tmp_path, "source=cnndetection", f"weights={path}")
    root = make_layout(tmp_path / "data", categories=[], test_sets=("progan/cat",), test_per_class=3, size=256)
    done = run_module("fakeid.eval", f"run={run}", f"data.root={root}", f"hydra.run.dir={tmp_path / 'eval'}")
    assert done.returncode == 0, done.stderr[-2000:]
    record = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert record["status"] == "ok" and record["threshold"] == 0.5 and record["test"]


def test_bad_files_are_one_line_naming_the_key_and_shape(tmp_path):
    from torchvision.models import resnet50

    wrong = resnet50()  # torchvision's 1000-class head, not CNNDetection's 2048 -> 1
    torch.save({"model": wrong.state_dict()}, tmp_path / "imagenet.pth")
    torch.save(wrong.state_dict(), tmp_path / "bare.pth")
    torch.save({"weight": torch.zeros(1, 512), "bias": torch.zeros(1)}, tmp_path / "fc512.pth")
    (tmp_path / "not_weights").mkdir()
    (tmp_path / "not_weights" / "notes.pth").write_text("not a checkpoint")
    cases = {
        r"weights=\S+imagenet.pth: fc.weight has shape \[1000, 2048\], expected \[1, 2048\]": [
            "source=cnndetection",
            f"weights={tmp_path / 'imagenet.pth'}",
        ],
        r"weights=\S+bare.pth holds no 'model' entry": ["source=cnndetection", f"weights={tmp_path / 'bare.pth'}"],
        r"weights=\S+missing.pth is not a file: get it from github.com/PeterWang512": [
            "source=cnndetection",
            f"weights={tmp_path / 'missing.pth'}",
        ],
        r"clip_weights=\S+ViT.bin is not a file: .*huggingface.co/timm/vit_large_patch14_clip_224.openai": [
            "source=ufd",
            f"weights={tmp_path / 'fc512.pth'}",
            f"clip_weights={tmp_path / 'ViT.bin'}",
        ],
        r"source=npx: expected one of cnndetection, ufd, npr": ["source=npx", f"weights={tmp_path / 'bare.pth'}"],
        r"weights=\S+not_weights holds no checkpoint of cnndetection, ufd or npr \(1 files looked at\)": [
            f"weights={tmp_path / 'not_weights'}"
        ],
    }
    for pattern, args in cases.items():
        done = run_module("fakeid.published", *args, f"out={tmp_path / 'run'}")
        assert_one_line_error(done, pattern)
        assert not (tmp_path / "run").exists()


class NPRPeer(torch.nn.Module):
    """NPR's networks/resnet.py, written from its definition: torchvision's ResNet-50 parts with a 3x3 stride-2
    stem, layer1-2 only and fc1 = Linear(512, 1); the input is x minus its nearest-neighbour down/up-sampling,
    times 2/3. Its state dict is NPR.pth's layout (conv1, bn1, layer1, layer2, fc1)."""

    def __init__(self):
        super().__init__()
        from torchvision.models import resnet50

        resnet = resnet50()
        self.conv1 = torch.nn.Conv2d(3, 64, kernel_size=3, stride=2, padding=1, bias=False)
        self.bn1, self.relu, self.maxpool = resnet.bn1, resnet.relu, resnet.maxpool
        self.layer1, self.layer2, self.avgpool = resnet.layer1, resnet.layer2, resnet.avgpool
        self.fc1 = torch.nn.Linear(512, 1)

    def forward(self, x):
        from torch.nn import functional as F

        half = F.interpolate(x, scale_factor=0.5, mode="nearest", recompute_scale_factor=True)
        npr = x - F.interpolate(half, scale_factor=2.0, mode="nearest", recompute_scale_factor=True)
        x = self.maxpool(self.relu(self.bn1(self.conv1(npr * 2.0 / 3.0))))
        x = self.avgpool(self.layer2(self.layer1(x)))
        return self.fc1(x.view(x.size(0), -1))


@pytest.mark.slow
def test_npr_scores_equal_the_peers(tmp_path, gan_samples_or_none):
    """NPR.pth is the bare state dict (its test.py: `model.load_state_dict(torch.load(path))`). Its test
    resizes to 256 x 256 and does not crop: the run's `published.fit=resize` does the same on every size."""
    torch.manual_seed(0)
    peer = NPRPeer()
    paths = images(tmp_path, gan_samples_or_none)
    spread_head(peer, peer.fc1, IMAGENET, paths, npr=True)
    torch.save(peer.state_dict(), tmp_path / "NPR.pth")
    run = import_run(tmp_path, "source=npr", f"weights={tmp_path / 'NPR.pth'}")
    hparams = json.loads((run / "metrics.json").read_text())["hparams"]
    assert hparams["model.name"] == "npr" and hparams["data.image_size"] == 256
    difference = assert_parity(fakeid_scores(run, paths, tmp_path), peer_scores(peer, IMAGENET, paths, npr=True))
    print(f"npr parity: max |difference| {difference:.2e} over {len(paths)} images")


@pytest.mark.slow
def test_baselines_script_evaluates_every_recognised_checkpoint_beside_a_sweep(tmp_path):
    """`make baselines` (sweeps/baselines.sh) end to end on tiny random-weight files: the folder's checkpoints are
    recognised by content (a UFD head without its tower and a stray file are skipped and listed), evaluated with
    a tiny two-seed sweep's runs on the same test sets, clean and under JPEG/blur, collected into one
    results.csv, and compared in pairs at each level (the report's "Published detectors": compare.csv each)."""
    import os
    import sys

    from torchvision.models import resnet50

    from tests.helpers.sweeps import sweep

    done = sweep(tmp_path / "train", make_layout(tmp_path / "train_data"), "tiny", "seed=0,1", "data.num_categories=2")
    assert done.returncode == 0, done.stderr[-3000:]
    tiny_sweep = tmp_path / "train" / "sweeps" / "tiny"
    assert tiny_sweep.is_dir(), sorted(str(path) for path in (tmp_path / "train").rglob("*"))[:20]

    weights = tmp_path / "weights"
    weights.mkdir()
    torch.manual_seed(0)
    torch.save({"model": resnet50(num_classes=1).state_dict()}, weights / "blur_jpg_prob0.5.pth")
    torch.save(NPRPeer().state_dict(), weights / "model_epoch_last.pth")  # recognised by content, not by name
    torch.save({"weight": torch.zeros(1, 768), "bias": torch.zeros(1)}, weights / "fc_weights.pth")
    (weights / "README.txt").write_text("not weights")
    test_sets = ("progan/cat", "stylegan2/horse")  # seen by every detector; an unseen generator
    data = make_layout(tmp_path / "data", categories=[], test_sets=test_sets, test_per_class=2, size=256)
    env = {**os.environ, "PY": sys.executable, "FAKEID_OUTPUTS": str(tmp_path / "out"), "OMP_NUM_THREADS": "1"}
    done = run_script("sweeps/baselines.sh", str(data), str(weights), str(tiny_sweep), env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "skipped 2 of 4 files" in done.stderr, done.stderr[-3000:]
    assert re.search(r"skipped \S+fc_weights.pth: UniversalFakeDetect's head without its tower", done.stderr)
    published = (tmp_path / "out" / "baselines" / "published").iterdir()
    runs = sorted(path.name for path in published if not path.name.startswith("."))  # not the folders' locks
    assert runs == ["cnndetection-blur_jpg_prob0.5", "npr-model_epoch_last"]
    with (tmp_path / "out" / "baselines" / "results.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    detectors = {row["source_run"] for row in rows}  # the two published runs and the sweep's two
    assert len(detectors) == 4 and {Path(run).name for run in detectors} >= set(runs), detectors
    levels = {row["level"] for row in rows}
    assert len(levels) == 6 and "jpeg_quality=75" in levels and "blur_sigma=1.0" in levels, levels
    report = (tmp_path / "out" / "baselines" / "report" / "index.html").read_text()
    assert "Published detectors" in report and "cnndetection (cnndetection-blur_jpg_prob0.5)" in report
    assert "npr (npr-model_epoch_last)" in report and "fakeid (" in report
    assert (tmp_path / "out" / "figures" / "baselines" / "figR.csv").is_file()
    # the paired comparisons: per level, the sweep's detector against both published ones (a published run, seed
    # "fixed", paired with each of the sweep's seeds), then the published ones against each other (images only)
    assert "Paired comparisons" in report and "against fakeid test_resnet" in report
    compared = tmp_path / "out" / "baselines" / "report" / "published"
    assert sorted(path.name for path in compared.iterdir()) == sorted(levels)
    for level in levels:
        tables = sorted(path.name for path in (compared / level).iterdir())
        assert tables == ["vs-cnndetection_cnndetection-blur_jpg_prob0.5", "vs-fakeid_test_resnet"], tables
        with (compared / level / "vs-fakeid_test_resnet" / "compare.csv").open() as handle:
            table = list(csv.DictReader(handle))
        assert {row["level"] for row in table} == {f"{name.split('-')[0]} ({name})" for name in runs}
        assert {row["n_seeds"] for row in table} == {"2"} and {row["resampling"] for row in table} == {"crossed"}
        assert all(0 <= float(row["p_holm"]) <= 1 and float(row["p_holm"]) >= float(row["p"]) for row in table)
        with (compared / level / "vs-cnndetection_cnndetection-blur_jpg_prob0.5" / "compare.csv").open() as handle:
            table = list(csv.DictReader(handle))
        assert {row["level"] for row in table} == {"npr (npr-model_epoch_last)"} and {r["n_seeds"] for r in table} == {
            "1"
        }


def peer_files(source: str, tmp_path: Path, paths: list[Path]) -> list[str]:
    """`fakeid.published`'s arguments for a random-weight file of `source`, saved as the peer saves it."""
    if source == "ufd":
        return ["source=ufd", *ufd_files(tmp_path, paths)[2]]
    torch.manual_seed(0)
    if source == "npr":
        torch.save(NPRPeer().state_dict(), tmp_path / "NPR.pth")
        return ["source=npr", f"weights={tmp_path / 'NPR.pth'}"]
    from torchvision.models import resnet50

    torch.save({"model": resnet50(num_classes=1).state_dict()}, tmp_path / "blur_jpg_prob0.5.pth")
    return ["source=cnndetection", f"weights={tmp_path / 'blur_jpg_prob0.5.pth'}"]


def fakeid_pixels(run: Path, paths: list[Path]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The run's input pixels (H x W x 3 uint8) as fakeid computes them, by the two paths that read a run: the
    evaluation's (eval and the robustness grid: its loader's dataset, through EvalData's transform) and predict's
    (scoring.prepare with the detector's crop rule)."""
    from fakeid.data.datasets import ImageFileDataset
    from fakeid.data.perturb import make
    from fakeid.evaluation.job import EvalData
    from fakeid.inference.scoring import CropRule, prepare
    from fakeid.runs.trained import from_run

    trained = from_run(run)
    size = trained.image_size
    data = EvalData(root=run, test_per_class=1, split_seed=0, image_size=size, fit=trained.fit)
    dataset = ImageFileDataset(paths, [0] * len(paths), size, data.transform(make("none")))
    evaluated = [dataset[index][0].permute(1, 2, 0).numpy() for index in range(len(paths))]
    predicted = [prepare(path, CropRule(image_size=size, fit=trained.fit)).crops[0] for path in paths]
    return evaluated, predicted


@pytest.mark.slow
@pytest.mark.parametrize("source", ["cnndetection", "ufd", "npr"])
def test_a_runs_pixels_are_the_peers_by_default_and_fakeids_with_preprocess_fakeid(source, tmp_path):
    """On odd sizes (ODD_SIZES) the pixels every command feeds the network equal the peer's own preprocessing,
    written here with torchvision as the peer writes it (no tolerance: uint8 equality); with preprocess=fakeid
    they are fakeid's decoding rule (`load_rgb`, as a trained run's), which differs from the peer's where it
    should: an odd margin rounded the other way, an image under the crop, NPR's resize."""
    from fakeid.data.images import load_rgb

    npr = source == "npr"
    paths = odd_images(tmp_path / "odd")
    args = peer_files(source, tmp_path, paths)
    peer = [np.array(peer_transform(npr)(Image.open(path).convert("RGB"))) for path in paths]
    for preprocess in ("peer", "fakeid"):
        run = tmp_path / preprocess
        done = run_module("fakeid.published", *args, f"preprocess={preprocess}", f"out={run}")
        assert done.returncode == 0, done.stderr[-2000:]
        hparams = json.loads((run / "metrics.json").read_text())["hparams"]
        fit = {"peer": "resize" if npr else "torchvision", "fakeid": "fakeid"}[preprocess]
        assert hparams["published.preprocess"] == preprocess and hparams["published.fit"] == fit
        expected = peer if preprocess == "peer" else [load_rgb(path, 256 if npr else 224) for path in paths]
        for pixels in fakeid_pixels(run, paths):
            for path, got, want in zip(paths, pixels, expected, strict=True):
                assert got.shape == want.shape and np.array_equal(got, want), f"{preprocess}: {path.name}"
    # fakeid's rule is not the peer's where it should not be: the test above could see a wrong rule
    same = {path.stem: np.array_equal(mine, theirs) for path, mine, theirs in zip(paths, expected, peer, strict=True)}
    assert same == {"255x257": False, "300x301": not npr, "200x180": False, "256x256": True}, same
