"""Grad-CAM maps of a trained detector over its input: which part of an image drives its verdict.

`python -m fakeid.predict ... explain=gradcam` writes, for each scored image, an overlay PNG (and with
`explain_raw=true` the map itself as `.npy`) into `explain/` beside the CSV, and names the file in the CSV's
`explanation` column. Needs the optional extra `[explain]` (the `grad-cam` package, `pytorch_grad_cam`).

- *What is explained*: the image's verdict. For an image judged fake (score >= the verdict threshold) the
  map shows what raises the fake logit, for an image judged real what lowers it (the class the detector
  chose, the usual convention). `explain=gradcam` (Selvaraju et al. 2017, `pytorch_grad_cam.GradCAM`):
  channel weights = the spatial mean of the target's gradient at the target layer, map = ReLU(weighted sum
  of the layer's channels). `explain=layercam` (Jiang et al. 2021, `pytorch_grad_cam.LayerCAM`): map =
  ReLU(sum over channels of ReLU(gradient) x activation, element by element), made for layers shallower
  than the last, where Grad-CAM's one weight per channel can be negative for every channel: on the demo's
  32-px Xception (block 2's output) Grad-CAM gave an all-zero map for every fake we tried, LayerCAM a map for
  both verdicts (docs/report.md). Either map is bilinearly resized to the crop.
- *Target layer*: the last module whose output is the feature map the backbone's global pool reads (timm's
  `forward_features`), found by one forward pass at the crop size: `act4` for `legacy_xception` (Xception),
  `layer4` for the ResNets (`resnet50`, `test_resnet`), `bn2` for the EfficientNets. All of these reduce
  32-fold, so at the demo's 32 px that map is a single cell, which cannot say where: when it has fewer than
  `MIN_GRID` (4) cells a side, the deepest stage that timm lists in the backbone's `feature_info` with at
  least 4 is taken instead (at 32 px: `block3.rep.0`, the input of Xception's block 3, i.e. block 2's
  output; `layer2` for the ResNets; `blocks.2` for EfficientNet-B0; all 4 x 4). A backbone whose features
  are not a 2-D map (a vision transformer's tokens) is refused in one line. `explain_layer=NAME` (a module
  path inside the backbone, e.g. `block12`) picks another one.
- *Where*: the map is in the coordinates of the decoded image (its width x height). `crop=center` maps the
  centre crop the detector scored (an enlarged small image's crop is mapped back onto the original pixels);
  `crop=tiles` stitches the maps of the scored tiles; `crop=none` covers the whole image. Pixels the detector
  did not see are 0 in the map and greyed in the overlay. The map is scaled to [0, 1] by its largest value
  over the whole image (one scale for all tiles of an image; an all-zero map stays zero).
- *Overlay*: the image with the map in matplotlib's `jet` colours blended at half opacity; an image under
  `OVERLAY_MIN` px is enlarged by an integer factor (nearest neighbour) so the PNG can be looked at. The
  `.npy` keeps the image's own size.
- `exported=` files (ONNX, TorchScript) have no gradients to read: refused in one line.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn

from fakeid.core.atomic import write_bytes_atomically, write_folder_atomically
from fakeid.core.errors import FakeidError
from fakeid.data.images import center_fit, to_rgb
from fakeid.inference.scoring import CropRule, tile_origins

METHODS = ("none", "gradcam", "layercam")
FOLDER = "explain"
COLUMN = "explanation"
MIN_GRID = 4  # cells a side: a coarser map (1 x 1 at 32 px for every backbone here) cannot say where
OVERLAY_MIN = 128  # px: smaller images are enlarged (nearest) in the overlay PNG only
ALPHA = 0.5


def check_method(method: str, exported: str | None) -> bool:
    """True when `method` asks for maps; a one-line error for an unknown one or an exported model."""
    if method not in METHODS:
        raise FakeidError(f"explain={method} is not one of {', '.join(METHODS)}")
    if method == "none":
        return False
    if exported:
        raise FakeidError(
            f"explain={method} needs the detector's gradients, which an exported= file does not have "
            "(use run=RUN_DIR or ckpt=PATH)"
        )
    try:
        import pytorch_grad_cam  # noqa: F401 - the optional extra, imported here to fail early in one line
    except ImportError:
        raise FakeidError(
            f"explain={method} needs the grad-cam package: pip install -e '.[explain]' (the dev extra has it)"
        ) from None
    return True


# ----------------------------------------------------------------------------- the target layer
def feature_layer(backbone: nn.Module, image_size: int) -> str:
    """The module to explain at crops of `image_size` (module docstring): the one whose output the global
    pool reads, or, when that map has fewer than `MIN_GRID` cells a side, the deepest stage timm lists in
    `feature_info` that has enough."""
    outputs: list[tuple[str, object]] = []
    handles = [
        module.register_forward_hook(lambda _module, _input, output, name=name: outputs.append((name, output)))
        for name, module in backbone.named_modules()
        if name
    ]
    parameter = next(backbone.parameters())
    probe = torch.zeros(1, 3, image_size, image_size, device=parameter.device, dtype=parameter.dtype)
    try:
        with torch.no_grad():
            features = backbone.forward_features(probe)  # type: ignore[operator]  # timm's method
    finally:
        for handle in handles:
            handle.remove()
    if not isinstance(features, torch.Tensor) or features.ndim != 4:
        shape = tuple(features.shape) if isinstance(features, torch.Tensor) else type(features).__name__
        raise FakeidError(
            f"explain=gradcam needs a backbone whose features are a 2-D map (N, C, H, W); this one gives {shape}"
        )
    final = next(
        (
            name
            for name, output in reversed(outputs)
            if isinstance(output, torch.Tensor)
            and output.shape == features.shape
            and output.data_ptr() == features.data_ptr()
        ),
        None,
    )
    if final is None:
        raise FakeidError("explain=gradcam: no module of the backbone outputs its feature map; pass explain_layer=NAME")
    if min(features.shape[-2:]) >= MIN_GRID:
        return final
    stages = {str(item["module"]) for item in getattr(backbone, "feature_info", None) or [] if "module" in item}
    for name, output in reversed(outputs):
        if (
            name in stages
            and isinstance(output, torch.Tensor)
            and output.ndim == 4
            and min(output.shape[-2:]) >= MIN_GRID
        ):
            return name
    return final


def find_module(backbone: nn.Module, name: str) -> nn.Module:
    modules = dict(backbone.named_modules())
    if not name or name not in modules:
        top = ", ".join(key for key in modules if key and "." not in key)
        raise FakeidError(f"explain_layer={name}: no such module in the backbone (its top-level modules: {top})")
    return modules[name]


# ----------------------------------------------------------------------------- the maps
class _Logit(nn.Module):
    """0..255 float (N, 3, H, W) -> the fake logit per image: what the maps explain."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.net(self.net.normalise(images))  # type: ignore[operator]  # a DetectorNet


class _Signed:
    """The CAM target: the logit (an image judged fake) or its negative (judged real)."""

    def __init__(self, sign: float):
        self.sign = sign

    def __call__(self, output: torch.Tensor) -> torch.Tensor:
        return self.sign * output


def _unscaled(method: str):
    """pytorch_grad_cam's GradCAM (or LayerCAM) without its per-crop rescaling to [0, 1], so the tiles of one
    image keep one scale; the resize to the crop stays (bilinear)."""
    from pytorch_grad_cam import GradCAM, LayerCAM

    class Unscaled({"gradcam": GradCAM, "layercam": LayerCAM}[method]):  # type: ignore[misc]  # the chosen class
        def compute_cam_per_layer(self, input_tensor, targets, eigen_smooth):
            activations = [a.cpu().data.numpy() for a in self.activations_and_grads.activations]
            grads = [g.cpu().data.numpy() for g in self.activations_and_grads.gradients]
            height, width = input_tensor.shape[-2:]
            cams = []
            for layer, layer_activations, layer_grads in zip(self.target_layers, activations, grads, strict=True):
                cam = self.get_cam_image(input_tensor, layer, targets, layer_activations, layer_grads, eigen_smooth)
                cam = torch.from_numpy(np.maximum(cam, 0)).float()[:, None]
                resized = torch.nn.functional.interpolate(cam, size=(height, width), mode="bilinear")
                cams.append(resized.numpy())
            return cams

        def aggregate_multi_layers(self, cam_per_target_layer):
            return np.mean(np.concatenate(cam_per_target_layer, axis=1), axis=1)

    return Unscaled


@dataclass(frozen=True)
class Box:
    """Where a crop lies in the decoded image (float pixels: an enlarged image's crop maps to a fraction)."""

    left: float
    top: float
    width: float
    height: float


def crops_and_boxes(rgb: Image.Image, rule: CropRule) -> tuple[list[np.ndarray], list[Box]]:
    """The crops `fakeid.inference.scoring.cut` scores for this image, with their boxes in the image."""
    width, height = rgb.size
    size = rule.image_size
    if rule.crop == "none":
        return [np.array(rgb, dtype=np.uint8)], [Box(0, 0, width, height)]
    if rule.crop == "center" or min(width, height) < size:
        crop = np.array(center_fit(rgb, size), dtype=np.uint8)
        scale = max(1.0, size / min(width, height))  # center_fit enlarges only a side shorter than size
        wide, high = (max(size, round(width * scale)), max(size, round(height * scale))) if scale > 1 else rgb.size
        left, top = (wide - size) // 2, (high - size) // 2
        factor_x, factor_y = width / wide, height / high
        return [crop], [Box(left * factor_x, top * factor_y, size * factor_x, size * factor_y)]
    pixels = np.array(rgb, dtype=np.uint8)
    origins, _ = tile_origins(width, height, size, rule.max_tiles)
    return (
        [pixels[top : top + size, left : left + size] for left, top in origins],
        [Box(left, top, size, size) for left, top in origins],
    )


def paste(canvas: np.ndarray, seen: np.ndarray, crop_map: np.ndarray, box: Box) -> None:
    """Put one crop's map into the image's map (resized when the crop was enlarged), marking what was seen."""
    left, top = int(math.floor(box.left)), int(math.floor(box.top))
    right = min(canvas.shape[1], int(math.ceil(box.left + box.width)))
    bottom = min(canvas.shape[0], int(math.ceil(box.top + box.height)))
    region = crop_map
    if region.shape != (bottom - top, right - left):
        tensor = torch.from_numpy(np.ascontiguousarray(region, dtype=np.float32))[None, None]
        resized = torch.nn.functional.interpolate(tensor, size=(bottom - top, right - left), mode="bilinear")[0, 0]
        region = resized.numpy()
    canvas[top:bottom, left:right] = np.maximum(canvas[top:bottom, left:right], region)
    seen[top:bottom, left:right] = True


def overlay(rgb: np.ndarray, heat: np.ndarray, seen: np.ndarray) -> Image.Image:
    """The image with the map in `jet` at half opacity; unseen pixels greyed; small images enlarged."""
    from matplotlib import colormaps

    colours = colormaps["jet"](np.clip(heat, 0, 1))[..., :3] * 255
    image = rgb.astype(np.float64)
    blended = (1 - ALPHA) * image + ALPHA * colours
    grey = image.mean(axis=2, keepdims=True) * 0.6 + 40
    out = np.where(seen[..., None], blended, grey)
    picture = Image.fromarray(np.clip(np.round(out), 0, 255).astype(np.uint8))
    factor = max(1, math.ceil(OVERLAY_MIN / max(1, min(picture.size))))
    return (
        picture.resize((picture.width * factor, picture.height * factor), Image.Resampling.NEAREST)
        if factor > 1
        else picture
    )


class Explainer:
    """Grad-CAM (or LayerCAM) maps of one detector network (`DetectorNet`: a timm backbone, our head, its
    normalisation)."""

    def __init__(self, net: nn.Module, image_size: int, layer: str | None = None, method: str = "gradcam"):
        self.net = net
        self.device = next(net.parameters()).device
        self.layer = layer or feature_layer(net.backbone, image_size)  # type: ignore[arg-type]  # a DetectorNet
        self.model = _Logit(net).eval()
        self.cam = _unscaled(method)(model=self.model, target_layers=[find_module(net.backbone, self.layer)])  # type: ignore[arg-type]  # a DetectorNet

    def crop_maps(self, crops: Sequence[np.ndarray], fake: bool) -> np.ndarray:
        """(N, size, size) unscaled maps of crops of one shape, for the verdict `fake` (True) or real."""
        batch = torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2).float().to(self.device)
        batch.requires_grad_(True)  # so gradients reach the layer of a frozen tower too (model=probe)
        with torch.enable_grad():
            maps = self.cam(input_tensor=batch, targets=[_Signed(1.0 if fake else -1.0)] * len(crops))
        return np.asarray(maps, dtype=np.float32)

    def image_map(self, path: Path, rule: CropRule, fake: bool, batch_size: int) -> tuple[np.ndarray, Image.Image]:
        """The map in the image's pixels (scaled to [0, 1] over the image) and its overlay."""
        with Image.open(path) as image:
            image.load()
            rgb = to_rgb(image)
        crops, boxes = crops_and_boxes(rgb, rule)
        pixels = np.array(rgb, dtype=np.uint8)
        canvas = np.zeros(pixels.shape[:2], dtype=np.float32)
        seen = np.zeros(pixels.shape[:2], dtype=bool)
        for start in range(0, len(crops), batch_size):
            chunk = slice(start, start + batch_size)
            for crop_map, box in zip(self.crop_maps(crops[chunk], fake), boxes[chunk], strict=True):
                paste(canvas, seen, crop_map, box)
        peak = float(canvas.max())
        heat = canvas / peak if peak > 0 else canvas
        return heat, overlay(pixels, heat, seen)

    def close(self) -> None:
        self.cam.activations_and_grads.release()


# ----------------------------------------------------------------------------- predict's hook
def file_stem(index: int, path: str) -> str:
    return f"{index:05d}_{Path(path).stem}"


def write_explanations(
    rows: list[dict[str, str]],
    net: nn.Module,
    rule: CropRule,
    csv_path: Path,
    raw: bool = False,
    layer: str | None = None,
    batch_size: int = 32,
    method: str = "gradcam",
) -> Path:
    """Fill each row's `explanation` (empty for rows without a score) for its `verdict` (`fake` or `real`),
    and write `explain/` beside the CSV:
    built under a temporary name, then put in place of any previous `explain/` (it belonged to the CSV the
    new one replaces), so an interruption never leaves a half-written folder under the final name."""
    folder = csv_path.parent / FOLDER
    explainer = Explainer(net, rule.image_size, layer, method)

    def write(partial: Path) -> None:
        for index, row in enumerate(rows):
            row[COLUMN] = ""
            if not row.get("score"):
                continue
            heat, picture = explainer.image_map(Path(row["path"]), rule, row["verdict"] == "fake", batch_size)
            stem = file_stem(index, row["path"])
            buffer = io.BytesIO()
            picture.save(buffer, format="PNG")
            write_bytes_atomically(partial / f"{stem}.png", buffer.getvalue())
            if raw:
                buffer = io.BytesIO()
                np.save(buffer, heat)
                write_bytes_atomically(partial / f"{stem}.npy", buffer.getvalue())
            row[COLUMN] = f"{FOLDER}/{stem}.png"

    try:
        write_folder_atomically(folder, write)
    finally:
        explainer.close()
    return folder
