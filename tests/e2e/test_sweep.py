"""Sweeps through the real CLI: a tiny multirun, its collection, figures, notebook, resume and failures."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from hydra import compose, initialize_config_dir
from nbclient import NotebookClient

from fakeid import CONF_DIR
from fakeid.analysis.collect import check_completeness, expected_grid, load_runs, tidy, write_results
from fakeid.synth import generate
from tests.helpers.commands import REPO, run_module
from tests.helpers.layouts import make_layout
from tests.helpers.sweeps import sweep


@pytest.fixture(scope="module")
def tiny_sweep(tmp_path_factory) -> Path:
    """On the `tiny` synthetic benchmark, a 2 x 2 grid + one impossible category count: four jobs that
    train, two that fail at once."""
    base = tmp_path_factory.mktemp("sweep")
    root = generate(base / "data", preset="tiny", seed=0, progress=False)
    done = sweep(base / "outputs", root, "tiny", "data.num_categories=2,3,11", "model.drop_rate=0.0,0.5")
    assert done.returncode == 1, done.stderr[-3000:]  # the sweep ran to the end, then reported its failed jobs
    assert "2 of 6 jobs failed" in done.stderr and done.stderr.count("error.log") == 2, done.stderr[-3000:]
    return base / "outputs" / "sweeps" / "tiny"


def metrics_files(sweep_dir: Path) -> list[Path]:
    return sorted(sweep_dir.glob("*/metrics.json"))


@pytest.mark.slow
def test_sweep_records_failures_and_goes_on(tiny_sweep):
    results = [json.loads(p.read_text()) for p in metrics_files(tiny_sweep)]
    assert sorted(r["status"] for r in results) == ["failed"] * 2 + ["ok"] * 4
    ok = [r for r in results if r["status"] == "ok"]
    assert all(r["hparams"]["data.dataset_kind"] == "synthetic" for r in ok)
    sets = {entry["set"]: entry for entry in ok[0]["test"]}
    assert not sets["progan/sheep"]["seen_category"] and not sets["stylegan2/ffhq"]["seen_generator"]
    failed = [r for r in results if r["status"] == "failed"]
    assert all("data.num_categories=11 is outside 1..10" in r["error"] for r in failed)


@pytest.mark.slow
def test_collector_rows_equal_the_jobs_metrics(tiny_sweep, tmp_path):
    done = run_module("fakeid.collect", f"sweeps={tiny_sweep}", f"out={tmp_path / 'results.csv'}")
    assert done.returncode == 0, done.stderr
    assert "failed" in done.stderr and "11 is outside" in done.stderr
    table = pd.read_csv(tmp_path / "results.csv")
    ok = [json.loads(p.read_text()) for p in metrics_files(tiny_sweep)]
    ok = [r for r in ok if r["status"] == "ok"]
    assert len(table[table.status == "ok"]) == sum(len(r["test"]) for r in ok)
    for result in ok:
        hp = result["hparams"]
        rows = table[
            (table["data.num_categories"] == hp["data.num_categories"])
            & (table["model.drop_rate"] == hp["model.drop_rate"])
        ]
        for entry in result["test"]:
            row = rows[rows["set"] == entry["set"]].iloc[0]
            for key in ("acc", "real_acc", "fake_acc", "ap", "auroc", "acc_cal", "n_real", "n_fake"):
                assert row[key] == pytest.approx(entry[key]), (entry["set"], key)
    report = check_completeness(tiny_sweep, load_runs([tiny_sweep]))
    assert report.grid_size == 6 and report.n_ok == 4 and len(report.failed) == 2


@pytest.mark.slow
def test_figures_from_the_sweep(tiny_sweep, tmp_path):
    csv = write_results(tidy(load_runs([tiny_sweep])), tmp_path / "results.csv")
    done = run_module("fakeid.figures", "figure=all", f"csv=[{csv}]", f"out={tmp_path / 'figures'}")
    assert done.returncode == 0, done.stderr
    for name in ("fig1", "fig2", "fig3"):
        for suffix in ("png", "pdf", "csv"):
            assert (tmp_path / "figures" / f"{name}.{suffix}").stat().st_size > 0


@pytest.mark.slow
def test_notebook_runs_on_the_real_sweep(tiny_sweep, tmp_path, monkeypatch):
    monkeypatch.setenv("FAKEID_SWEEPS", str(tiny_sweep))
    monkeypatch.setenv("FAKEID_FIGURES", str(tmp_path / "figures"))
    notebook = nbformat.read(REPO / "notebooks" / "analysis.ipynb", as_version=4)
    NotebookClient(
        notebook, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(REPO / "notebooks")}}
    ).execute()
    assert (tmp_path / "figures" / "fig1.png").is_file()


@pytest.mark.slow
def test_rerunning_a_finished_sweep_trains_nothing(tiny_sweep):
    before = {p: p.stat().st_mtime_ns for p in metrics_files(tiny_sweep)}
    ok = {p for p in before if json.loads(p.read_text())["status"] == "ok"}
    root = Path(json.loads(next(iter(ok)).read_text())["hparams"]["data.root"])
    done = sweep(tiny_sweep.parent.parent, root, "tiny", "data.num_categories=2,3,11", "model.drop_rate=0.0,0.5")
    assert done.returncode == 1 and "2 of 6 jobs failed" in done.stderr, done.stderr[-3000:]
    assert done.stdout.count("skipping") + done.stderr.count("skipping") == 4
    for path in ok:
        assert path.stat().st_mtime_ns == before[path], f"{path} was rewritten"


@pytest.mark.slow
@pytest.mark.parametrize("launcher", ["submitit_local", "parallel"])
def test_process_launchers_run_a_two_job_sweep_and_list_a_failed_one(tmp_path, launcher):
    # 12 per class: at n = 1 cat gives 6 to train and reserves 4 for validation
    root = make_layout(tmp_path / "data", categories=["cat", "church_outdoor"], train_per_class=12)
    done = sweep(
        tmp_path / "outputs",
        root,
        launcher,
        f"launcher={launcher}",
        "data.num_categories=1,2,3",
        "data.categories=[cat,church_outdoor]",
        "data.train_per_class=6",
    )
    assert done.returncode == 1, done.stderr[-3000:]
    assert "1 of 3 jobs failed" in done.stderr and "data.num_categories=3 is outside 1..2" in done.stderr
    results = [json.loads(p.read_text()) for p in metrics_files(tmp_path / "outputs" / "sweeps" / launcher)]
    results = [r for r in results if r["status"] == "ok"]
    assert len(results) == 2
    assert sorted(r["hparams"]["data.num_categories"] for r in results) == [1, 2]


@pytest.mark.parametrize(
    "experiment, size, keys",
    [
        ("categories", 30, {"data.num_categories", "seed"}),
        ("dropout", 30, {"model.drop_rate", "data.num_categories", "seed"}),
        ("demo_categories", 24, {"data.num_categories", "seed"}),
        ("demo_dropout", 12, {"model.drop_rate", "data.num_categories", "seed"}),
        ("demo_baselines", 6, {"model.name", "data.num_categories", "seed"}),
    ],
)
def test_experiment_grids_have_the_documented_size(tmp_path, experiment, size, keys):
    """Expand each experiment's own grid (the multirun.yaml Hydra would write) without running it."""
    with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
        cfg = compose("train", overrides=[f"+experiment={experiment}", "data.root=/x"], return_hydra_config=True)
    assert cfg.hydra.mode.name == "MULTIRUN" and set(cfg.hydra.sweeper.params) == keys
    sweep_dir = tmp_path / experiment
    sweep_dir.mkdir()
    from omegaconf import OmegaConf

    cfg.hydra.overrides.task = [f"+experiment={experiment}"]
    (sweep_dir / "multirun.yaml").write_text(OmegaConf.to_yaml(cfg))
    assert len(expected_grid(sweep_dir)) == size


@pytest.mark.slow
def test_a_sweep_over_models_is_collected_drawn_and_compared_by_model(tmp_path):
    """`model.name=test_resnet,npr` x 2 seeds (make demo-baselines in small): collect keeps each run's network,
    Fig 1 draws one line per model, and figure=compare pairs NPR with the baseline network seed by seed."""
    root = generate(tmp_path / "data", preset="tiny", seed=0, progress=False)
    outputs = tmp_path / "outputs"
    done = sweep(outputs, root, "models", "model.name=test_resnet,npr", "seed=0,1", "data.num_categories=1,2")
    assert done.returncode == 0, done.stderr[-3000:]
    table = tmp_path / "results.csv"
    assert run_module("fakeid.collect", f"sweeps={outputs / 'sweeps' / 'models'}", f"out={table}").returncode == 0
    df = pd.read_csv(table)
    assert set(df["model.name"]) == {"test_resnet", "npr"}
    drawn = run_module("fakeid.figures", "figure=fig1", f"csv={table}", f"out={tmp_path / 'figures'}")
    assert drawn.returncode == 0, drawn.stderr[-3000:]
    fig1 = pd.read_csv(tmp_path / "figures" / "fig1.csv")
    assert {str(s).rsplit("| model ", 1)[-1] for s in fig1["series"]} == {"test_resnet", "npr"}
    at_two = tmp_path / "at_two.csv"  # one level of the other swept key, so only the network varies
    df[df["data.num_categories"] == 2].to_csv(at_two, index=False)
    compared = run_module(
        "fakeid.figures",
        "figure=compare",
        f"csv={at_two}",
        "variable=model.name",
        "baseline=test_resnet",
        f"out={tmp_path / 'compare'}",
    )
    assert compared.returncode == 0, compared.stderr[-3000:]
    comparison = pd.read_csv(tmp_path / "compare" / "compare.csv")
    assert set(comparison["level"].astype(str)) == {"npr"} and (comparison["n_seeds"] == 2).all()
