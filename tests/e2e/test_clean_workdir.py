"""Every flat command writes only what the user asked for (issue 31): Hydra's run folder, its `.hydra/` copy of
the config and its `<app>.log` are off (`hydra.run.dir: .`, `hydra.output_subdir: null`, `hydra/job_logging:
none`), so a command refused inside its job, after Hydra has set the job up, leaves its working directory empty.
train and eval keep their run folders: those are what they make. predict's own cases (`out=FILE` writes only
FILE) are in test_predict.py."""

from __future__ import annotations

import pytest

from tests.helpers.commands import assert_one_line_error, run_module

# each refused by the command's own code, after Hydra has made (or would have made) its run folder
REFUSED = {
    "fakeid.predict": (["input=/nonexistent", "ckpt=/nonexistent.ckpt"], "input=/nonexistent does not exist"),
    "fakeid.export": (["ckpt=/nonexistent.ckpt"], "out=FILE is required"),
    "fakeid.collect": (["sweeps=/nonexistent"], "no such sweep folder"),
    "fakeid.figures": (["csv=/nonexistent.csv"], "no such results CSV"),
    "fakeid.report": (["sweeps=/nonexistent"], "no such sweep folder"),
    "fakeid.prepare": (["source=folder", "out=o", "real=/nonexistent", "fake=/nonexistent"], "nonexistent"),
    "fakeid.check": (["root=/nonexistent"], "root=/nonexistent does not exist"),
    "fakeid.synth": (["out=o", "image_size=33"], "image_size=33: expected an integer >= 8 divisible by"),
    # every key of bench is the schema's now: refused before Hydra sets a job up, which must leave nothing either
    "fakeid.bench": (["parts=[nope]"], r"parts=\[nope\]: expected a list of parts"),
    "fakeid.demo_timing": (["started=1", "reference=/nonexistent.json"], "reference=/nonexistent.json"),
}


@pytest.mark.parametrize("module", sorted(REFUSED))
def test_a_refused_flat_command_leaves_its_working_directory_empty(module, tmp_path):
    args, message = REFUSED[module]
    done = run_module(module, *args, cwd=tmp_path)
    assert_one_line_error(done, message)
    assert sorted(path.name for path in tmp_path.rglob("*")) == []
