"""The docs site's build hooks (mkdocs.yml `hooks:`) and the configuration reference they write.

What the site needs that plain mkdocs cannot do:

- **Pages from files outside docs/.** README.md is the site's home page and BENCHMARKS.md a page of it, made
  from the files themselves at build time, so there is no copy to keep in sync. Their links are written for
  the repository (`docs/metrics.md`, `BENCHMARKS.md`), and the docs pages link to `../BENCHMARKS.md`, so that
  they work on GitHub; the hooks point them at the site's pages instead.
- **The configuration reference**, generated from the schema (`fakeid/core/configs.py`, where every key's
  type, default, range and doc are declared once) and from what each YAML file under `fakeid.CONF_DIR` sets:
  it replaces the marker `REFERENCE_MARKER` in docs/configuration.md, so it cannot drift from the configs.
- **The make targets** of docs/contributing.md, from the Makefile's `## ` comments (as `make help` lists them).
- **A key without a description fails the build**: a schema field without a doc, or a key a YAML file sets
  that the schema does not document, is logged as a warning, which `mkdocs build --strict` (`make docs`, run
  by CI) turns into an error; tests/unit/test_config_reference.py checks the same.
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

import dataclasses
import json
import logging
import math
import re
import shlex
import shutil
import sys
import textwrap
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
        for missing in undocumented(CONF_DIR):
            log.warning(f"config reference: {missing}")
        markdown = markdown.replace(REFERENCE_MARKER, reference_markdown(CONF_DIR))
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


# ------------------------------------------------------------------------------ the reference, from the schema
def yaml_values(node: object, prefix: str = "") -> dict[str, object]:
    """The values a YAML file sets, as flat dotted keys (`defaults` and `hydra.help` left out)."""
    values: dict[str, object] = {}
    if isinstance(node, dict):
        for key, value in node.items():
            name = f"{prefix}{key}"
            if key == "defaults" or name.startswith("hydra.help"):
                continue
            if isinstance(value, dict) and value and not name.startswith("hydra.sweeper.params"):
                values.update(yaml_values(value, name + "."))
            else:
                values[name] = value
    return values


def header_lines(path: Path) -> list[str]:
    """A YAML file's top comment, without the `#`."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        if not line.startswith("# @package"):
            lines.append(line[1:].strip())
    return lines


def key_docs() -> dict[str, str]:
    """Every dotted key of every command and group choice -> its doc, from the schema (fakeid.core.configs)."""
    from fakeid.core.configs import COMMANDS, GROUPS
    from fakeid.core.schema import reference_rows

    docs = {}
    for schema in COMMANDS.values():
        docs.update({row[0]: row[4] for row in reference_rows(schema)})
    for group, choices in GROUPS.items():
        for schema in choices.values():
            docs.update({f"{group}.{row[0]}": row[4] for row in reference_rows(schema)})
    return docs


def undocumented(conf_dir: Path) -> list[str]:
    """`FILE: KEY` for each key a YAML file sets that the schema does not document (an argument of Lightning's
    Trainer is Lightning's to document), and each schema field without a doc: what fails `make docs`."""
    from fakeid.core.configs import TrainerConfig

    docs, missing = (
        key_docs(),
        [f"fakeid/core/configs.py: {key} has no doc" for key, doc in key_docs().items() if not doc],
    )
    for path in sorted(conf_dir.rglob("*.yaml")):
        relative = path.relative_to(conf_dir)
        text = path.read_text(encoding="utf-8")
        glob = len(relative.parts) == 1 or "@package _global_" in text or relative.parts[0] == "experiment"
        prefix = "" if glob else relative.parent.as_posix() + "."
        for key in yaml_values(yaml.safe_load(text) or {}, prefix):
            lightning = key.startswith("trainer.") and key.partition(".")[2] in TrainerConfig.extra_keys()
            if not key.startswith(("hydra.", "launcher.")) and not docs.get(key) and not lightning:
                missing.append(f"{relative}: {key} is not a documented key of the schema")
    return missing


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


def rows_table(rows) -> list[str]:
    out = ["| key | type | default | range | meaning |", "|---|---|---|---|---|"]
    for key, kind, default, rule, doc in rows:
        out.append(f"| `{key}` | {code_cell(kind)} | {code_cell(default)} | {text_cell(rule)} | {text_cell(doc)} |")
    return out if len(out) > 2 else ["No keys of its own."]


def sets_line(values: dict[str, object]) -> str:
    """What a choice or experiment sets: `key=value`, ..."""
    items = [f"`{key}={json.dumps(value) if not isinstance(value, str) else value}`" for key, value in values.items()]
    return "Sets " + ", ".join(items) + "." if items else "Sets nothing beyond its schema's defaults."


def reference_markdown(conf_dir: Path) -> str:
    """The reference as markdown, from the schema (fakeid.core.configs): each command's keys, then each group's
    schemas and what each choice file sets."""
    from fakeid.core.configs import COMMANDS, GROUPS
    from fakeid.core.schema import reference_rows

    out = [
        "## Reference",
        "",
        "Generated from the schema (`fakeid/core/configs.py`) when the site is built: every key, its type, default, "
        "range and meaning, declared once there; and what each YAML file of `fakeid.CONF_DIR` sets.",
        "",
        "### Commands",
        "",
    ]
    order = [*COMMAND_ORDER, *(name for name in COMMANDS if name not in COMMAND_ORDER)]
    for name in order:
        schema = COMMANDS[name]
        out += [f"#### `fakeid.{name}` ({name}.yaml)", "", text_cell((schema.__doc__ or "").strip()), ""]
        groups = [f.name for f in dataclasses.fields(schema) if f.name in GROUPS or (conf_dir / f.name).is_dir()]
        if groups:
            out += ["Groups: " + ", ".join(f"[`{g}`](#{g})" for g in groups) + ".", ""]
        rows = [row for row in reference_rows(schema) if row[0] not in groups]
        out += [*rows_table(rows), ""]
    out += ["### Groups", ""]
    for group in sorted(path.name for path in conf_dir.iterdir() if path.is_dir() and path.name != "hydra"):
        files = sorted((conf_dir / group).glob("*.yaml"))
        out += [f"#### {group}", "", "Choices: " + ", ".join(f"`{path.stem}`" for path in files) + ".", ""]
        for choice, schema in GROUPS.get(group, {}).items():
            title = f"{group}={choice}" if (conf_dir / group / f"{choice}.yaml").is_file() else choice
            out += [f"Keys of `{title}` ({schema.__name__}): {text_cell((schema.__doc__ or '').strip())}", ""]
            out += [*rows_table([(f"{group}.{row[0]}", *row[1:]) for row in reference_rows(schema)]), ""]
        for path in files:
            title = f"+experiment={path.stem}" if group == "experiment" else f"{group}={path.stem}"
            out += [f"##### `{title}` ({group}/{path.name})", "", *header_markdown(header_lines(path))]
            values = yaml_values(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
            out += [sets_line(values), ""]
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

    print(reference_markdown(CONF_DIR))
    for line in undocumented(CONF_DIR):
        print(line, file=sys.stderr)
