"""Plain HTML for the report: escaped text, tables a click sorts, the page around them. No web framework.

A table cell carries its exact value in `data-v` (a number at full precision, or the text) and shows a
rounded one; the script sorts by `data-v`, and a reader (or a test) can compare `data-v` with results.csv.
Without JavaScript the tables read in their written order.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Sorts a table by the clicked column (numbers as numbers), again to reverse; nothing else runs.
SORT_SCRIPT = """
document.querySelectorAll("table.sortable th").forEach(function (th) {
  th.title = "sort"; th.style.cursor = "pointer";
  th.addEventListener("click", function () {
    var body = th.closest("table").tBodies[0], i = th.cellIndex, up = th.dataset.dir !== "up";
    var key = function (row) { var c = row.cells[i], v = c ? c.dataset.v || c.textContent : "";
      return v === "" || isNaN(v) ? v : Number(v); };
    Array.from(body.rows).sort(function (a, b) { var x = key(a), y = key(b);
      var c = typeof x === typeof y ? (x < y ? -1 : x > y ? 1 : 0) : typeof x === "number" ? -1 : 1;
      return up ? c : -c; }).forEach(function (row) { body.appendChild(row); });
    th.dataset.dir = up ? "up" : "down";
  });
});
"""

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 0 16px 48px; color: #222; }
h1 { font-size: 22px; margin-top: 24px; } h2 { font-size: 18px; border-bottom: 1px solid #ccc; margin-top: 32px; }
h3 { font-size: 15px; margin-top: 20px; } code { background: #f3f3f3; padding: 0 3px; }
nav a { margin-right: 12px; } .note { color: #555; } .bad { color: #a00; } .ok { color: #070; }
table { border-collapse: collapse; margin: 8px 0; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 2px 6px; text-align: left; vertical-align: top; }
th { background: #f5f5f5; } td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
figure { margin: 12px 0 24px; } figure img { max-width: 100%; border: 1px solid #eee; }
.gallery { display: flex; flex-wrap: wrap; gap: 8px; margin: 6px 0 14px; }
.tile { width: 120px; font-size: 11px; word-break: break-all; }
.tile img, .tile .missing, .tile .outside { width: 96px; height: 96px; image-rendering: pixelated; display: block;
  border: 1px solid #ccc; }
.tile .missing, .tile .outside { background: repeating-linear-gradient(45deg, #eee, #eee 6px, #fff 6px, #fff 12px);
  color: #a00; font-weight: bold; text-align: center; line-height: 96px; }
"""


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def shown_number(value: float, digits: int = 3) -> str:
    """A number as a table shows it, rounded (the exact value travels in the cell's data-v; a score written to
    be read back is `fakeid.core.numbers.number_text`)."""
    if math.isnan(value):
        return ""
    if float(value).is_integer() and abs(value) >= 1:
        return str(int(value))
    return f"{value:.{digits}f}"


@dataclass(frozen=True)
class Cell:
    """A table cell: the value it sorts and compares by, and the text it shows (markup allowed)."""

    value: object
    text: str | None = None  # None: the value, escaped (numbers rounded)


def cell(value: object) -> str:
    item = value if isinstance(value, Cell) else Cell(value)
    raw = item.value
    if is_number(raw):
        shown = shown_number(float(raw)) if item.text is None else item.text  # type: ignore[arg-type]  # a number
        exact = "" if math.isnan(float(raw)) else repr(float(raw)) if isinstance(raw, float) else str(raw)  # type: ignore[arg-type]  # a number
        return f'<td class="n" data-v="{esc(exact)}">{shown}</td>'
    shown = esc(raw) if item.text is None else item.text
    return f'<td data-v="{esc(raw)}">{shown}</td>'


def table(columns: Sequence[str], rows: Iterable[Sequence[object]], css_id: str = "", caption: str = "") -> str:
    """A sortable table; `rows` hold plain values or `Cell`s."""
    head = "".join(f"<th>{esc(name)}</th>" for name in columns)
    body = "\n".join("<tr>" + "".join(cell(value) for value in row) + "</tr>" for row in rows)
    ident = f' id="{esc(css_id)}"' if css_id else ""
    title = f"<caption>{caption}</caption>" if caption else ""
    return f'<table class="sortable"{ident}>{title}<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody></table>'


def definition_list(items: Iterable[tuple[str, str]]) -> str:
    """Two-column facts as a (not sortable) table; values are markup."""
    rows = "".join(f"<tr><th>{esc(key)}</th><td>{value}</td></tr>" for key, value in items)
    return f'<table class="facts">{rows}</table>'


def page(title: str, sections: Sequence[tuple[str, str, str]], intro: str = "") -> str:
    """The whole page: `sections` are (anchor, heading, markup)."""
    nav = " ".join(f'<a href="#{esc(anchor)}">{esc(heading)}</a>' for anchor, heading, _ in sections)
    body = "\n".join(f'<h2 id="{esc(anchor)}">{esc(heading)}</h2>\n{markup}' for anchor, heading, markup in sections)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<link rel="icon" href="data:,">\n'  # no favicon request: a static folder has none
        f"<title>{esc(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f"<h1>{esc(title)}</h1>\n{intro}\n<nav>{nav}</nav>\n{body}\n"
        f"<script>{SORT_SCRIPT}</script>\n</body>\n</html>\n"
    )
