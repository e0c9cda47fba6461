"""fakeid.analysis.simulation at a tiny size: the machinery, not the published numbers (`make stats-simulation`)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from fakeid import figures as figures_command
from fakeid.analysis import simulation


def test_with_shared_image_noise_the_nested_bootstrap_errs_more_than_the_crossed_one() -> None:
    """rho = 0.7, image noise only: the nested bootstrap cancels the image noise the seeds share and rejects a true
    0 far more often than the crossed one (0.14 vs 0.03 at the published size), and the seed-only t, which
    cannot see that noise at all, more still; the mark stays at or below the crossed bootstrap."""
    table = simulation.simulate(n_sweeps=200, n_boot=200, rhos=(0.7,), mixes=((0.0, 0.03),), with_power=False)
    row = table.iloc[0]
    assert row["nested_bootstrap"] > row["crossed_bootstrap"] + 0.05
    assert row["seed_t"] > 0.15
    assert row["mark"] <= row["crossed_bootstrap"] and row["mark"] <= 0.05


def test_without_shared_noise_the_designs_agree_and_power_is_near_the_planners() -> None:
    """rho = 0: a seed's images are as good as its own, so both bootstraps reject alike; at the planner's detectable
    difference the crossed t detects about 80 % of the time (the planner is honest)."""
    table = simulation.simulate(n_sweeps=300, n_boot=200, rhos=(0.0,), mixes=((0.10, 0.01),))
    row = table.iloc[0]
    assert abs(row["nested_bootstrap"] - row["crossed_bootstrap"]) < 0.05
    assert 0.7 <= row["power_crossed_t"] <= 0.9


def test_the_command_writes_the_table_without_a_results_csv(tmp_path: Path) -> None:
    args = ["figure=simulate", "sim_sweeps=3", "n_boot=20", f"out={tmp_path}"]
    assert figures_command.main(args) == 0
    table = pd.read_csv(tmp_path / "simulation.csv")
    assert len(table) == len(simulation.RHOS) * len(simulation.NOISE_MIXES)
    assert set(simulation.RULES) <= set(table.columns) and table["mark"].between(0, 1).all()
    assert "| rho | sd_seed |" in (tmp_path / "simulation.md").read_text()


def test_the_docs_show_the_table_of_the_committed_simulation_csv() -> None:
    """docs/statistics.md's false-positive table is docs/data/simulation.csv (written by `make stats-simulation`)
    as simulation.markdown renders it: rerunning the target and not the docs (or the reverse) fails here."""
    repo = Path(__file__).resolve().parents[3]
    page = (repo / "docs" / "statistics.md").read_text()
    shown = page.split("<!-- simulation-table -->\n")[1].split("<!-- /simulation-table -->")[0]
    assert shown == simulation.markdown(pd.read_csv(repo / "docs" / "data" / "simulation.csv"))
