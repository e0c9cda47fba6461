"""The model card's robustness rows: the evaluations of this run found by the one sweep walker."""

from __future__ import annotations

import json
from pathlib import Path

from fakeid.analysis.model_card import robustness_rows


def _evaluation(path: Path, source: Path, quality: int) -> None:
    path.mkdir(parents=True)
    record = {
        "status": "ok",
        "kind": "eval",
        "perturbation": {"name": "jpeg", "quality": quality},
        "source": {"run": str(source)},
        "test": [{"set": "stylegan2/car", "acc": 0.5}],
    }
    (path / "metrics.json").write_text(json.dumps(record))


def test_the_card_reads_this_runs_evaluations_only(tmp_path: Path) -> None:
    run_dir = tmp_path / "sweeps" / "demo" / "seed=0"
    other = tmp_path / "sweeps" / "demo" / "seed=1"
    run_dir.mkdir(parents=True)
    evals = tmp_path / "evals" / "robustness" / "demo"
    _evaluation(evals / "seed=0" / "jpeg_50", run_dir, 50)
    _evaluation(evals / "seed=0" / "jpeg_90", run_dir, 90)
    _evaluation(evals / "seed=1" / "jpeg_50", other, 50)  # another run's: not on this card
    _evaluation(evals / "seed=0" / ".hidden" / "jpeg_70", run_dir, 70)  # a hidden folder is never walked

    rows = robustness_rows(run_dir)
    assert [row["perturbation"] for row in rows] == ["jpeg quality=50", "jpeg quality=90"]
    assert all(row["set"] == "stylegan2/car" for row in rows)
