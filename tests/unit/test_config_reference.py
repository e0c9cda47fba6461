"""The configuration reference of the docs site (tools/mkdocs_hooks.py): every key of every YAML file under
fakeid.CONF_DIR, the commands' configs and each group's choices, has an entry with a description in it, so
the reference cannot drift from the configs (the README's hand-written table once omitted whole choices)."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest
import yaml

from fakeid import CONF_DIR

REPO = Path(__file__).resolve().parents[2]


def load_hooks():
    spec = importlib.util.spec_from_file_location("mkdocs_hooks", REPO / "tools" / "mkdocs_hooks.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


hooks = load_hooks()


def leaf_keys(node, prefix: str = "") -> list[str]:
    """Dotted names of a YAML mapping's leaves, from PyYAML's node tree alone (so that a key the reference's
    own reader skipped would still be found here): a block mapping holds further keys; a scalar, a list
    and a mapping written inline (`{cpu: null, gpu: 2}`) are one value."""
    keys = []
    for key, value in node.value:
        name = f"{prefix}{key.value}"
        if isinstance(value, yaml.MappingNode) and not value.flow_style and value.value:
            keys += leaf_keys(value, name + ".")
        else:
            keys.append(name)
    return keys


def expected_keys(path: Path) -> list[str]:
    """The keys of one file as the reference names them: `data.root` for data/paper.yaml, `seed` for
    train.yaml and for a `@package _global_` file; `defaults` and the `--help` text left out."""
    text = path.read_text(encoding="utf-8")
    relative = path.relative_to(CONF_DIR)
    root = yaml.compose(text)
    prefix = "" if len(relative.parts) == 1 or "@package _global_" in text else relative.parent.as_posix() + "."
    names = leaf_keys(root) if isinstance(root, yaml.MappingNode) else []
    return [prefix + k for k in names if k != "defaults" and not (prefix + k).startswith("hydra.help.")]


def reference_rows(markdown: str) -> dict[str, dict[str, str]]:
    """The reference's tables: file path (from its heading) -> key -> the meaning column."""
    sections: dict[str, dict[str, str]] = {}
    current = None
    for line in markdown.splitlines():
        heading = re.match(r"^#+ .*\(([\w./-]+\.yaml)\)$", line)
        if heading:
            current = sections.setdefault(heading.group(1), {})
            continue
        row = re.match(r"^\| `([^`]+)` \| .* \| (.*) \|$", line)
        if row and current is not None:
            current[row.group(1)] = row.group(2).strip()
    return sections


CONFIGS = sorted(CONF_DIR.rglob("*.yaml"))


def test_the_configs_are_found_at_conf_dir():
    names = {p.relative_to(CONF_DIR).as_posix() for p in CONFIGS}
    assert {"train.yaml", "eval.yaml", "data/paper.yaml", "trainer/ddp_cpu.yaml", "launcher/parallel.yaml"} <= names
    assert "experiment/format_shortcut.yaml" in names


def test_no_key_lacks_a_description():
    assert hooks.undocumented(hooks.read_configs(CONF_DIR)) == []


@pytest.fixture(scope="module")
def rows() -> dict[str, dict[str, str]]:
    return reference_rows(hooks.reference_markdown(hooks.read_configs(CONF_DIR)))


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.relative_to(CONF_DIR).as_posix())
def test_every_key_has_an_entry_with_a_description(path: Path, rows):
    relative = path.relative_to(CONF_DIR).as_posix()
    assert relative in rows, f"{relative} has no section in the reference"
    for key in expected_keys(path):
        assert key in rows[relative], f"{relative}: {key} has no entry in the reference"
        assert rows[relative][key], f"{relative}: {key} has an entry without a description"


def test_a_key_without_a_comment_is_reported_and_an_override_takes_the_base_comment(tmp_path: Path):
    (tmp_path / "tool.yaml").write_text("described: 1   # what it does\nbare: 2\nnested:\n  inner: 3\n")
    (tmp_path / "group").mkdir()
    (tmp_path / "group" / "base.yaml").write_text("size: 32        # side in pixels\n")
    (tmp_path / "group" / "small.yaml").write_text("defaults:\n  - base\n  - _self_\nsize: 16\n")
    configs = hooks.read_configs(tmp_path)
    missing = hooks.undocumented(configs)
    assert missing == [
        "tool.yaml: bare has no comment (a `# ...` after it in the YAML)",
        "tool.yaml: nested.inner has no comment (a `# ...` after it in the YAML)",
    ]
    found = reference_rows(hooks.reference_markdown(configs))
    assert found["group/small.yaml"] == {"group.size": "side in pixels"}
    assert found["tool.yaml"]["described"] == "what it does"


def test_comment_continuation_lines_and_section_notes(tmp_path: Path):
    (tmp_path / "x.yaml").write_text(
        "a: 1   # first half\n       # second half\n# a note on what follows\nb: 2   # b's own\n"
    )
    config = hooks.read_config(tmp_path, tmp_path / "x.yaml")
    assert [(e.key, e.comment, e.section) for e in config.entries] == [
        ("a", "first half second half", ""),
        ("b", "b's own", "a note on what follows"),
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
