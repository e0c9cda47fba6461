"""What identifies a finished run (the config hash), and the atomic write of metrics.json."""

import json

from fakeid.core.atomic import write_json_atomically
from fakeid.runs.record import already_done, config_hash

BASE = {
    "data.num_categories": 3,
    "model.drop_rate": 0.3,
    "seed": 1,
    "data.num_workers": 4,
    "trainer.enable_progress_bar": True,
    "paths.outputs": "outputs",
    "version.torch": "2.14.1",
}


def test_hash_follows_the_experiment_not_where_or_how_fast_it_runs():
    same = {**BASE, "data.num_workers": 0, "paths.outputs": "/elsewhere", "version.torch": "2.15.0"}
    assert config_hash(same) == config_hash(BASE)
    for key, value in (("model.drop_rate", 0.4), ("seed", 2), ("data.num_categories", 4)):
        assert config_hash({**BASE, key: value}) != config_hash(BASE), key


def test_only_an_ok_result_of_the_same_configuration_counts_as_done(tmp_path):
    expected = config_hash(BASE)
    assert not already_done(tmp_path, expected)
    write_json_atomically(tmp_path / "metrics.json", {"status": "failed", "config_hash": expected})
    assert not already_done(tmp_path, expected)
    write_json_atomically(tmp_path / "metrics.json", {"status": "ok", "config_hash": expected})
    assert already_done(tmp_path, expected) and not already_done(tmp_path, "another")
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"], "no temporary file is left behind"
    assert json.loads((tmp_path / "metrics.json").read_text())["status"] == "ok"
