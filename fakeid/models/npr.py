"""NPR (Tan et al., CVPR 2024, "Rethinking the Up-Sampling Operations in CNN-based Generative Network for
Generalizable Deepfake Detection"): the network of its `networks/resnet.py`, rebuilt from torchvision's parts.

The input is the neighbouring pixel relationship (NPR): `x - up(down(x))`, where `down` keeps the top-left
pixel of each 2x2 block and `up` repeats it over the block (nearest-neighbour interpolation by 0.5 then 2, as
NPR's `interpolate`), scaled by 2/3. It is zero wherever a 2x2 block is constant, so what the network sees
is the local pattern an up-sampling layer leaves, not the content. Then a ResNet-50 cut after layer2: a 3x3
stride-2 stem convolution (not ResNet's 7x7), max pool, layer1 and layer2 of torchvision's Bottleneck blocks,
global average pool (512 features) and NPR's head `fc1 = Linear(512, num_classes)`.

The module and parameter names equal NPR's (`conv1`, `bn1`, `layer1.0.conv1`, ..., `fc1`), so NPR's published
state dict (`NPR.pth`) loads into `NPRNet(num_classes=1)` as it is. `num_classes=0` replaces `fc1` by an
identity (timm's convention): the 512 pooled features, for fakeid's own dropout head.

Where the residual is taken: inside the network, on the network's input, i.e. after the crop and the mean/std
normalisation, exactly as NPR does (its data pipeline crops and normalises, its `forward` takes the residual).
A per-channel affine normalisation only rescales the residual (the mean cancels), so this equals the residual
of the raw pixels divided by the std; taking it where NPR does keeps NPR's published weights valid unchanged.
The 2x2 grid is counted from the crop's top-left corner, so a crop at an odd offset moves the grid by one pixel
(NPR's random training crop does the same). The input's height and width must be even: NPR's interpolation
returns a smaller image otherwise, and the subtraction fails.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F
from torchvision.models.resnet import Bottleneck

RESIDUAL_SCALE = 2.0 / 3.0  # NPR's `NPR*2.0/3.0`
STRIDE = 8  # the stem convolution (2) x max pool (2) x layer2 (2): the feature map is 1/8 of the input
FEATURES = 512  # layer2's channels (128 x Bottleneck's expansion 4), the pooled feature size
LAYERS = (3, 4)  # ResNet-50's first two stages; NPR keeps only these
# ImageNet's statistics: NPR's training and test scripts normalise with them before the network
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


def npr_residual(images: torch.Tensor) -> torch.Tensor:
    """`x - up(down(x))` with nearest-neighbour interpolation by 0.5 then 2 (NPR's `interpolate`), unscaled."""
    down = F.interpolate(images, scale_factor=0.5, mode="nearest", recompute_scale_factor=True)
    return images - F.interpolate(down, scale_factor=2.0, mode="nearest", recompute_scale_factor=True)


class NPRNet(nn.Module):
    """NPR's ResNet: image batch (normalised, even height and width) -> `num_classes` logits, or the 512 pooled
    features when `num_classes=0`."""

    def __init__(self, num_classes: int = 1):
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(64, LAYERS[0])
        self.layer2 = self._make_layer(128, LAYERS[1], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc1 = nn.Linear(FEATURES, num_classes) if num_classes > 0 else nn.Identity()
        self.num_features = FEATURES
        # what fakeid reads of a timm model: the normalisation its weights expect, and its stages' strides
        self.pretrained_cfg = {"mean": MEAN, "std": STD}
        self.feature_info = [
            {"module": "layer1", "num_chs": 64 * Bottleneck.expansion, "reduction": STRIDE // 2},
            {"module": "layer2", "num_chs": FEATURES, "reduction": STRIDE},
        ]
        # NPR's initialisation (torchvision's ResNet's, without zero-initialised residual branches)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.constant_(module.weight, 1)
                nn.init.constant_(module.bias, 0)

    def _make_layer(self, planes: int, blocks: int, stride: int = 1) -> nn.Sequential:
        """torchvision's (and NPR's) `_make_layer`: a 1x1 projection on the first block when the shape changes."""
        downsample = None
        if stride != 1 or self.inplanes != planes * Bottleneck.expansion:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes * Bottleneck.expansion, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(planes * Bottleneck.expansion),
            )
        layers = [Bottleneck(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * Bottleneck.expansion
        layers += [Bottleneck(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward_features(self, images: torch.Tensor) -> torch.Tensor:
        """layer2's feature map (N, 512, H/8, W/8) of NPR's scaled residual (timm's meaning of the name)."""
        x = self.conv1(npr_residual(images) * RESIDUAL_SCALE)
        x = self.maxpool(self.relu(self.bn1(x)))
        return self.layer2(self.layer1(x))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.fc1(torch.flatten(self.avgpool(self.forward_features(images)), 1))
