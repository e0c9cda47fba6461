"""The configuration reference of the docs site (tools/mkdocs_hooks.py), generated from the schema
(fakeid/core/configs.py): every schema field has a doc, every key a YAML file under fakeid.CONF_DIR sets is a
documented key of the schema, and the reference lists each command's keys and each choice, so it cannot drift
from the configs (the README's hand-written table once omitted whole choices)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from fakeid import CONF_DIR

REPO = Path(__file__).resolve().parents[2]


def load_hooks():
    spec = importlib.util.spec_from_file_location("mkdocs_hooks", REPO / "tools" / "mkdocs_hooks.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


hooks = load_hooks()


CONFIGS = sorted(CONF_DIR.rglob("*.yaml"))


def test_the_configs_are_found_at_conf_dir():
    names = {p.relative_to(CONF_DIR).as_posix() for p in CONFIGS}
    assert {"train.yaml", "eval.yaml", "data/paper.yaml", "trainer/ddp_cpu.yaml", "launcher/parallel.yaml"} <= names
    assert "experiment/format_shortcut.yaml" in names


def test_no_key_lacks_a_description():
    assert hooks.undocumented(CONF_DIR) == []


def test_the_reference_lists_every_command_key_and_every_choice():
    from fakeid.core.configs import COMMANDS

    markdown = hooks.reference_markdown(CONF_DIR)
    for name in COMMANDS:
        assert f"#### `fakeid.{name}` ({name}.yaml)" in markdown
    for path in CONFIGS:
        relative = path.relative_to(CONF_DIR)
        if len(relative.parts) == 2 and relative.parts[0] != "hydra":
            assert f"({relative.as_posix()})" in markdown, f"{relative} has no section in the reference"
    assert "| `data.num_categories` | `int` | `10` | \\[1, inf) | categories in the mix" in markdown
    assert "| `model.drop_rate` | `float` | `0.0` | \\[0.0, 1.0) |" in markdown
    assert "Sets `experiment_name=demo_dropout`, `trainer.max_epochs=2`" in markdown


def test_a_yaml_key_the_schema_does_not_document_is_reported(tmp_path: Path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "mine.yaml").write_text("defaults:\n  - paper\nbatch_size: 8\nbatchsize: 8\n")
    (tmp_path / "tool.yaml").write_text("seed: 1\nnot_a_key: 2\nhydra:\n  run:\n    dir: .\n")
    assert hooks.undocumented(tmp_path) == [
        "data/mine.yaml: data.batchsize is not a documented key of the schema",
        "tool.yaml: not_a_key is not a documented key of the schema",
    ]


def test_repository_links_become_site_links():
    readme = "[m](docs/metrics.md#scores) ![f](docs/demo_fig1.png) [b](BENCHMARKS.md#predict) [c](#local)"
    assert hooks.site_links(readme, top_level=True) == (
        "[m](metrics.md#scores) ![f](demo_fig1.png) [b](benchmarks.md#predict) [c](#local)"
    )
    page = "[b](../BENCHMARKS.md) [r](../README.md) [s](study.md) [x](../fakeid/train.py)"
    assert (
        hooks.site_links(page, top_level=False)
        == "[b](benchmarks.md) [r](index.md) [s](study.md) [x](../fakeid/train.py)"
    )
