"""fakeid.training.tracking without a tracker server: the numbers a tracker gets, and a dead tracker's one line."""

from __future__ import annotations

import math

import pytest

from fakeid.core.errors import FakeidError
from fakeid.runs.files import TRACKER_FILE
from fakeid.runs.record import RunRecord
from fakeid.training import tracking
from tests.helpers.mlflow_server import free_port


def test_final_metrics_are_the_records_numbers_without_nan_or_null():
    record = RunRecord(
        threshold=0.25,
        test=[
            {"set": "progan/cat", "acc": 0.5, "ap": math.nan, "auroc": 0.75, "acc_cal": None, "ece": 0.1, "n_real": 4},
            {"set": "stylegan2", "acc": 1, "brier": 0.0},
        ],
    )
    assert tracking.final_metrics(record) == {
        "test/progan/cat/acc": 0.5,
        "test/progan/cat/auroc": 0.75,
        "test/progan/cat/ece": 0.1,
        "test/stylegan2/acc": 1.0,
        "test/stylegan2/brier": 0.0,
        "threshold": 0.25,
    }


def test_identity_params_leave_out_where_and_how_a_run_goes():
    record = RunRecord(hparams={"seed": 1, "data.categories_used": ["cat"], "logger.mlflow.tracking_uri": "x",
                                "data.root": "/data", "version.torch": "2", "paths.outputs": "o"})  # fmt: skip
    assert tracking.identity_params(record) == {"seed": "1", "data.categories_used": '["cat"]'}


def test_a_dead_tracker_is_one_warning_line_then_silence(tmp_path, capsys, monkeypatch):
    pytest.importorskip("mlflow")
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    logger = tracking.TrackedMLFlowLogger(f"http://127.0.0.1:{free_port()}", http_retries=0, http_timeout_s=2)
    record = RunRecord(hparams={"seed": 0}, config_hash="abc")
    logger.bind(tmp_path, record, "adhoc")
    assert hasattr(logger, "experiment")  # Lightning's probe at setup: must not raise
    logger.log_hyperparams({"lr": 1})
    logger.log_metrics({"train/loss": 0.5}, step=1)
    logger.finalize("success")
    assert logger.version is None
    tracking.publish(tmp_path)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("fakeid: warning: mlflow tracker at http://127.0.0.1:")
    assert str(tmp_path) in lines[0] and "warning" in record.trackers["mlflow"]
    assert not (tmp_path / TRACKER_FILE).exists()


def test_a_missing_tracker_package_is_a_one_line_error(monkeypatch):
    monkeypatch.setattr(tracking.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(FakeidError, match=r"logger=mlflow needs the mlflow package: pip install -e '.\[mlflow\]'"):
        tracking.TrackedMLFlowLogger("http://127.0.0.1:1")
