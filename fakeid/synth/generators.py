"""Fixed, seeded "generator networks" that leave GAN upsampling fingerprints on upsampled content.

A real GAN synthesises an image through a stack of x2 upsampling layers followed by convolutions, and the
upsampling operator leaves periodic traces in the spectrum (Zhang, Karaman & Chang 2019; Durall et al. 2020).
We keep that mechanism and drop the learning: each generator takes low-resolution content and applies
x2 stages of `upsample -> near-identity conv`, with random weights fixed by a generator seed (never
trained). The three families differ only in the operators the literature ties to different fingerprints:

- `nearest`: nearest-neighbour upsampling + conv (ProGAN's choice) -> period-2 block traces;
- `transposed`: transposed convolution with stride 2 (DCGAN-style) -> checkerboard from uneven overlap;
- `modulated`: bilinear upsampling + per-image modulated/demodulated conv + injected per-pixel noise
  (StyleGAN2's choice) -> smoother upsampling, but noise-driven fine texture.

Weights come from numpy, so they are the same on every machine, preset and image size.
"""

from __future__ import annotations

import zlib

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

# Fixed forever: changing it changes every fake image of every preset.
GENERATOR_SEED = 2021
HIDDEN_CHANNELS = 16
# Size of the learned-looking perturbation around the identity; small, so content stays recognisable.
RESIDUAL_STRENGTH = 0.1
KERNEL_JITTER = 0.03
NOISE_STRENGTH = 0.03

# Base kernels to perturb. After nearest x2, the binomial [1,2,1]/4 would turn the blocks into exact
# bilinear interpolation; a trained ProGAN conv is no exact interpolator, so its base smooths only half-way.
_BINOMIAL = np.outer([1, 2, 1], [1, 2, 1]).astype(np.float32) / 16
_HALF_SMOOTHING = np.outer([1, 6, 1], [1, 6, 1]).astype(np.float32) / 64


def _weights_rng(name: str, stage: int) -> np.random.Generator:
    return np.random.default_rng([GENERATOR_SEED, zlib.crc32(name.encode()), stage])


def _zero_mean(weights: np.ndarray) -> np.ndarray:
    """Remove each (output, input) kernel's DC gain: the perturbation shapes texture, not mean colour,
    as a trained generator matches the colour statistics of its data."""
    return weights - weights.mean(axis=(-2, -1), keepdims=True)


def _near_identity_kernel(rng: np.random.Generator, base: np.ndarray, jitter: float) -> torch.Tensor:
    """RGB->RGB kernel: `base` on each channel's own path plus small zero-mean random weights."""
    kernel = np.zeros((3, 3, *base.shape), np.float32)
    for channel in range(3):
        kernel[channel, channel] = base
    kernel += _zero_mean(rng.normal(0, jitter, kernel.shape)).astype(np.float32)  # type: ignore[arg-type]  # an array
    return torch.from_numpy(kernel)


class Residual(nn.Module):
    """x + strength * conv(leaky_relu(conv(x))): a fixed random nonlinear texture added to the image.

    The outer conv has zero DC gain, so flat regions stay flat: the texture appears around structure."""

    first: torch.Tensor  # buffers, registered in __init__
    second: torch.Tensor

    def __init__(self, rng: np.random.Generator) -> None:
        super().__init__()
        fan_in_first, fan_in_second = 3 * 9, HIDDEN_CHANNELS * 9
        first = rng.normal(0, np.sqrt(2 / fan_in_first), (HIDDEN_CHANNELS, 3, 3, 3))
        second = _zero_mean(rng.normal(0, np.sqrt(1 / fan_in_second), (3, HIDDEN_CHANNELS, 3, 3)))
        self.register_buffer("first", torch.from_numpy(first.astype(np.float32)))
        self.register_buffer("second", torch.from_numpy(second.astype(np.float32)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hidden = F.leaky_relu(F.conv2d(x - 0.5, self.first, padding=1), 0.2)
        return x + RESIDUAL_STRENGTH * F.conv2d(hidden, self.second, padding=1)


class NearestStage(nn.Module):
    """ProGAN-style: nearest-neighbour x2, then a near-identity, partly smoothing conv."""

    kernel: torch.Tensor  # a buffer, registered in __init__

    def __init__(self, rng: np.random.Generator) -> None:
        super().__init__()
        self.register_buffer("kernel", _near_identity_kernel(rng, _HALF_SMOOTHING, KERNEL_JITTER))

    def forward(self, x: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
        x = F.interpolate(x, scale_factor=2, mode="nearest")
        return F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), self.kernel)


class TransposedStage(nn.Module):
    """DCGAN-style: transposed conv, kernel 4 stride 2, around bilinear weights.

    With exactly bilinear weights the overlapping kernels sum evenly; the random jitter breaks that balance
    between even and odd output pixels, which is where the checkerboard of trained deconvolutions comes from.
    """

    kernel: torch.Tensor  # a buffer, registered in __init__

    def __init__(self, rng: np.random.Generator) -> None:
        super().__init__()
        bilinear = np.outer([1, 3, 3, 1], [1, 3, 3, 1]).astype(np.float32) / 16
        self.register_buffer("kernel", _near_identity_kernel(rng, bilinear, KERNEL_JITTER))

    def forward(self, x: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
        padded = F.pad(x, (1, 1, 1, 1), mode="replicate")
        return F.conv_transpose2d(padded, self.kernel, stride=2, padding=3)


def _output_norms(weight: torch.Tensor) -> torch.Tensor:
    """L2 norm of each output channel's kernel (over input channels and taps), kept broadcastable."""
    return weight.pow(2).sum(dim=(-3, -2, -1), keepdim=True).sqrt()


class ModulatedStage(nn.Module):
    """StyleGAN2-style: bilinear x2, conv whose input channels are scaled by a per-image style and whose
    output is demodulated (rescaled to the unmodulated weight's norm), then per-pixel noise."""

    kernel: torch.Tensor  # buffers, registered in __init__
    noise_gain: torch.Tensor

    def __init__(self, rng: np.random.Generator) -> None:
        super().__init__()
        self.register_buffer("kernel", _near_identity_kernel(rng, _BINOMIAL, KERNEL_JITTER))
        self.register_buffer("noise_gain", torch.from_numpy(rng.uniform(0.5, 1.5, (1, 3, 1, 1)).astype(np.float32)))

    def forward(self, x: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
        n, _, height, width = x.shape
        x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        style = torch.from_numpy(rng.normal(1.0, 0.2, (n, 1, 3, 1, 1)).astype(np.float32))
        weight = self.kernel[None] * style
        weight = weight * (_output_norms(self.kernel[None]) / _output_norms(weight))
        # Per-image weights as one grouped convolution: the batch becomes the channel groups.
        padded = F.pad(x, (1, 1, 1, 1), mode="replicate").reshape(1, n * 3, 2 * height + 2, 2 * width + 2)
        x = F.conv2d(padded, weight.reshape(n * 3, 3, 3, 3), groups=n).reshape(n, 3, 2 * height, 2 * width)
        noise = torch.from_numpy(rng.standard_normal((n, 1, 2 * height, 2 * width)).astype(np.float32))
        return x + NOISE_STRENGTH * self.noise_gain * noise


STAGES: dict[str, type[nn.Module]] = {
    "nearest": NearestStage,
    "transposed": TransposedStage,
    "modulated": ModulatedStage,
}


class FixedGenerator(nn.Module):
    """`stages` x2 upsampling stages of one family, each followed by a fixed random residual texture."""

    def __init__(self, family: str, stages: int) -> None:
        super().__init__()
        self.upsample = nn.ModuleList(STAGES[family](_weights_rng(family, i)) for i in range(stages))
        self.texture = nn.ModuleList(Residual(_weights_rng(family + "/residual", i)) for i in range(stages))

    @torch.inference_mode()
    def forward(self, low_res: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """(n, h, w, 3) float in [0, 1] -> (n, h * 2^stages, w * 2^stages, 3) float32 in [0, 1].

        `rng` feeds the per-image randomness (styles, noise), so it follows the dataset seed, not the weights.
        """
        x = torch.from_numpy(np.ascontiguousarray(low_res.transpose(0, 3, 1, 2), dtype=np.float32))
        for upsample, texture in zip(self.upsample, self.texture, strict=True):
            x = texture(upsample(x, rng))
        return x.clamp(0, 1).permute(0, 2, 3, 1).numpy()


def downsample(images: np.ndarray, factor: int) -> np.ndarray:
    """Area-average (n, s, s, 3) by `factor`: the low-resolution content a generator starts from."""
    n, size, _, channels = images.shape
    low = size // factor
    return images.reshape(n, low, factor, low, factor, channels).mean(axis=(2, 4))
