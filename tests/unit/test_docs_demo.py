"""The docs' demo numbers and pictures are regenerated, not hand-copied (tools/mkdocs_hooks.py, `make docs-demo`):
every placeholder renders against the committed CSVs of docs/demo/ to the value written beside it, and every
demo picture carries the SHA-256 of the committed CSV it was drawn from."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from fakeid.analysis.pictures import CSV_SHA256_KEY, csv_sha256, png_text
from tests.unit.test_config_reference import load_hooks

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def hooks():
    return load_hooks()


def test_every_placeholder_renders_to_the_value_written(hooks) -> None:
    pages = hooks.demo_pages()
    assert {page.name for page in pages} >= {"figures.md", "statistics.md"}
    count = 0
    for page in pages:
        for match in hooks.DEMO.finditer(page.read_text(encoding="utf-8")):
            rendered = hooks.render(match.group(1))  # raises DemoError when the CSVs cannot answer
            assert rendered == match.group(2), f"{page.name}: `{match.group(1)}` is stale: run make docs-demo"
            count += 1
    assert count >= 10


def test_every_demo_picture_was_drawn_from_its_committed_csv(hooks) -> None:
    embedded = "".join(page.read_text(encoding="utf-8") for page in (REPO / "docs").glob("*.md"))
    for name, picture in hooks.DEMO_PICTURES.items():
        assert f"({picture})" in embedded, f"docs/{picture} is drawn by make docs-demo but no page shows it"
        text = png_text(REPO / "docs" / picture)
        assert text.get(CSV_SHA256_KEY) == csv_sha256(REPO / "docs" / "demo" / f"{name}.csv"), picture


def test_a_new_demo_rewrites_the_values_and_pictures(hooks, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(REPO / "docs" / "demo", docs / "demo")
    outputs = tmp_path / "outputs"
    for name, source in hooks.DEMO_SOURCES.items():
        (outputs / source).parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("csv", "json"):  # what make demo writes (a comparison has no .json)
            if (docs / "demo" / f"{name}.{suffix}").is_file():
                shutil.copyfile(docs / "demo" / f"{name}.{suffix}", outputs / f"{source}.{suffix}")
    fig1 = pd.read_csv(outputs / "figures" / "fig1.csv")
    trend = (fig1["kind"] == "trend") & (fig1["group"] == "acc")
    fig1.loc[trend, "trend_p"], fig1.loc[trend, "trend_direction"] = 0.001, "falls"  # a new demo: acc now falls
    fig1.to_csv(outputs / "figures" / "fig1.csv", index=False)
    (docs / "page.md").write_text(
        "Accuracy <!-- demo: trend fig1 acc acc -->rises (Page's L p = 0.003)<!-- /demo -->.\n"
    )
    hooks.docs_demo(outputs, docs)
    assert "<!-- demo: trend fig1 acc acc -->falls (Page's L p = 0.001)<!-- /demo -->" in (docs / "page.md").read_text()
    assert png_text(docs / "demo_fig1.png")[CSV_SHA256_KEY] == csv_sha256(docs / "demo" / "fig1.csv")


def test_an_expression_the_csvs_cannot_answer_is_an_error_naming_it(hooks) -> None:
    with pytest.raises(hooks.DemoError, match="expected one of trend"):
        hooks.render("slopes fig1 acc acc")
    with pytest.raises(hooks.DemoError, match="no row for the trend of acc on 'nothing' in fig1.csv"):
        hooks.render("trend fig1 nothing acc")
    warnings = []
    page = "x <!-- demo: trend fig1 nothing acc -->old<!-- /demo -->"
    assert hooks.render_page(page, rewrite=False, warn=warnings.append) == page and len(warnings) == 1


def test_the_planners_answer_renders_and_says_when_seeds_alone_never_get_there(hooks, tmp_path: Path) -> None:
    pd.DataFrame(
        [
            {"group": "unseen content", "metric": "acc", "effect": 0.2, "family": 36}
            | {"seeds_needed_x1": 6.0, "mark_seeds_x1": float("inf")}
        ]
    ).to_csv(tmp_path / "plan_categories.csv", index=False)
    assert hooks.render('seeds plan_categories "unseen content" acc', tmp_path) == (
        "6 seeds for one test at 5 % and more than 1000 for a mark (Holm over 36 comparisons), "
        "to detect 0.2 at 80 % power"
    )
