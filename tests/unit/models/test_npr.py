"""NPR's network (fakeid.models.npr): its residual and the state-dict layout of NPR's `networks/resnet.py`."""

import torch

from fakeid.models.npr import STRIDE, NPRNet, npr_residual


def npr_state_dict_shapes(num_classes: int = 1) -> dict[str, tuple[int, ...]]:
    """The keys and shapes NPR's definition implies, written out from it independently of NPRNet: a 3x3 stem
    conv (3 -> 64), bn1, ResNet-50's layer1 (3 Bottlenecks of width 64) and layer2 (4 of width 128, stride 2),
    a 1x1 projection on each stage's first block, and fc1 = Linear(512, num_classes)."""
    shapes: dict[str, tuple[int, ...]] = {}

    def batchnorm(prefix: str, channels: int) -> None:
        for name in ("weight", "bias", "running_mean", "running_var"):
            shapes[f"{prefix}.{name}"] = (channels,)
        shapes[f"{prefix}.num_batches_tracked"] = ()

    shapes["conv1.weight"] = (64, 3, 3, 3)
    batchnorm("bn1", 64)
    inplanes = 64
    for layer, (planes, blocks) in enumerate(((64, 3), (128, 4)), start=1):
        for block in range(blocks):
            prefix = f"layer{layer}.{block}"
            shapes[f"{prefix}.conv1.weight"] = (planes, inplanes, 1, 1)
            batchnorm(f"{prefix}.bn1", planes)
            shapes[f"{prefix}.conv2.weight"] = (planes, planes, 3, 3)
            batchnorm(f"{prefix}.bn2", planes)
            shapes[f"{prefix}.conv3.weight"] = (planes * 4, planes, 1, 1)
            batchnorm(f"{prefix}.bn3", planes * 4)
            if block == 0:
                shapes[f"{prefix}.downsample.0.weight"] = (planes * 4, inplanes, 1, 1)
                batchnorm(f"{prefix}.downsample.1", planes * 4)
            inplanes = planes * 4
    shapes["fc1.weight"] = (num_classes, 512)
    shapes["fc1.bias"] = (num_classes,)
    return shapes


def test_state_dict_keys_and_shapes_are_nprs():
    state = NPRNet(num_classes=1).state_dict()
    assert {key: tuple(value.shape) for key, value in state.items()} == npr_state_dict_shapes()


def test_features_only_without_fc1():
    net = NPRNet(num_classes=0).eval()
    assert not any(key.startswith("fc1.") for key in net.state_dict())
    assert net(torch.randn(2, 3, 32, 32)).shape == (2, net.num_features) == (2, 512)


def test_constant_two_by_two_blocks_have_a_zero_residual():
    blocks = torch.randn(2, 3, 8, 12)
    images = blocks.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)  # every 2x2 block constant
    assert torch.count_nonzero(npr_residual(images)) == 0
    # so the network sees the same (zero) input whatever the content: equal outputs for different images
    net = NPRNet().eval()
    assert torch.allclose(net(images), net(torch.zeros_like(images)))


def test_residual_keeps_the_top_left_pixel_of_each_block():
    images = torch.randn(1, 3, 6, 6)
    residual = npr_residual(images)
    assert torch.count_nonzero(residual[..., ::2, ::2]) == 0  # the kept pixels
    expected = images - images[..., ::2, ::2].repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)
    assert torch.equal(residual, expected)
    assert torch.count_nonzero(residual[..., 1::2, 1::2]) == residual[..., 1::2, 1::2].numel()


def test_stride_is_eight():
    net = NPRNet(num_classes=0).eval()
    assert net.forward_features(torch.randn(1, 3, 64, 48)).shape == (1, 512, 64 // STRIDE, 48 // STRIDE)
    assert net.feature_info[-1]["reduction"] == STRIDE
