"""The flat Hydra apps (fakeid.synth, fakeid.bench) check their keys in one line before Hydra runs."""

from __future__ import annotations

import pytest

from fakeid.cli import check_group_choices, check_known_keys, config_groups, config_keys
from fakeid.errors import FakeidError


def test_keys_of_a_flat_app_are_its_config_keys():
    assert config_keys("synth")[:3] == ["out", "preset", "seed"] and config_groups("synth") == []
    assert "parts" in config_keys("bench") and "hydra" not in config_keys("bench")


@pytest.mark.parametrize("argv", [["out=/tmp/x", "seed=3"], ["hydra.run.dir=."], ["--help"], ["+extra=1"]])
def test_known_keys_pass(argv):
    check_known_keys(argv, "synth")


@pytest.mark.parametrize(
    "argv, message", [(["imagesize=32"], "unknown key imagesize"), (["parts=loader,train"], r"parts=\[loader,train\]")]
)
def test_unknown_key_or_bare_comma_is_one_line(argv, message):
    with pytest.raises(FakeidError, match=message):
        check_known_keys(argv, "bench" if "parts" in argv[0] else "synth")


def test_a_flat_key_named_like_a_group_is_not_a_group_choice():
    check_group_choices(["model=anything"], groups=config_groups("bench"))  # bench has no groups
    with pytest.raises(FakeidError, match="not a choice of `model`"):
        check_group_choices(["model=anything"])  # fakeid.train's view: model is a group
