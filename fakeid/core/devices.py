"""The `device` key of every command (`fakeid.eval`, `fakeid.predict`, `fakeid.bench`): auto, cpu or cuda.

`auto` is cuda when one is usable, else cpu; `cuda` where none is usable is one line, not a CUDA error deep
inside torch. Usable means torch sees a CUDA device, or for an ONNX file, that onnxruntime has its CUDA
provider (`cuda_available=`). torch is imported only when asked: the ONNX path of `fakeid.predict` runs
without it, and importing core stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable

from fakeid.core.errors import FakeidError

DEVICES = ("auto", "cpu", "cuda")
TORCH_HAS_NO_CUDA = "no CUDA device is visible to torch here"


def torch_sees_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def device_name(
    value: object,
    *,
    key: str = "device",
    cuda_available: Callable[[], bool] = torch_sees_cuda,
    no_cuda: str = TORCH_HAS_NO_CUDA,
) -> str:
    """`auto|cpu|cuda` -> "cpu" or "cuda"; anything else, or cuda where `cuda_available()` says no (`no_cuda`
    says why), is one FakeidError line naming `key`."""
    if value not in DEVICES:
        raise FakeidError(f"{key}={value} is not one of {', '.join(DEVICES)}")
    if value == "auto":
        return "cuda" if cuda_available() else "cpu"
    if value == "cuda" and not cuda_available():
        raise FakeidError(f"{key}=cuda: {no_cuda} (use {key}=cpu, or {key}=auto for cuda where there is one)")
    return str(value)


def torch_device(value: object, key: str = "device"):
    """`auto|cpu|cuda` as the torch.device to run on (checked as `device_name` checks it)."""
    import torch

    return torch.device(device_name(value, key=key))
