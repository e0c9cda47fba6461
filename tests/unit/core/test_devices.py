"""`device=auto|cpu|cuda`, read the same way by every command (fakeid.core.devices)."""

from __future__ import annotations

import pytest

from fakeid.core.devices import device_name, torch_device
from fakeid.core.errors import FakeidError


@pytest.mark.parametrize("available, expected", [(True, "cuda"), (False, "cpu")])
def test_auto_is_cuda_only_where_there_is_one(available, expected):
    assert device_name("auto", cuda_available=lambda: available) == expected


def test_cpu_and_cuda_are_taken_as_given_where_usable():
    assert device_name("cpu", cuda_available=lambda: False) == "cpu"
    assert device_name("cuda", cuda_available=lambda: True) == "cuda"


def test_cuda_without_one_is_one_line_naming_the_key_and_why():
    with pytest.raises(FakeidError, match=r"^device=cuda: no CUDA provider here \(use device=cpu, or device=auto"):
        device_name("cuda", cuda_available=lambda: False, no_cuda="no CUDA provider here")


@pytest.mark.parametrize("value", ["tpu", "cuda:0", "CPU", None, 0])
def test_anything_else_is_one_line_listing_the_choices(value):
    with pytest.raises(FakeidError, match=rf"^device={value} is not one of auto, cpu, cuda$"):
        device_name(value, cuda_available=lambda: True)


def test_the_torch_device_follows_torch():
    torch = pytest.importorskip("torch")
    assert torch_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert torch_device("cpu") == torch.device("cpu")
