"""The one schema mechanism (fakeid.core.schema, fakeid.core.configs, fakeid.core.sweeps): rules read from the
field metadata, the nearest valid key, the sweep's jobs in Hydra's order, the reference and --help rows."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from omegaconf import OmegaConf

from fakeid.core.cli import _compose
from fakeid.core.configs import COMMANDS, GROUPS, DataConfig
from fakeid.core.schema import (
    config_problem,
    help_text,
    mapping_problem,
    nearest,
    reference_rows,
    setting,
    unknown_key,
)
from fakeid.core.sweeps import jobs, values


@dataclasses.dataclass
class Toy:
    count: int = setting(3, "how many", low=1)
    share: float = setting(0.5, "a share", low=0, high=1, high_open=True)
    mode: str = setting("a", "which", choices=("a", "b"))
    span: Any = setting([1, 2], "an interval", interval=True, low=0, high=10, whole=True)
    maybe: int | None = setting(None, "or null", low=0)


@pytest.mark.parametrize(
    "values, expected",
    [
        ({"count": 3, "share": 0.2, "mode": "b", "span": [0, 10], "maybe": None}, None),
        ({"count": 0}, "count=0: expected an integer of at least 1 (how many)"),
        ({"share": 1.0}, "share=1.0: expected a number in [0, 1) (a share)"),
        ({"mode": "c"}, "mode=c: expected one of a, b (which)"),
        ({"span": [5, 2]}, "span=[5, 2] is inverted: expected [low, high] with low <= high, within [0, 10]"),
        ({"span": [1.5, 2]}, "span=[1.5, 2]: expected whole numbers within [0, 10]"),
        ({"span": 4}, None),  # one number means [4, 4]
        ({"maybe": -1}, "maybe=-1: expected an integer of at least 0 (or null)"),
        ({"count": True}, "count=True: expected an integer"),
        ({"cont": 1}, "cont=1: unknown key 'cont' for python -m fakeid.train; did you mean 'count'?"),
    ],
)
def test_the_rules_come_from_the_field_metadata(values, expected):
    problem = mapping_problem(values, Toy)
    assert problem == expected if expected is None else problem.startswith(expected), problem


def test_a_composed_config_is_walked_by_its_nodes_dataclasses():
    cfg = _compose("train", ["data.batch_size=2"])
    assert OmegaConf.get_type(cfg.data) is DataConfig and config_problem(cfg, "train") is None
    cfg.data.batch_size = 0  # typed: OmegaConf still takes an int, the range is the generic check's
    assert config_problem(cfg, "train") == (
        "data.batch_size=0: expected an integer of at least 1 (images per training batch, per device)"
    )
    with pytest.raises(Exception, match="could not be converted to Integer"):
        cfg.data.batch_size = "x"  # the type is OmegaConf's, on every assignment


def test_an_interpolated_key_is_checked_where_it_is_declared():
    cfg = _compose("train", ["seed=-1"])
    assert config_problem(cfg, "train").startswith("seed=-1: expected an integer from 0 to 4294967295")


def test_an_unknown_key_names_the_nearest_or_the_choice_that_declares_it():
    assert nearest("data.num_categoris", ["data.num_categories", "data.categories"]) == "data.num_categories"
    assert nearest("zzz", ["data.root"]) is None
    line = unknown_key("augment.scale=0.5", "augment.scale", "train", ["augment.crop"])
    assert (
        line == "augment.scale=0.5: a key of augment=resize, not of the chosen augment (pass augment=resize to use it)"
    )


def test_a_sweep_expands_as_hydras_basic_sweeper_launches_it():
    # the sweeper's params first, then the command line's (a later one replaces an earlier one of the same key)
    found = jobs({"seed": "0,1", "data.num_categories": "1,3"}, ["seed=5,6", "model.drop_rate=0.1"], "test")
    assert found == [
        ["seed=5", "data.num_categories=1", "model.drop_rate=0.1"],
        ["seed=5", "data.num_categories=3", "model.drop_rate=0.1"],
        ["seed=6", "data.num_categories=1", "model.drop_rate=0.1"],
        ["seed=6", "data.num_categories=3", "model.drop_rate=0.1"],
    ]
    assert values(found[0], "test") == {"seed": 5, "data.num_categories": 1, "model.drop_rate": 0.1}


def test_every_field_has_a_doc_and_the_reference_and_help_list_it():
    for schema in [*COMMANDS.values(), *(kind for choices in GROUPS.values() for kind in choices.values())]:
        for key, _kind, _default, _rule, doc in reference_rows(schema):
            assert doc, f"{schema.__name__}.{key} has no doc"
    rows = {row[0]: row for row in reference_rows(DataConfig)}
    assert rows["num_categories"] == ("num_categories", "int", "10", "[1, inf)", rows["num_categories"][4])
    text = help_text("train")
    assert "data: demo, paper, tiny" in text and "model.drop_rate" in text and "launcher:" in text


def test_a_named_callback_or_logger_can_be_dropped_or_added_as_hydra_documents():
    from fakeid.training.checks import check_train_command

    check_train_command(["data.root=/r", "~callbacks.progress_bar", "trainer.enable_progress_bar=false"])
    check_train_command(["data.root=/r", "logger=mlflow", "~logger.csv", "+callbacks.mine={_target_: x.Y}"])
    cfg = _compose("train", ["~callbacks.progress_bar"])
    assert list(cfg.callbacks) == ["checkpoint"] and config_problem(cfg, "train") is None
