"""`logger=mlflow` against a real MLflow tracking server on 127.0.0.1, and `logger=wandb` offline: what a
tracker shows of a sweep equals the runs' metrics.json, a resumed run keeps its tracker run, and a tracker that
dies mid-sweep costs at most one warning line per run, never a result."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from fakeid.runs.files import METRICS_FILE, SCORES_FILE, TRACKER_FILE
from fakeid.runs.record import read_record
from fakeid.synth import generate
from fakeid.training.tracking import THRESHOLD_METRIC, final_metrics, identity_params
from tests.helpers.commands import run_module
from tests.helpers.mlflow_server import QUIET, free_port, mlflow_server, stop
from tests.helpers.sweeps import TINY
from tests.helpers.wandb_offline import offline_run

TRACKED = [o for o in TINY if not o.startswith("logger=")] + [
    "trainer.enable_progress_bar=false",
    "trainer.log_every_n_steps=1",
]
WARNING = "fakeid: warning: mlflow tracker"
GRID = "data.num_categories=1,2"  # two points: fakeid.figures draws Fig 1 from them


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    return generate(tmp_path_factory.mktemp("tracked") / "data", preset="tiny", seed=0, progress=False)


@pytest.fixture
def quiet(monkeypatch):
    for key, value in QUIET.items():
        monkeypatch.setenv(key, value)


def tracked_sweep(outputs: Path, root: Path, name: str, logger: str, *extra: str):
    return run_module(
        "fakeid.train", "-m", *TRACKED, f"data.root={root}", f"paths.outputs={outputs}", f"experiment_name={name}",
        f"logger={logger}", *extra,
    )  # fmt: skip


def job_folders(sweep_dir: Path) -> list[Path]:
    return sorted(path.parent for path in sweep_dir.glob(f"*/{METRICS_FILE}"))


@pytest.mark.slow
def test_a_sweep_on_a_real_mlflow_server_holds_every_run_as_its_metrics_json(tmp_path, root, quiet):
    mlflow = pytest.importorskip("mlflow")
    with mlflow_server(tmp_path / "mlflow") as (uri, _):
        done = tracked_sweep(tmp_path / "out", root, "tracked", "mlflow", GRID, f"logger.mlflow.tracking_uri={uri}")
        assert done.returncode == 0, done.stderr[-3000:]
        assert WARNING not in done.stderr
        client = mlflow.MlflowClient(uri)
        experiment = client.get_experiment_by_name("tracked")  # the sweep folder's name
        assert experiment is not None
        jobs = job_folders(tmp_path / "out" / "sweeps" / "tracked")
        assert len(jobs) == 2 and not any(
            "logger" in job.name for job in jobs
        )  # the tracker names no job and len(client.search_runs([experiment.experiment_id])) == 2
        run_ids = {}
        for job in jobs:
            record = read_record(job)
            assert record.status == "ok"
            entry = record.trackers["mlflow"]
            assert entry == json.loads((job / TRACKER_FILE).read_text())["mlflow"]
            run = client.get_run(entry["run_id"])
            run_ids[job] = run.info.run_id
            assert run.info.run_name == job.name and run.info.status == "FINISHED"
            assert run.data.params == identity_params(record)
            assert "data.num_categories" in run.data.params and "logger.mlflow.tracking_uri" not in run.data.params
            final = final_metrics(record)
            assert len(final) == 1 + 8 * len(record.test)  # every set's 8 metrics and the threshold
            assert {key: run.data.metrics[key] for key in final} == final
            assert run.data.metrics[THRESHOLD_METRIC] == record.threshold
            sets = {entry["set"]: entry for entry in record.test}
            assert run.data.metrics["test/progan/sheep/auroc"] == sets["progan/sheep"]["auroc"]
            assert "train/loss" in run.data.metrics and "val/loss" in run.data.metrics  # the training curves
            assert {a.path for a in client.list_artifacts(run.info.run_id)} == {METRICS_FILE, SCORES_FILE}
            for name in (METRICS_FILE, SCORES_FILE):
                copy = mlflow.artifacts.download_artifacts(
                    run_id=run.info.run_id,
                    artifact_path=name,
                    dst_path=str(tmp_path / "dl" / job.name),
                    tracking_uri=uri,
                )
                assert Path(copy).read_bytes() == (job / name).read_bytes()

        # fakeid.figures pointed at the tracked sweep adds what it drew to the sweep's experiment, as a run `figures`
        sweep_dir = tmp_path / "out" / "sweeps" / "tracked"
        collected = run_module("fakeid.collect", f"sweeps=[{sweep_dir}]", f"out={sweep_dir / 'results.csv'}")
        assert collected.returncode == 0, collected.stderr[-3000:]
        figures_dir = tmp_path / "figures"
        drawn = run_module("fakeid.figures", "figure=fig1", f"csv=[{sweep_dir / 'results.csv'}]", f"out={figures_dir}")
        assert drawn.returncode == 0 and f"uploaded the figures to mlflow {uri} tracked/figures" in drawn.stdout
        (figures,) = client.search_runs([experiment.experiment_id], filter_string="tags.`fakeid.kind` = 'figures'")
        uploaded = {a.path for a in client.list_artifacts(figures.info.run_id, "figures")}
        assert {f"figures/{p.name}" for p in figures_dir.iterdir() if p.is_file()} == uploaded and uploaded

        # a requeued job (its previous attempt died) reopens its tracker run instead of starting a second one
        requeued = jobs[0]
        metrics = json.loads((requeued / METRICS_FILE).read_text())
        (requeued / METRICS_FILE).write_text(json.dumps({**metrics, "status": "interrupted"}))
        again = tracked_sweep(tmp_path / "out", root, "tracked", "mlflow", GRID, f"logger.mlflow.tracking_uri={uri}")
        assert again.returncode == 0, again.stderr[-3000:]
        runs = client.search_runs([experiment.experiment_id])
        assert sorted(run.info.run_name for run in runs) == sorted([job.name for job in jobs] + ["figures"])
        record = read_record(requeued)
        assert record.status == "ok" and record.trackers["mlflow"]["run_id"] == run_ids[requeued]
        assert record.trackers["mlflow"]["resumed"] is True
        assert client.get_run(run_ids[requeued]).info.status == "FINISHED"


@pytest.mark.slow
def test_a_tracker_killed_mid_sweep_costs_one_warning_per_run_at_most_and_no_result(tmp_path, root, quiet):
    pytest.importorskip("mlflow")
    sweep_dir = tmp_path / "out" / "sweeps" / "killed"
    with mlflow_server(tmp_path / "mlflow") as (uri, server):

        def kill_after_the_first_run() -> None:
            deadline = time.monotonic() + 600
            while not list(sweep_dir.glob(f"*/{METRICS_FILE}")) and time.monotonic() < deadline:
                time.sleep(0.2)
            stop(server)

        killer = threading.Thread(target=kill_after_the_first_run, daemon=True)
        killer.start()
        done = tracked_sweep(
            tmp_path / "out", root, "killed", "mlflow", "seed=0,1,2",
            f"logger.mlflow.tracking_uri={uri}", "logger.mlflow.http_retries=0",
        )  # fmt: skip
        killer.join(timeout=60)
    assert done.returncode == 0, done.stderr[-3000:]
    jobs = job_folders(sweep_dir)
    assert len(jobs) == 3 and all(read_record(job).status == "ok" for job in jobs)
    assert all((job / SCORES_FILE).is_file() for job in jobs)
    warnings = [line for line in done.stderr.splitlines() if line.startswith(WARNING)]
    assert 1 <= len(warnings) <= 3, done.stderr[-3000:]
    for job in jobs:  # one line per run at most, and its record says why its tracker view is incomplete
        assert sum(str(job) in line for line in warnings) <= 1
    # the last run started after the server was gone: warned as it opened its tracker run, which its record says
    assert any(str(jobs[-1]) in line for line in warnings)
    assert "warning" in read_record(jobs[-1]).trackers["mlflow"]


@pytest.mark.slow
def test_a_dead_tracker_port_is_one_warning_per_run(tmp_path, root, quiet):
    pytest.importorskip("mlflow")
    dead = f"http://127.0.0.1:{free_port()}"
    done = tracked_sweep(
        tmp_path / "out", root, "dead", "mlflow", "seed=0,1", f"logger.mlflow.tracking_uri={dead}",
        "logger.mlflow.http_retries=0",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    jobs = job_folders(tmp_path / "out" / "sweeps" / "dead")
    assert len(jobs) == 2 and all(read_record(job).status == "ok" for job in jobs)
    warnings = [line for line in done.stderr.splitlines() if line.startswith(WARNING)]
    assert len(warnings) == 2 and all(any(str(job) in line for line in warnings) for job in jobs), done.stderr[-3000:]
    assert not any((job / TRACKER_FILE).exists() for job in jobs)  # no tracker run was made


@pytest.mark.slow
def test_wandb_offline_runs_hold_the_params_and_metrics_of_metrics_json(tmp_path, root, monkeypatch):
    pytest.importorskip("wandb")
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    done = tracked_sweep(tmp_path / "out", root, "offline", "wandb", "seed=0,1")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "fakeid: warning" not in done.stderr
    jobs = job_folders(tmp_path / "out" / "sweeps" / "offline")
    assert len(jobs) == 2
    for job in jobs:
        record = read_record(job)
        entry = record.trackers["wandb"]
        (run_dir,) = (job / "wandb").glob(f"offline-run-*-{entry['run_id']}")
        logged = offline_run(run_dir / f"run-{entry['run_id']}.wandb")  # what `wandb sync` would send
        assert logged["run"].run_group == "offline" and logged["run"].display_name == job.name  # the sweep's group
        assert {key: logged["config"][key] for key in identity_params(record)} == identity_params(record)
        final = final_metrics(record)
        assert {key: logged["history"][key] for key in final} == final
        assert "train/loss" in logged["history"] and "val/loss" in logged["history"]
        for name in (METRICS_FILE, SCORES_FILE):
            assert (run_dir / "files" / name).read_bytes() == (job / name).read_bytes()
