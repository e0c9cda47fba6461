"""One paired comparison (`fakeid.analysis.compare.Comparison`) as the report shows it: its table of differences,
marked where supported, then its power statements and notes. Shared by the section "Is the difference real?"
(a sweep's levels) and "Published detectors" (detectors against each other)."""

from __future__ import annotations

from fakeid.analysis.compare import Comparison
from fakeid.reporting.html import Cell, esc, table

COLUMNS = ["level", "group", "metric", "diff", "95 % interval", "p (Holm)", "supported"]


def comparison_markup(comparison: Comparison, css_id: str) -> str:
    rows = [
        [
            row.level,
            row.group,
            row.metric,
            Cell(row.diff, f"{row.diff:+.3f}"),
            f"[{row.ci_low:+.3f}, {row.ci_high:+.3f}]",
            Cell(row.p_holm, f"{row.p_holm:.3g}"),
            "yes" if row.supported else "",
        ]
        for row in comparison.table.itertuples()
    ]
    caption = (
        f"{comparison.variable}: each level minus the baseline {comparison.variable}="
        f"{comparison.baseline}, mean over paired seeds; interval from the bootstrap over seeds and the "
        "test images they share, p the larger of its and the crossed t's, Holm over the table; supported: "
        "p (Holm) < 0.05 (docs/statistics.md)"
    )
    statements = [comparison.power_statement(group) for group in comparison.power["group"].unique()]
    notes = "<ul>" + "".join(f"<li>{esc(text)}</li>" for text in statements + comparison.notes) + "</ul>"
    return table(COLUMNS, rows, css_id=css_id, caption=esc(caption)) + notes
