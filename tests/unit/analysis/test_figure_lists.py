"""figure=[...]: several figures in one process, each where `figure=NAME` (or make compare) would put it, the same
bytes; and the drawn records beside them (fakeid.analysis.figures.provenance): a report takes a figure only when
it was drawn from exactly its rows and keys."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from fakeid import figures as figures_command
from fakeid.analysis import collect, scores
from fakeid.analysis.compare import replicates
from fakeid.analysis.figures import catalog, provenance
from fakeid.analysis.figures.figure import Options
from tests.helpers.commands import assert_one_line_error, exited
from tests.helpers.fake_scores import add_scores
from tests.helpers.fake_sweep import write_fake_sweep

GRID = {"data.num_categories": [10], "model.drop_rate": [0.0, 0.5], "seed": [0, 1]}
FAST = "n_boot=40"


@pytest.fixture(scope="module")
def sweep_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sweep = write_fake_sweep(tmp_path_factory.mktemp("s") / "demo_dropout", grid=GRID)
    add_scores(sweep, n_per_class=6)
    return collect.collect_to_csv([sweep.path], n_boot=40)


def _files(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def test_a_list_draws_each_figure_where_one_process_each_did_and_reads_each_scores_file_once(
    sweep_csv: Path, tmp_path: Path, monkeypatch
) -> None:
    one_by_one = tmp_path / "one"
    assert figures_command.main(["figure=fig2", f"csv={sweep_csv}", f"out={one_by_one}", FAST]) == 0
    compare_dir = one_by_one / "compare" / "demo_dropout"
    argv = [f"csv={sweep_csv}", FAST, "baseline=0.0"]
    assert figures_command.main(["figure=compare", f"out={compare_dir}", *argv]) == 0
    calibration_dir = one_by_one / "calibration" / "demo_dropout"
    assert figures_command.main(["figure=calibration", f"csv={sweep_csv}", f"out={calibration_dir}", FAST]) == 0

    parsed = []
    monkeypatch.setattr(
        scores, "_parse", lambda path, data, parse=scores._parse: parsed.append(path) or parse(path, data)
    )
    monkeypatch.setattr(scores, "MEMO", scores.ScoresMemo())
    together = tmp_path / "together"
    command = ["figure=[fig2,compare,calibration]", f"csv={sweep_csv}", f"out={together}", FAST]
    assert figures_command.main([*command, "per_figure={compare:{baseline:0.0}}"]) == 0
    drawn = _files(together)
    assert drawn == _files(one_by_one)  # the same files, records too, byte for byte, where the commands put them
    assert {"fig2.drawn.json", "compare/demo_dropout/compare.drawn.json"} <= set(drawn)
    assert len(parsed) == len(set(parsed)) == 4  # each run's scores.csv parsed once for all three
    record = json.loads(drawn["compare/demo_dropout/compare.drawn.json"])
    assert record["options"]["baseline"] == 0.0 and record["figure"] == "compare"
    assert json.loads(drawn["fig2.drawn.json"])["options"]["baseline"] is None  # per_figure is one figure's


def test_sweeps_are_collected_first_as_fakeid_collect_does_and_drawn_as_from_their_csv(tmp_path: Path) -> None:
    """sweeps=[DIR] (make demo's one process per sweep): DIR/results.csv as `fakeid.collect sweeps=DIR` writes
    it, and the figures csv= draws from it."""
    sweep = write_fake_sweep(tmp_path / "demo_dropout", grid=GRID)
    add_scores(sweep, n_per_class=6)
    command = ["figure=[fig2,compare]", FAST, "per_figure={compare:{baseline:0.0}}"]
    assert figures_command.main([*command, f"sweeps=[{sweep.path}]", f"out={tmp_path / 'collected'}"]) == 0
    written = (sweep.path / "results.csv").read_bytes()
    assert collect.collect_to_csv([sweep.path], tmp_path / "apart.csv", n_boot=40).read_bytes() == written
    assert figures_command.main([*command, f"csv={sweep.path / 'results.csv'}", f"out={tmp_path / 'csv'}"]) == 0
    assert _files(tmp_path / "collected") == _files(tmp_path / "csv")


@pytest.mark.parametrize(
    "extra, expected",
    [
        (["figure=[fig2,simulate]"], r"figure=\[fig2, simulate\]: expected one of .*, or a list of distinct names"),
        (["figure=[fig2,fig2]"], r"figure=\[fig2, fig2\]: expected one of"),
        (["figure=[fig2]", "per_figure={fig3:{effect:0.2}}"], r"per_figure.fig3: not a figure of figure=\[fig2\]"),
        (["figure=[fig2]", "per_figure={fig2:{efect:0.2}}"], r"per_figure.fig2.efect: not a figure key; expected"),
        (
            ["figure=[fig2]", "per_figure={fig2:{effect:2}}"],
            re.escape("per_figure.fig2.effect=2: expected a number in (0, 1]"),
        ),
        (["figure=fig2", "per_figure={fig2:{effect:0.2}}"], r"per_figure: only with a list of figures"),
    ],
    ids=["simulate in a list", "twice", "not in the list", "unknown key", "out of range", "one figure"],
)
def test_a_bad_list_is_one_line(sweep_csv: Path, tmp_path: Path, capsys, extra, expected) -> None:
    with pytest.raises(SystemExit) as exit_info:
        figures_command.main([*extra, f"csv={sweep_csv}", f"out={tmp_path}", FAST])
    assert_one_line_error(exited(exit_info, capsys), "^fakeid: error: " + expected)


def test_a_figure_of_the_list_that_cannot_be_drawn_fails_the_command_after_the_others(
    sweep_csv: Path, tmp_path: Path, capsys
) -> None:
    with pytest.raises(SystemExit) as exit_info:  # fig1 needs more than one number of categories
        figures_command.main(["figure=[fig1,fig2]", f"csv={sweep_csv}", f"out={tmp_path}", FAST])
    done = exited(exit_info, capsys)
    assert_one_line_error(done, re.escape("1 of 2 figures not drawn (fig1)"), preceded_by="fakeid: skipped fig1: .+")
    assert (tmp_path / "fig2.png").is_file() and not (tmp_path / "fig1.drawn.json").exists()


def _counting(monkeypatch) -> list[str]:
    """The names of the figures drawn (not copied) from here on."""
    drawn: list[str] = []
    makers = catalog._makers

    def counted() -> dict:
        return {name: (lambda *a, _n=name, _m=maker: drawn.append(_n) or _m(*a)) for name, maker in makers().items()}

    monkeypatch.setattr(catalog, "_makers", counted)
    return drawn


def test_a_figure_drawn_from_the_same_rows_and_keys_is_copied_and_any_change_draws_it_again(
    sweep_csv: Path, tmp_path: Path, monkeypatch
) -> None:
    df = collect.read_results(sweep_csv)
    options = Options(n_boot=40)
    figures_dir = tmp_path / "figures"
    with replicates.sharing():
        catalog.make("fig2", df, figures_dir, "the table", options, record=True)
    drawn = _counting(monkeypatch)

    copied = catalog.make("fig2", df, tmp_path / "report", "the report", options, drawn=[figures_dir])
    assert isinstance(copied, catalog.Copied) and drawn == []
    assert _files(tmp_path / "report") == {
        name: data for name, data in _files(figures_dir).items() if not name.endswith(provenance.DRAWN_SUFFIX)
    }

    def redrawn(table: pd.DataFrame, opts: Options = options) -> bool:
        before = len(drawn)
        catalog.make("fig2", table, tmp_path / "again", "the report", opts, drawn=[figures_dir])
        return len(drawn) == before + 1

    changed = df.copy()
    changed.loc[changed.index[0], "acc"] = changed["acc"].iloc[0] + 1e-9  # one score of one row
    assert redrawn(changed)
    assert redrawn(df, Options(n_boot=41))  # other keys
    assert redrawn(df.iloc[::-1])  # the rows in another order
    assert not redrawn(pd.concat([df, df.iloc[:0]]))  # the same rows however they were put together

    scores_csv = Path(df["scores_file"].dropna().iloc[0])
    kept = scores_csv.read_bytes()
    scores_csv.write_bytes(kept.replace(b"\n", b"\r\n", 1))  # the same numbers, other bytes: drawn again
    try:
        assert redrawn(df)
    finally:
        scores_csv.write_bytes(kept)
    png = figures_dir / "fig2.png"
    png.write_bytes(png.read_bytes() + b"\0")  # a drawn file edited since its record
    assert redrawn(df)
