"""Published detectors into run folders: `python -m fakeid.published source=... weights=FILE out=RUN`.

A peer's checkpoint becomes a run folder like a finished training run's (docs/published.md): its
`checkpoints/tested.ckpt` is a FakeImageDetector checkpoint holding the peer's weights under fakeid's names, and
its metrics.json says what it is (`published.*`: the source, the weight file's sha256, the peer's preprocessing),
so eval, predict, export, the robustness grid, collect and the report take it with `run=RUN` as they take a
trained run. Nothing is trained and no test label is seen: the threshold is 0.5 on the sigmoid, the peers' own
rule.

Each source maps onto a network fakeid already builds, so one scoring path serves them all:
- `cnndetection` (Wang et al. 2020, `{'model': state_dict}`): torchvision's ResNet-50 with `fc` 2048 -> 1. timm's
  `resnet50` has the same layers under the same names and the same forward pass, so the weights load into
  `model.name=resnet50` with fc as the head's Linear. ImageNet mean/std, no resize, centre crop 224.
- `ufd` (UniversalFakeDetect, Ojha et al. 2023): the head file `fc_weights.pth` (`{'weight': [1, 768],
  'bias': [1]}`) on CLIP ViT-L/14's image embedding: `model.name=open_clip:ViT-L-14-quickgelu`, the tower's
  weights from `clip_weights=FILE` (an open_clip state dict). CLIP mean/std, no resize, centre crop 224.
- `npr` (Tan et al. 2024, NPR.pth: the bare state dict of its `resnet50(num_classes=1)`): `model.name=npr`
  (fakeid.models.npr, NPR's parameter names) with `fc1` as the head's Linear. ImageNet mean/std, the whole
  image, resized to 256 x 256 by its test.py (ForenSynths: `Resize((256, 256))`, bilinear), which leaves the
  256 x 256 ProGAN/LSUN images as they are.

`preprocess=peer` (the default) records the peer's own rule as `published.fit` (`fakeid.data.images.FIT_RULES`:
`torchvision` for CNNDetection's and UFD's `CenterCrop(224)`, `resize` for NPR's), which every command that reads
the run applies (`TrainedDetector.fit`): the peer's pixels exactly, on every image. `preprocess=fakeid` records
fakeid's centre crop instead, so the detector sees what a trained run sees: the same pixels on the 256 x 256
ProGAN/LSUN images with even margins, but an odd margin is rounded down (torchvision rounds half to even: one
pixel's shift), an image under the crop is enlarged (torchvision pads it with zeros), and NPR's input is the
256 centre crop (its test resizes the whole image).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from fakeid.core.configs import PREPROCESS_CHOICES
from fakeid.core.errors import FakeidError
from fakeid.data.images import FAKEID_FIT
from fakeid.models.open_clip_tower import PREFIX, tower_name
from fakeid.runs.checkpoint_file import load_checkpoint_file
from fakeid.runs.files import CHECKPOINT_DIR
from fakeid.runs.identity import config_hash
from fakeid.runs.record import RunRecord, write_record

PEER_THRESHOLD = 0.5  # the peers' rule: fake when sigmoid(logit) >= 0.5
TESTED = "tested.ckpt"
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
CLIP_MEAN, CLIP_STD = (0.48145466, 0.4578275, 0.40821073), (0.26862954, 0.26130258, 0.27577711)
# the 20 LSUN categories of CNNDetection's ProGAN training set (UniversalFakeDetect trains on the same set)
PROGAN_20 = (
    "airplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
    "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor",
)  # fmt: skip
PROGAN_4 = ("car", "cat", "chair", "horse")  # NPR's training classes (its README and train.sh)
CLIP_HELP = (
    "UniversalFakeDetect's tower is OpenAI's CLIP ViT-L/14: on a machine with internet download "
    "open_clip_pytorch_model.bin (or open_clip_model.safetensors) from huggingface.co/timm/"
    "vit_large_patch14_clip_224.openai, copy it here and pass clip_weights=FILE"
)


@dataclass(frozen=True)
class Source:
    """One published detector: its network in fakeid's terms and its preprocessing at evaluation."""

    name: str
    model: str  # model.name of the network its weights load into
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    crop: int  # centre crop, no resize
    file_format: str  # what weights= holds, for the one-line errors
    paper: str
    get: str  # where the weights come from
    resize: str | None = None  # the peer's evaluation resize (None: none)
    crop_rule: str = ""  # how the record describes the crop ("" : a centre crop of `crop`)
    head: str = "fc."  # the prefix of the peer's classifier in its state dict
    trained_on: tuple[str, ...] = PROGAN_20  # its ProGAN training categories (seen content in the eval's rows)
    fit: str = "torchvision"  # the peer's rule to crop x crop (fakeid.data.images.FIT_RULES)

    @property
    def crop_text(self) -> str:
        return self.crop_rule or f"center {self.crop}"


SOURCES = {
    "cnndetection": Source(
        "cnndetection",
        "resnet50",
        IMAGENET_MEAN,
        IMAGENET_STD,
        224,
        "{'model': ResNet-50 state_dict} with fc 2048->1 (CNNDetection's blur_jpg_prob0.5.pth)",
        "Wang et al., CNN-generated images are surprisingly easy to spot... for now, CVPR 2020",
        "github.com/PeterWang512/CNNDetection (weights/download_weights.sh)",
    ),
    "ufd": Source(
        "ufd",
        "open_clip:ViT-L-14-quickgelu",
        CLIP_MEAN,
        CLIP_STD,
        224,
        "{'weight': [1, 768], 'bias': [1]} (UniversalFakeDetect's pretrained_weights/fc_weights.pth)",
        "Ojha et al., Towards Universal Fake Image Detectors that Generalize Across Generative Models, CVPR 2023",
        "github.com/Yuheng-Li/UniversalFakeDetect (pretrained_weights/fc_weights.pth)",
    ),
    "npr": Source(
        "npr",
        "npr",
        IMAGENET_MEAN,
        IMAGENET_STD,
        256,
        "NPR's resnet50(num_classes=1) state_dict: conv1 3x3, layer1-2, fc1 512->1 (NPR.pth)",
        "Tan et al., Rethinking the Up-Sampling Operations in CNN-based Generative Network for Generalizable "
        "Deepfake Detection, CVPR 2024",
        "github.com/chuangchuangtan/NPR-DeepfakeDetection (model_epoch_last_3090.pth / NPR.pth, its README's link)",
        resize="(256, 256) bilinear, which leaves a 256 x 256 image as it is",
        crop_rule="none: the whole 256 x 256 image",
        head="fc1.",
        trained_on=PROGAN_4,
        fit="resize",
    ),
}


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_weights(path: Path, key: str) -> Any:
    """A weight file's content, as data only (`fakeid.runs.checkpoint_file`; .safetensors by safetensors)."""
    if not path.is_file():
        raise FakeidError(f"{key}={path} is not a file")
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        try:
            return load_file(str(path))
        except Exception as err:  # noqa: BLE001 - safetensors raises its own types for a bad file
            raise FakeidError(f"{key}={path} is not a safetensors file ({type(err).__name__})") from None
    try:
        return load_checkpoint_file(path, label=key)
    except FakeidError:
        raise
    except Exception as err:  # noqa: BLE001 - torch raises many types for a file that is not a checkpoint
        raise FakeidError(f"{key}={path} is not a PyTorch weight file ({type(err).__name__})") from None


def tensors(payload: Any, key: str, path: Path, expected: str) -> dict[str, Any]:
    import torch

    if not isinstance(payload, Mapping) or not all(isinstance(v, torch.Tensor) for v in payload.values()):
        raise FakeidError(f"{key}={path} does not hold a state dict of tensors: expected {expected}")
    return dict(payload)


def resnet_weights(path: Path, spec: Source) -> dict[str, Any]:
    """A ResNet's state dict -> fakeid's `net.` names: CNNDetection's `{'model': sd}` (as its trainer saves),
    NPR's bare state dict (as its test.py loads it; a `{'model': sd}` of its trainer is taken too)."""
    payload = read_weights(path, "weights")
    if isinstance(payload, Mapping) and isinstance(payload.get("model"), Mapping):
        payload = payload["model"]
    elif spec.name == "cnndetection":
        raise FakeidError(f"weights={path} holds no 'model' entry: expected {spec.file_format}")
    state = tensors(payload, "weights", path, spec.file_format)
    named = {}
    for name, value in state.items():
        name = name.removeprefix("module.")  # saved from DataParallel
        head = name.startswith(spec.head)
        named[f"net.head.1.{name[len(spec.head) :]}" if head else f"net.backbone.{name}"] = value
    return named


def ufd_weights(path: Path, clip_weights: str | None) -> dict[str, Any]:
    """The head file and the CLIP file's `visual.` tower -> fakeid's `net.` names."""
    head = tensors(read_weights(path, "weights"), "weights", path, SOURCES["ufd"].file_format)
    if not clip_weights:
        raise FakeidError(f"clip_weights= is required for source=ufd: {CLIP_HELP}")
    clip_path = Path(clip_weights).expanduser()
    if not clip_path.is_file():
        raise FakeidError(f"clip_weights={clip_path} is not a file: {CLIP_HELP}")
    clip = read_weights(clip_path, "clip_weights")
    if isinstance(clip, Mapping) and isinstance(clip.get("state_dict"), Mapping):
        clip = clip["state_dict"]
    clip = tensors(clip, "clip_weights", clip_path, "an open_clip CLIP state dict (visual.* keys)")
    tower = {
        f"net.backbone.visual.{name.removeprefix('module.')[len('visual.') :]}": value
        for name, value in clip.items()
        if name.removeprefix("module.").startswith("visual.")
    }
    if not tower:
        raise FakeidError(f"clip_weights={clip_path} holds no visual.* keys: expected an open_clip CLIP state dict")
    return {**tower, **{f"net.head.1.{name}": value for name, value in head.items()}}


def check_state(state: Mapping[str, Any], target: Mapping[str, Any], source: Source, key_of: Callable) -> None:
    """Every key of the network present once with its shape, and nothing else: one line naming the first
    that is not, with the file (`key_of(name)`) and the expected shape."""
    for name, value in target.items():
        if name in ("net.mean", "net.std"):
            continue
        if name not in state:
            raise FakeidError(
                f"{key_of(name)}: {peer_name(name, source)} is missing (expected shape {list(value.shape)} for "
                f"source={source.name}: {source.file_format})"
            )
        if tuple(state[name].shape) != tuple(value.shape):
            raise FakeidError(
                f"{key_of(name)}: {peer_name(name, source)} has shape {list(state[name].shape)}, expected "
                f"{list(value.shape)} (source={source.name}: {source.file_format})"
            )
    extra = sorted(set(state) - set(target))
    if extra:
        raise FakeidError(
            f"{key_of(extra[0])}: {peer_name(extra[0], source)} is not a weight of source={source.name}'s network "
            f"({len(extra)} unknown keys; expected {source.file_format})"
        )


def peer_name(name: str, source: Source) -> str:
    """A fakeid key as the peer's file names it."""
    if name.startswith("net.head.1."):
        return source.head + name[len("net.head.1.") :]
    return name.removeprefix("net.backbone.")


@dataclass
class Imported:
    run_dir: Path
    record: RunRecord


def import_published(
    source: str,
    weights: str | None,
    out: str | None,
    clip_weights: str | None = None,
    overwrite: bool = False,
    preprocess: str = "peer",
    clip_model: str | None = None,
) -> Imported:
    """`weights` of `source` into the run folder `out` (module docstring); `clip_model`: UFD's tower as an
    open_clip model name or config file (`fakeid.models.open_clip_tower`), ViT-L/14 when None."""
    import pytorch_lightning as pl
    import torch

    from fakeid.core.atomic import write_folder_atomically
    from fakeid.models.detector import FakeImageDetector
    from fakeid.runs.outputs import check_output

    if source not in SOURCES:
        raise FakeidError(f"source={source}: expected one of {', '.join(SOURCES)}")
    if not weights:
        raise FakeidError(f"weights= is required: the {source} weight file ({SOURCES[source].file_format})")
    if not out:
        raise FakeidError("out= is required: the run folder to write")
    if preprocess not in PREPROCESS_CHOICES:
        raise FakeidError(f"preprocess={preprocess}: expected one of {', '.join(PREPROCESS_CHOICES)}")
    spec, path, run_dir = SOURCES[source], Path(weights).expanduser().resolve(), Path(out).expanduser().resolve()
    if source == "ufd" and clip_model:
        spec = replace(spec, model=PREFIX + tower_name(clip_model))
    if preprocess == "fakeid":
        spec = replace(spec, fit=FAKEID_FIT, resize=None, crop_rule=f"center {spec.crop} (fakeid's rule)")
    check_output(run_dir, overwrite, what="run folder")
    if not path.is_file():
        raise FakeidError(f"weights={path} is not a file: get it from {spec.get}")
    state = ufd_weights(path, clip_weights) if source == "ufd" else resnet_weights(path, spec)
    module = FakeImageDetector(
        name=spec.model, drop_rate=0.0, lr=0.0, hflip=False, compile=False, bn_recalibration_batches=0
    )
    target = module.state_dict()
    clip = Path(clip_weights).expanduser().resolve() if clip_weights else None

    def key_of(name: str) -> str:  # which file a network key comes from, as the command line names it
        return f"clip_weights={clip}" if clip and not name.startswith("net.head.") else f"weights={path}"

    check_state(state, target, spec, key_of)
    state["net.mean"] = torch.tensor(spec.mean).view(1, 3, 1, 1) * 255
    state["net.std"] = torch.tensor(spec.std).view(1, 3, 1, 1) * 255
    module.load_state_dict(state, strict=True)
    hparams = published_hparams(spec, path, clip_weights, preprocess)
    checkpoint = {
        "state_dict": module.state_dict(),
        "hyper_parameters": dict(module.hparams),
        "datamodule_hyper_parameters": {"image_size": spec.crop},
        "pytorch-lightning_version": pl.__version__,
    }
    tested = run_dir / CHECKPOINT_DIR / TESTED
    record = RunRecord(
        status="ok",
        hparams=hparams,
        config_hash=config_hash(hparams),
        threshold=PEER_THRESHOLD,
        tested_checkpoint=str(tested),
    )

    def write(folder: Path) -> None:
        (folder / CHECKPOINT_DIR).mkdir()
        torch.save(checkpoint, folder / CHECKPOINT_DIR / TESTED)
        write_record(folder, record)

    write_folder_atomically(run_dir, write)
    return Imported(run_dir, record)


def published_hparams(spec: Source, path: Path, clip_weights: str | None, preprocess: str) -> dict[str, Any]:
    """The run's flat hparams: the network as fakeid builds it and what the peer's files and protocol are."""
    hparams: dict[str, Any] = {
        "model.name": spec.model,
        "model.drop_rate": 0.0,
        "model.hflip": False,
        "data.image_size": spec.crop,
        # what the peer trained on, as a training run records it: the eval's rows say which sets are seen
        "data.train_generator": "progan",
        "data.categories_used": list(spec.trained_on),
        "published.source": spec.name,
        "published.weights": str(path),
        "published.weights_sha256": sha256_of(path),
        "published.resize": spec.resize,  # None: the peer's evaluation does not resize
        "published.crop": spec.crop_text,
        "published.preprocess": preprocess,
        "published.fit": spec.fit,  # what eval, predict and export apply (fakeid.runs.trained.fit_rule)
        "published.mean": list(spec.mean),
        "published.std": list(spec.std),
        "published.input_size": spec.crop,
        "published.threshold": f"{PEER_THRESHOLD} on the sigmoid (the peer's rule; no label seen)",
        "published.paper": spec.paper,
    }
    if clip_weights:
        clip = Path(clip_weights).expanduser().resolve()
        hparams["published.clip_weights"] = str(clip)
        hparams["published.clip_weights_sha256"] = sha256_of(clip)
    return hparams


WEIGHT_SUFFIXES = (".pth", ".pt", ".bin", ".ckpt", ".safetensors")  # the files a weights folder is searched for


def shape_of(state: Any, key: str) -> tuple[int, ...] | None:
    value: Any = state.get(key) if isinstance(state, Mapping) else None
    return tuple(value.shape) if hasattr(value, "shape") else None


def recognise(payload: Any) -> str | None:
    """Which source a weight file is, by its content (never its name): CNNDetection's `{'model': sd}` with
    `fc.weight` [1, 2048]; NPR's state dict (bare or under 'model') with `fc1.weight` [1, 512]; UFD's head,
    exactly `weight` [1, 768] and `bias` [1]; `clip` for a CLIP state dict (`visual.*`, UFD's tower)."""
    model = payload.get("model") if isinstance(payload, Mapping) else None
    if shape_of(model, "fc.weight") == (1, 2048):
        return "cnndetection"
    if shape_of(model, "fc1.weight") == (1, 512) or shape_of(payload, "fc1.weight") == (1, 512):
        return "npr"
    if isinstance(payload, Mapping) and set(payload) == {"weight", "bias"} and shape_of(payload, "weight") == (1, 768):
        return "ufd"
    if isinstance(payload, Mapping) and any(str(key).removeprefix("module.").startswith("visual.") for key in payload):
        return "clip"
    return None


@dataclass
class Found:
    """A weights folder sorted out: the checkpoints to import, UFD's tower and the files that are neither."""

    checkpoints: list[tuple[str, Path]]
    clip: Path | None
    skipped: list[tuple[Path, str]]


def survey(folder: Path) -> Found:
    found = Found([], None, [])
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix not in WEIGHT_SUFFIXES:
            found.skipped.append((path, "not a weight file's suffix"))
            continue
        try:
            kind = recognise(read_weights(path, "weights"))
        except FakeidError as err:
            found.skipped.append((path, str(err)))
            continue
        if kind is None:
            found.skipped.append((path, "not a checkpoint of cnndetection, ufd or npr"))
        elif kind == "clip":
            found.clip = found.clip or path
        else:
            found.checkpoints.append((kind, path))
    return found


def import_folder(
    folder: Path,
    out: str | None,
    clip_weights: str | None,
    overwrite: bool,
    preprocess: str = "peer",
    clip_model: str | None = None,
) -> list[Imported]:
    """Every checkpoint recognised in `folder` (`recognise`) into `out/<source>-<file stem>`; what is not one
    is counted and listed on stderr. UFD's head needs a CLIP tower: `clip_weights=` or a CLIP file in `folder`;
    without one the head is skipped (listed)."""
    import sys

    if not out:
        raise FakeidError("out= is required: the folder to write one run folder per checkpoint into")
    found = survey(folder)
    clip = clip_weights or (str(found.clip) if found.clip else None)
    todo = []
    for kind, path in found.checkpoints:
        if kind == "ufd" and not clip:
            found.skipped.append((path, f"UniversalFakeDetect's head without its tower: {CLIP_HELP}"))
        else:
            todo.append((kind, path))
    if not todo:
        raise FakeidError(
            f"weights={folder} holds no checkpoint of cnndetection, ufd or npr ({len(found.skipped)} files looked at)"
        )
    root = Path(out).expanduser()
    done = [
        import_published(
            kind,
            str(path),
            str(root / f"{kind}-{path.stem}"),
            clip if kind == "ufd" else None,
            overwrite,
            preprocess,
            clip_model,
        )
        for kind, path in todo
    ]
    for path, why in found.skipped:
        print(f"fakeid: note: skipped {path}: {why}", file=sys.stderr)
    if found.skipped:
        print(f"fakeid: note: skipped {len(found.skipped)} of {len(found.skipped) + len(todo)} files", file=sys.stderr)
    return done
