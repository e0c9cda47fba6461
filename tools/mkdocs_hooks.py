"""The docs site's build hooks (mkdocs.yml `hooks:`) and the configuration reference they write.

What the site needs that plain mkdocs cannot do:

- **Pages from files outside docs/.** README.md is the site's home page and BENCHMARKS.md a page of it, made
  from the files themselves at build time, so there is no copy to keep in sync. Their links are written for
  the repository (`docs/metrics.md`, `BENCHMARKS.md`), and the docs pages link to `../BENCHMARKS.md`, so that
  they work on GitHub; the hooks point them at the site's pages instead.
- **The configuration reference**, generated from the comments of the YAML files under `fakeid.CONF_DIR`
  (never from a hard-coded path): it replaces the marker `REFERENCE_MARKER` in docs/configuration.md, so it
  cannot drift from the configs. A key is described by its own comment (on its line, continued on the lines
  under it), or, when the file only changes a value, by the comment of the key it overrides: in the choice it
  builds on (`defaults: [paper]`), or, for a `@package _global_` file (experiments, launchers), in what the
  command composes. Keys whose meaning Hydra fixes (`defaults`, `_target_`, `hydra.mode`, a sweep's
  `hydra.sweeper.params`) are described here once; `hydra.help` is the `--help` text itself and is left out.
- **The make targets** of docs/contributing.md, from the Makefile's `## ` comments (as `make help` lists them).
- **A key without a description fails the build**: each is logged as a warning, which `mkdocs build --strict`
  (`make docs`, run by CI) turns into an error; tests/unit/test_config_reference.py checks the same.
- **The demo's numbers and claims**, rendered from the demo's CSVs committed under `docs/demo/` (`DEMO_DIR`):
  a page writes `<!-- demo: EXPRESSION -->VALUE<!-- /demo -->` (`DEMO`); the build replaces it with the
  expression rendered now (`render`), and `make docs-demo` (`python tools/mkdocs_hooks.py demo`, after
  `make demo`) copies the demo's CSVs here, draws the demo pictures again from them (`docs/demo_*.png`, each
  carrying its CSV's SHA-256) and rewrites every VALUE, so the raw markdown GitHub shows says the same.
  tests/unit/test_docs_demo.py checks that every expression renders to the VALUE written and every picture
  comes from its committed CSV. Expressions (`EXPRESSIONS`): `trend FIG GROUP METRIC` ("rises (Page's L p =
  0.003)"), `line FIG GROUP METRIC` (the line's lack of fit), `slope FIG GROUP METRIC`, `point FIG GROUP
  METRIC X`, `diff COMPARE GROUP METRIC LEVEL`, `power COMPARE GROUP METRIC`, `marked COMPARE`, `ece GROUP`;
  arguments with spaces are quoted (shlex).

`python tools/mkdocs_hooks.py` prints the reference, and the keys without a description on stderr;
`python tools/mkdocs_hooks.py demo [OUTPUTS]` is `make docs-demo`.
"""

from __future__ import annotations

import json
import logging
import math
import re
import shlex
import shutil
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]

# Site pages made from repository files outside docs/: site path -> repository file.
OUTSIDE_PAGES = {"index.md": "README.md", "benchmarks.md": "BENCHMARKS.md"}
# Where docs/configuration.md takes the generated reference.
REFERENCE_PAGE = "configuration.md"
REFERENCE_MARKER = "<!-- config-reference -->"
# Where docs/contributing.md takes the table of make targets, from the Makefile's `## ` comments.
TARGETS_PAGE = "contributing.md"
TARGETS_MARKER = "<!-- make-targets -->"

# The order of the commands in the reference: the life of a detector first, the tools after.
COMMAND_ORDER = ["train", "eval", "predict", "export", "synth", "prepare", "check", "collect", "figures", "report"]

TARGET = "the class (or function) Hydra instantiates for this node, with the node's other keys as arguments"
MULTIRUN = "a sweep: the command runs as with `-m`, one job per point of the grid below"
SWEPT = "swept: one job per value (times the other swept keys); the key itself: {}"

log = logging.getLogger("mkdocs.plugins.fakeid")


# ---------------------------------------------------------------------------------------------------- hooks


def on_files(files, config):
    """Add the pages made from files outside docs/ (their content is filled in by `on_page_markdown`)."""
    from mkdocs.structure.files import File

    for page, source in OUTSIDE_PAGES.items():
        files.append(File.generated(config, page, content=(REPO / source).read_text(encoding="utf-8")))
    return files


def on_page_markdown(markdown, page, config, files):
    """Point repository links at the site's pages; put the configuration reference in its page."""
    markdown = site_links(markdown, top_level=page.file.src_uri in OUTSIDE_PAGES)
    if page.file.src_uri == REFERENCE_PAGE:
        from fakeid import CONF_DIR

        if REFERENCE_MARKER not in markdown:
            log.warning(f"docs/{REFERENCE_PAGE} lacks the marker {REFERENCE_MARKER} where the reference goes")
        configs = read_configs(CONF_DIR)
        for missing in undocumented(configs):
            log.warning(f"config reference: {missing}")
        markdown = markdown.replace(REFERENCE_MARKER, reference_markdown(configs))
    if DEMO.search(markdown):
        markdown = render_page(markdown, DEMO_DIR, rewrite=False, warn=log.warning)
    if page.file.src_uri == TARGETS_PAGE:
        if TARGETS_MARKER not in markdown:
            log.warning(f"docs/{TARGETS_PAGE} lacks the marker {TARGETS_MARKER} where the make targets go")
        markdown = markdown.replace(TARGETS_MARKER, make_targets_markdown(REPO / "Makefile"))
    return markdown


def make_targets_markdown(makefile: Path) -> str:
    """The Makefile's documented targets (`name: ... ## what`, as `make help` reads them) as a table."""
    rows = ["| target | what |", "|---|---|"]
    for line in makefile.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([a-zA-Z0-9-]+):.*?## (.*)$", line)
        if match:
            rows.append(f"| `make {match.group(1)}` | {text_cell(match.group(2))} |")
    return "\n".join(rows)


LINK = re.compile(r"(\]\()([^)\s]+)(\))")


def site_links(markdown: str, top_level: bool) -> str:
    """The links of a page as the site needs them. A page made from a top-level file (README.md) links to
    `docs/X`, `BENCHMARKS.md` and `README.md`; a docs page to `../BENCHMARKS.md` and `../README.md`."""
    site_names = {source: page for page, source in OUTSIDE_PAGES.items()}

    def replace(match: re.Match) -> str:
        target = match.group(2)
        path, hash_, anchor = target.partition("#")
        if top_level and path.startswith("docs/"):
            path = path[len("docs/") :]
        elif top_level and path in site_names:
            path = site_names[path]
        elif not top_level and path.startswith("../") and path[3:] in site_names:
            path = site_names[path[3:]]
        return match.group(1) + path + hash_ + anchor + match.group(3)

    return LINK.sub(replace, markdown)


# ---------------------------------------------------------------------------------------- reading the YAML


@dataclass
class Entry:
    """One key of a YAML file: its dotted name within the file, its value as written, its comments."""

    key: str
    value: str
    comment: str  # its own description: the comment on its line and the comment lines continuing it
    section: str = ""  # a comment on lines of its own just above the key: a note on the keys that follow
    container: bool = False  # a mapping of further keys (listed only when it has a comment)


@dataclass
class Config:
    """One YAML file under the config folder: a command's config (`train.yaml`) or a group's choice."""

    path: str  # relative to the config folder, e.g. data/paper.yaml
    group: str | None  # data, model, ... ; None for a command's config
    choice: str  # the file's stem
    global_package: bool  # `# @package _global_`: its keys are written from the config's root
    header: list[str]  # the comment lines at its top: what the file is
    defaults: list[str] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)

    @property
    def prefix(self) -> str:
        """How the file's keys are named on the command line: `data.` for data/paper.yaml."""
        return "" if self.group is None or self.global_package else self.group + "."

    def full_key(self, entry: Entry) -> str:
        return self.prefix + entry.key


def split_comment(line: str) -> tuple[str, str | None, int]:
    """(the code, the comment's text or None, the column of its `#`); a `#` inside quotes is not one."""
    quote = None
    for index, char in enumerate(line):
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"" and (index == 0 or line[index - 1] in " \t[{,:"):  # where a quoted scalar can start
            quote = char
        elif char == "#" and (index == 0 or line[index - 1] in " \t"):
            text = line[index + 1 :].rstrip()
            return line[:index], text[1:] if text.startswith(" ") else text, index
    return line, None, -1


def node_text(node) -> str:
    """A value as one line: scalars as written, collections in flow style."""
    if isinstance(node, yaml.ScalarNode):
        if node.style in ("|", ">"):
            return "(a text block)"
        if node.style in ("'", '"'):
            return node.style + node.value + node.style
        return node.value
    if isinstance(node, yaml.SequenceNode):
        return "[" + ", ".join(node_text(item) for item in node.value) + "]"
    return "{" + ", ".join(f"{node_text(k)}: {node_text(v)}" for k, v in node.value) + "}"


def default_text(node) -> str:
    """An item of a `defaults` list as Hydra's docs write it: `paper`, `data: paper`, `override hydra/x: none`."""
    if isinstance(node, yaml.MappingNode):
        return ", ".join(f"{node_text(k)}: {node_text(v)}" for k, v in node.value)
    return node_text(node)


def last_content_line(node) -> int:
    """The last line a value's text is on (a block collection's end mark is the next key's position)."""
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and not node.flow_style and node.value:
        last = node.value[-1]
        return last_content_line(last[1] if isinstance(node, yaml.MappingNode) else last)
    return node.end_mark.line


def read_config(conf_dir: Path, path: Path) -> Config:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    relative = path.relative_to(conf_dir).as_posix()
    group = None if "/" not in relative else relative.rsplit("/", 1)[0]
    comments = {number: split_comment(line) for number, line in enumerate(lines)}
    comment_only = {n for n, (code, comment, _) in comments.items() if comment is not None and not code.strip()}
    config = Config(relative, group, path.stem, "@package _global_" in text, header=[])

    def comment_lines(first: int, last: int) -> list[str]:
        """The comment-only lines in [first, last) (the `@package` line left out)."""
        texts = [comments[n][1] for n in range(first, last) if n in comment_only]
        return [t for t in texts if not t.startswith("@package")]

    def comment_block(first: int, last: int) -> str:
        return " ".join(t.strip() for t in comment_lines(first, last))

    def continuation(after: int, key_column: int) -> tuple[str, int]:
        """Comment lines under a key's line, indented past the key: the rest of its comment."""
        texts, line = [], after + 1
        while line in comment_only and comments[line][2] > key_column:
            texts.append(comments[line][1].strip())
            line += 1
        return " ".join(texts), line

    def walk(mapping, prefix: str, start: int, top: bool) -> int:
        """Read a mapping's keys; `start` is the first line after the previous key and its comments. A key's
        comment is on the line its value ends on; comment lines of their own above a key are a section note."""
        for key_node, value in mapping.value:
            key, key_line, column = key_node.value, key_node.start_mark.line, key_node.start_mark.column
            section = comment_block(start, key_line)
            if top and not config.entries and not config.defaults and not config.header:
                config.header, section = comment_lines(start, key_line), ""
            if isinstance(value, yaml.MappingNode) and not value.flow_style and value.value:
                own = (comments[key_line][1] or "").strip()
                config.entries.append(Entry(prefix + key, "", own, section, container=True))
                start = walk(value, prefix + key + ".", key_line + 1, top=False)
                continue
            block = isinstance(value, yaml.SequenceNode) and not value.flow_style
            text_block = isinstance(value, yaml.ScalarNode) and value.style in ("|", ">")
            last_line = key_line if block or text_block else value.end_mark.line
            own = (comments[last_line][1] or "").strip()
            more, start = continuation(last_line, column)
            if block:
                start = last_content_line(value) + 1
            elif text_block:
                start = value.end_mark.line
            if top and key == "defaults":
                config.defaults = [default_text(item) for item in value.value]
                continue
            own = " ".join(t for t in (own, more) if t)
            config.entries.append(Entry(prefix + key, node_text(value), own, section))
        return start

    root = yaml.compose(text)
    if isinstance(root, yaml.MappingNode):
        walk(root, "", 0, top=True)
    if not config.header and not config.entries:
        config.header = comment_lines(0, len(lines))
    return config


def read_configs(conf_dir: Path) -> list[Config]:
    """Every YAML file under the config folder: the commands' configs, then each group's choices."""
    paths = sorted(conf_dir.rglob("*.yaml"), key=lambda p: (p.parent != conf_dir, p.relative_to(conf_dir).parts))
    return [read_config(conf_dir, path) for path in paths]


# ------------------------------------------------------------------------------------ describing the keys


def is_help(config: Config, entry: Entry) -> bool:
    """`hydra.help`: the `--help` text itself, shown by `--help`; not a setting to describe."""
    return config.full_key(entry) == "hydra.help" or config.full_key(entry).startswith("hydra.help.")


class Describer:
    """Finds each key's description: its own comment, or that of the key it overrides."""

    def __init__(self, configs: list[Config]):
        self.configs = configs
        self.by_path = {c.path: c for c in configs}
        self.commands = {c.choice: c for c in configs if c.group is None}
        self.namespaces = {name: self.namespace(command) for name, command in self.commands.items()}

    def own(self, config: Config, entry: Entry) -> str:
        if entry.comment:
            return entry.comment
        last = entry.key.rsplit(".", 1)[-1]
        full = config.full_key(entry)
        if last == "_target_":
            return TARGET
        if full == "hydra.mode" and entry.value == "MULTIRUN":
            return MULTIRUN
        return ""

    def describe(self, config: Config, entry: Entry, seen: frozenset = frozenset()) -> str:
        """The description, or "" when the key has none anywhere."""
        text = self.own(config, entry)
        if text or entry.container:
            return text
        full = config.full_key(entry)
        if full.startswith("hydra.sweeper.params."):
            swept = full[len("hydra.sweeper.params.") :]
            known = swept in self.group_names() or any(swept in names for names in self.namespaces.values())
            return SWEPT.format(f"`{swept}`") if known else ""
        for base in self.bases(config):
            if base.path in seen:
                continue
            match = next((e for e in base.entries if base.full_key(e) == full), None)
            if match is not None:
                found = self.describe(base, match, seen | {config.path})
                if found:
                    return found
        if config.global_package:
            command = self.command_of(config)
            if command and full in self.namespaces[command]:
                base, match = self.namespaces[command][full]
                if base is not config:
                    return self.describe(base, match, seen | {config.path})
        return ""

    def bases(self, config: Config) -> list[Config]:
        """The choices of the same group a file builds on (`defaults: [paper]` in data/demo.yaml)."""
        found = []
        for item in config.defaults:
            if ":" in item or item == "_self_" or config.group is None:
                continue
            base = self.by_path.get(f"{config.group}/{item}.yaml")
            if base is not None:
                found.append(base)
        return found

    def group_names(self) -> set[str]:
        return {c.group for c in self.configs if c.group}

    def namespace(self, command: Config) -> dict[str, tuple[Config, Entry]]:
        """Every key a command composes by default (its own and its default groups' choices), by full name."""
        keys: dict[str, tuple[Config, Entry]] = {}
        for item in command.defaults:
            group, _, choice = item.partition(":")
            group, choice = group.strip(), choice.strip()
            if group.startswith("override ") or not choice:
                continue
            chosen = self.by_path.get(f"{group}/{choice}.yaml")
            for config in [chosen, *self.bases(chosen)] if chosen else []:
                for entry in config.entries:
                    keys.setdefault(config.full_key(entry), (config, entry))
        for entry in command.entries:
            keys[command.full_key(entry)] = (command, entry)
        return keys

    def command_of(self, config: Config) -> str | None:
        """The command a `@package _global_` file is for: the one whose config has all of its keys (an
        experiment of fakeid.eval sets `levels`; one of fakeid.train, `model.drop_rate`), else train."""
        keys = [
            config.full_key(e)
            for e in config.entries
            if not e.container and not config.full_key(e).startswith(("hydra.sweeper.", "hydra.mode"))
        ]
        for base in self.bases(config):
            return self.command_of(base)
        for name in self.namespaces:
            if keys and all(key in self.namespaces[name] for key in keys):
                return name
        return "train" if "train" in self.namespaces else None


def undocumented(configs: list[Config]) -> list[str]:
    """`FILE: KEY` for every key that has no description, in its own file or in what it overrides."""
    describer = Describer(configs)
    return [
        f"{config.path}: {config.full_key(entry)} has no comment (a `# ...` after it in the YAML)"
        for config in configs
        for entry in config.entries
        if not is_help(config, entry) and not entry.container and not describer.describe(config, entry)
    ]


# ----------------------------------------------------------------------------------------------- writing


def text_cell(text: str) -> str:
    """Comment text for a table cell: markdown's special characters escaped outside `code`."""
    parts = text.split("`")
    for index in range(0, len(parts), 2):  # outside backticks
        parts[index] = re.sub(r"([\\*_\[\]])", r"\\\1", parts[index]).replace("<", "&lt;").replace(">", "&gt;")
    return "`".join(parts).replace("|", "\\|")


def code_cell(value: str) -> str:
    if value == "":
        return ""
    fence = "``" if "`" in value else "`"
    return f"{fence}{value}{fence}".replace("|", "\\|")


def table(config: Config, describer: Describer) -> list[str]:
    rows = []
    for entry in config.entries:
        if is_help(config, entry):
            continue
        if entry.section:
            rows.append(f"| | | *{text_cell(entry.section)}* |")
        meaning = describer.describe(config, entry)
        if entry.container and not meaning:
            continue
        rows.append(f"| `{config.full_key(entry)}` | {code_cell(entry.value)} | {text_cell(meaning)} |")
    if not rows:
        return ["No keys of its own."]
    return ["| key | value | meaning |", "|---|---|---|", *rows]


def header_markdown(lines: list[str]) -> list[str]:
    """A file's top comment: prose as paragraphs, command lines (and indented ones) as a code block."""
    out, prose, code = [], [], []

    def flush():
        if prose:
            out.extend([text_cell(" ".join(prose)).replace("\\|", "|"), ""])
        if code:
            out.extend(["```bash", *textwrap.dedent("\n".join(code)).splitlines(), "```", ""])
        prose.clear(), code.clear()

    for line in lines:
        is_code = line.startswith(("python -m ", "make ", "  "))
        if (is_code and prose) or (not is_code and code):
            flush()
        (code if is_code else prose).append(line.strip() if not is_code else line.rstrip())
    flush()
    return out


def composes(config: Config) -> str:
    items = [item for item in config.defaults if item != "_self_"]
    if not items:
        return ""
    words = ", ".join(f"`{item}`" for item in items)
    return f"Defaults: {words}."


def reference_markdown(configs: list[Config]) -> str:
    """The reference as markdown: each command's own keys, then each group with every choice."""
    describer = Describer(configs)
    commands = sorted(
        (c for c in configs if c.group is None),
        key=lambda c: (COMMAND_ORDER.index(c.choice) if c.choice in COMMAND_ORDER else len(COMMAND_ORDER), c.choice),
    )
    groups: dict[str, list[Config]] = {}
    for config in configs:
        if config.group:
            groups.setdefault(config.group, []).append(config)
    users = {
        group: [c.choice for c in commands if any(item.split(":")[0].strip() == group for item in c.defaults)]
        for group in groups
    }
    out = [
        "## Reference",
        "",
        "Generated from the YAML files of `fakeid.CONF_DIR` when the site is built: every key, its value in the "
        "file, and its comment there (a key that only changes a value is described where it is defined).",
        "",
        "### Commands",
        "",
    ]
    for command in commands:
        out += [f"#### `fakeid.{command.choice}` ({command.path})", "", *header_markdown(command.header)]
        if composes(command):
            out += [composes(command), ""]
        out += [*table(command, describer), ""]
    out += ["### Groups", ""]
    for group, choices in groups.items():
        used = ", ".join(f"`fakeid.{name}`" for name in users[group]) or "an addition: `+experiment=NAME`"
        if group == "experiment":
            used = "added with `+experiment=NAME` (the command each is for is named below)"
        names = ", ".join(f"`{c.choice}`" for c in choices)
        out += [f"#### {group}", "", f"Choices: {names}. Used by: {used}.", ""]
        for choice in choices:
            title = f"+experiment={choice.choice}" if group == "experiment" else f"{group}={choice.choice}"
            out += [f"##### `{title}` ({choice.path})", ""]
            out += header_markdown(choice.header)
            if group == "experiment" and describer.command_of(choice):
                out += [f"An experiment of `fakeid.{describer.command_of(choice)}`.", ""]
            if composes(choice):
                out += [composes(choice), ""]
            out += [*table(choice, describer), ""]
    return "\n".join(out)


# ----------------------------------------------------------------------------------- the demo in the docs

DOCS = REPO / "docs"
DEMO_DIR = DOCS / "demo"
DEMO = re.compile(r"<!-- demo: ([^`]+?) -->([^`]*?)<!-- /demo -->")  # never inside a code span
# The demo's CSVs the docs render from: name in docs/demo/ -> where `make demo` writes it (under OUTPUTS).
DEMO_SOURCES = {
    "fig1": "figures/fig1",
    "fig2": "figures/fig2",
    "fig3": "figures/fig3",
    "fig3_deconvgan": "figures/fig3_deconvgan",
    "calibration": "figures/calibration/demo_dropout/calibration",
    "compare_categories": "figures/compare/demo_categories/compare",
    "compare_dropout": "figures/compare/demo_dropout/compare",
    "plan_categories": "figures/plan/demo_categories/plan",
}
# The pictures the docs embed, drawn from a committed CSV and its `.json` (the words around the numbers).
DEMO_PICTURES = {
    "fig1": "demo_fig1.png",
    "fig2": "demo_fig2.png",
    "fig3": "demo_fig3.png",
    "fig3_deconvgan": "demo_fig3_deconvgan.png",
    "calibration": "demo_calibration.png",
}


class DemoError(ValueError):
    """An expression that does not render against the committed CSVs (a build warning, a test failure)."""


def _table(demo_dir: Path, name: str):
    import pandas as pd

    path = demo_dir / f"{name}.csv"
    if not path.is_file():
        raise DemoError(f"{path.relative_to(REPO) if path.is_relative_to(REPO) else path} does not exist")
    return pd.read_csv(path)


def _same(column, value: str):
    """Rows whose cell reads as `value` (a number compared as a number: fig2's group 10 is 10.0 in the CSV)."""
    try:
        number = float(value)
        return column.map(lambda cell: _as_float(cell) == number)
    except ValueError:
        return column.astype(str) == value


def _as_float(cell) -> float | None:
    try:
        return float(cell)
    except (TypeError, ValueError):
        return None


def _one(rows, what: str):
    if rows.empty:
        raise DemoError(f"no row for {what}")
    return rows.iloc[0]


def _trend_row(demo_dir: Path, figure: str, group: str, metric: str):
    data = _table(demo_dir, figure)
    rows = data[(data["kind"] == "trend") & _same(data["group"], group) & (data["metric"] == metric)]
    return _one(rows, f"the trend of {metric} on {group!r} in {figure}.csv")


def _signed(value: float) -> str:
    return f"{value:+.3f}"


def _interval(low: float, high: float, signed: bool) -> str:
    if low != low or high != high:  # NaN
        return "no interval"
    text = _signed if signed else (lambda v: f"{v:.3f}")
    return f"[{text(low)}, {text(high)}]"


def _render_trend(demo_dir, figure, group, metric):
    from fakeid.analysis.trends import claim_text

    row = _trend_row(demo_dir, figure, group, metric)
    direction = "" if row["trend_direction"] != row["trend_direction"] else str(row["trend_direction"])
    return claim_text(float(row["trend_p"]), direction)


def _render_line(demo_dir, figure, group, metric):
    from fakeid.analysis.trends import line_words

    return line_words(float(_trend_row(demo_dir, figure, group, metric)["lack_of_fit_p"]))


def _render_slope(demo_dir, figure, group, metric):
    """The slope of the level means, quoted only where a line fits (else the figure joins the means)."""
    from fakeid.analysis.trends import ALPHA

    row = _trend_row(demo_dir, figure, group, metric)
    if float(row["lack_of_fit_p"]) < ALPHA:
        return "so no slope is quoted"
    return (
        f"slope of the level means {_signed(row['slope'])} {_interval(row['slope_ci_low'], row['slope_ci_high'], True)}"
    )


def _render_point(demo_dir, figure, group, metric, x):
    data = _table(demo_dir, figure)
    rows = data[(data["kind"] == "point") & _same(data["group"], group) & (data["metric"] == metric)]
    row = _one(rows[_same(rows["x"], x)], f"the point of {metric} on {group!r} at x = {x} in {figure}.csv")
    clipped = " (interval clipped to [0, 1])" if str(row.get("clipped")).lower() == "true" else ""
    return f"{row['mean']:.3f} {_interval(row['ci_low'], row['ci_high'], False)}{clipped}"


def _compare_row(demo_dir, name, group, metric, level):
    data = _table(demo_dir, name)
    rows = data[(data["group"].astype(str) == group) & (data["metric"] == metric) & _same(data["level"], level)]
    return _one(rows, f"{metric} on {group!r} at level {level} in {name}.csv")


def _is_marked(row) -> bool:
    """A star, as the figures draw it: `supported` and a Holm-adjusted p under 5 %."""
    return str(row["supported"]).lower() == "true" and float(row["p_holm"]) < 0.05


def _render_diff(demo_dir, name, group, metric, level):
    from fakeid.analysis.trends import p_text

    row = _compare_row(demo_dir, name, group, metric, level)
    mark = ", marked" if _is_marked(row) else ""
    return (
        f"{_signed(row['diff'])} {_interval(row['ci_low'], row['ci_high'], True)} "
        f"(p_holm = {p_text(float(row['p_holm']))}{mark})"
    )


def _render_power(demo_dir, name, group, metric):
    """The smallest difference detectable with 80 % power (`mde`), over the levels compared (it varies with
    each level's spread): "0.163" or "0.163-0.201"."""
    data = _table(demo_dir, name)
    rows = data[(data["group"].astype(str) == group) & (data["metric"] == metric)]
    _one(rows, f"the power of {metric} on {group!r} in {name}.csv")  # a DemoError when there is none
    values = rows["mde"].dropna()
    if values.empty:
        return "unknown"
    low, high = f"{values.min():.3f}", f"{values.max():.3f}"
    return low if low == high else f"{low}-{high}"


def _render_marked(demo_dir, name):
    data = _table(demo_dir, name)
    marked = sum(_is_marked(row) for _, row in data.iterrows())
    return f"{marked} of its {len(data)} rows"


def _render_ece(demo_dir, group):
    data = _table(demo_dir, "calibration")
    values = data.loc[data["group"].astype(str) == group, "ece"].dropna()
    if values.empty:
        raise DemoError(f"no ECE for the group {group!r} in calibration.csv")
    low, high = float(values.min()), float(values.max())
    return f"{low:.2f}" if f"{low:.2f}" == f"{high:.2f}" else f"{low:.2f}-{high:.2f}"


def _render_seeds(demo_dir, name, group, metric):
    """The planner's answer at the pilot's test images: "6 seeds for one test at 5 %, 15 for a mark"."""
    data = _table(demo_dir, name)
    row = _one(
        data[(data["group"].astype(str) == group) & (data["metric"] == metric)], f"{metric} on {group!r} in {name}.csv"
    )

    def seeds(value) -> str:
        number = _as_float(value)  # inf: more seeds alone never get there (fakeid.analysis.power.MAX_SEEDS)
        return f"{number:.0f}" if number is not None and math.isfinite(number) else "more than 1000"

    return (
        f"{seeds(row['seeds_needed_x1'])} seeds for one test at 5 % and {seeds(row['mark_seeds_x1'])} for a mark "
        f"(Holm over {int(row['family'])} comparisons), to detect {float(row['effect']):g} at 80 % power"
    )


EXPRESSIONS = {
    "trend": _render_trend,
    "line": _render_line,
    "slope": _render_slope,
    "point": _render_point,
    "diff": _render_diff,
    "power": _render_power,
    "marked": _render_marked,
    "ece": _render_ece,
    "seeds": _render_seeds,
}


def render(expression: str, demo_dir: Path = DEMO_DIR) -> str:
    """One placeholder's value from the committed CSVs; DemoError naming what is wrong."""
    words = shlex.split(expression)
    if not words or words[0] not in EXPRESSIONS:
        raise DemoError(f"`{expression}`: expected one of {', '.join(EXPRESSIONS)} first")
    try:
        return EXPRESSIONS[words[0]](demo_dir, *words[1:])
    except TypeError as err:
        raise DemoError(f"`{expression}`: wrong number of arguments ({err})") from None


def render_page(markdown: str, demo_dir: Path = DEMO_DIR, rewrite: bool = True, warn=None) -> str:
    """Every placeholder rendered. `rewrite`: keep the comment (the markdown file); else only the value (the
    site). An expression that does not render stays as written and is reported through `warn`."""

    def replace(match: re.Match) -> str:
        try:
            value = render(match.group(1), demo_dir)
        except DemoError as err:
            if warn is None:
                raise
            warn(f"docs demo placeholder: {err}")
            return match.group(0)
        return f"<!-- demo: {match.group(1)} -->{value}<!-- /demo -->" if rewrite else value

    return DEMO.sub(replace, markdown)


def demo_pages(docs: Path = DOCS) -> list[Path]:
    return sorted(path for path in docs.glob("*.md") if DEMO.search(path.read_text(encoding="utf-8")))


def draw_demo_picture(name: str, demo_dir: Path, out: Path) -> None:
    """A docs picture drawn again from `docs/demo/<name>.csv` and `.json`, with the CSV's SHA-256 in the PNG."""
    import matplotlib.pyplot as plt
    import pandas as pd

    from fakeid.analysis.calibration import draw_reliability
    from fakeid.analysis.figures.drawing import redraw
    from fakeid.analysis.pictures import CSV_SHA256_KEY, csv_sha256

    csv, meta = demo_dir / f"{name}.csv", json.loads((demo_dir / f"{name}.json").read_text(encoding="utf-8"))
    if name == "calibration":
        drawn = draw_reliability(pd.read_csv(csv), meta["title"], meta["caption"], meta["min_bin_count"])
    else:
        drawn = redraw(csv, meta)
    drawn.savefig(out, dpi=110, bbox_inches="tight", metadata={CSV_SHA256_KEY: csv_sha256(csv)})
    plt.close(drawn)


def docs_demo(outputs: Path, docs: Path = DOCS) -> list[str]:
    """`make docs-demo`: copy the demo's CSVs (and each figure's `.json`) into docs/demo/, draw the demo pictures
    from them, rewrite every placeholder of the docs. Returns what it wrote."""
    demo_dir = docs / "demo"
    missing = [
        f"{outputs / source}.csv" for source in DEMO_SOURCES.values() if not (outputs / f"{source}.csv").is_file()
    ]
    if missing:
        raise DemoError(f"{', '.join(missing)} missing: run `make demo` first (its figures, comparisons, calibration)")
    demo_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, source in DEMO_SOURCES.items():
        for suffix in ("csv", "json"):
            path = outputs / f"{source}.{suffix}"
            if path.is_file():
                shutil.copyfile(path, demo_dir / f"{name}.{suffix}")
                written.append(str(demo_dir / f"{name}.{suffix}"))
    for name, picture in DEMO_PICTURES.items():
        if not (demo_dir / f"{name}.json").is_file():
            raise DemoError(f"{demo_dir / name}.json missing: the figures of `make demo` write it beside the CSV")
        draw_demo_picture(name, demo_dir, docs / picture)
        written.append(str(docs / picture))
    for page in demo_pages(docs):
        page.write_text(render_page(page.read_text(encoding="utf-8"), demo_dir), encoding="utf-8")
        written.append(str(page))
    return written


if __name__ == "__main__" and sys.argv[1:2] == ["demo"]:
    sys.path.insert(0, str(REPO))
    try:
        for line in docs_demo(Path(sys.argv[2]) if len(sys.argv) > 2 else REPO / "outputs"):
            print(line)
    except DemoError as err:
        print(f"fakeid: error: {err}", file=sys.stderr)
        raise SystemExit(2) from None
elif __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    from fakeid import CONF_DIR

    found = read_configs(CONF_DIR)
    print(reference_markdown(found))
    for line in undocumented(found):
        print(line, file=sys.stderr)
