"""The apps with a flat config (fakeid.synth, fakeid.benchmark.speed, ...) check their command line in one line before
Hydra runs."""

from __future__ import annotations

import json

import pytest

from fakeid.core.cli import check_app_overrides, check_jobs
from fakeid.core.errors import FakeidError


@pytest.mark.parametrize(
    "argv", [["out=/tmp/x", "seed=3"], ["hydra.run.dir=."], ["--help"], ["--cfg", "job", "bogus=1"], []]
)
def test_known_keys_and_flags_pass(argv):
    check_app_overrides("synth", argv)


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["imagesize=32"],
            "imagesize=32: unknown key 'imagesize' for python -m fakeid.synth; did you mean 'image_size'",
        ),
        (["bogus=1"], "bogus=1: unknown key 'bogus' for python -m fakeid.synth; expected one of image_size,"),
        (["+extra=1"], "unknown key 'extra'"),  # `+` adds keys in Hydra; no app reads them, so they are refused
        (["parts=loader,train"], r"parts=\[loader,train\]"),
        (["seed=[1"], "cannot parse the command line"),
    ],
)
def test_unknown_key_bare_comma_or_bad_syntax_is_one_line(argv, message):
    with pytest.raises(FakeidError, match=message):
        check_app_overrides("bench" if "parts" in argv[0] else "synth", argv)


def test_a_flat_key_named_like_a_group_is_not_a_group_choice():
    check_app_overrides("bench", ["source=png"])  # a key of bench, not conf/source
    with pytest.raises(FakeidError, match="model=anything is not a choice of `model` \\(choices: demo,"):
        check_jobs("train", ["model=anything"])  # fakeid.train's view: model is a group


def test_flags_move_before_the_overrides_whatever_their_place():
    from fakeid.core.cli import flags_first

    argv = ["+experiment=categories", "-m", "data.root=/r", "--cfg", "job", "seed=1", "--info", "defaults"]
    assert flags_first(argv) == [
        "-m",
        "--cfg",
        "job",
        "--info",
        "defaults",
        "+experiment=categories",
        "data.root=/r",
        "seed=1",
    ]
    assert flags_first(["a=1", "--info", "b=2"]) == ["--info", "a=1", "b=2"]


@pytest.mark.slow
def test_an_override_after_the_multirun_flag_is_an_override(tmp_path):
    """The design's own command shape, `... -m data.root=ROOT`: argparse used to refuse the override."""
    from tests.helpers.commands import run_module

    done = run_module(
        "fakeid.train",
        "data=tiny",
        "-m",
        f"data.root={tmp_path / 'missing'}",
        f"paths.outputs={tmp_path / 'out'}",
        "experiment_name=flags",
        "seed=1",
    )
    assert "unrecognized arguments" not in done.stderr, done.stderr[-2000:]
    assert done.returncode == 1 and "does not exist" in done.stderr, done.stderr[-2000:]
    result = json.loads(next((tmp_path / "out" / "sweeps" / "flags").glob("*/metrics.json")).read_text())
    assert result["status"] == "failed" and result["hparams"]["seed"] == 1


ENTRY_POINTS = (
    "fakeid.train",
    "fakeid.eval",
    "fakeid.predict",
    "fakeid.export",
    "fakeid.prepare",
    "fakeid.check",
    "fakeid.collect",
    "fakeid.figures",
    "fakeid.published",
    "fakeid.bench",
    "fakeid.report",
    "fakeid.demo_timing",
    "fakeid.bench_scale",
    "fakeid.synth.__main__",
)


@pytest.mark.parametrize("module", ENTRY_POINTS)
def test_every_entry_point_is_main_of_argv_refusing_a_bad_line_in_one_line(module, capsys):
    """One entry style (fakeid.core.cli.run_app): `main(argv)` runs the command in-process, sys.argv put back."""
    import importlib
    import inspect
    import sys

    main = importlib.import_module(module).main
    assert list(inspect.signature(main).parameters) == ["argv"] and inspect.signature(main).return_annotation == "int"
    saved = sys.argv[:]
    # train and eval take sweeps: their first check is the group choices; the flat apps refuse unknown keys
    bad = {"fakeid.train": "model=no_such_model", "fakeid.eval": "perturb=no_such_perturbation"}.get(
        module, "no_such_key=1"
    )
    with pytest.raises(SystemExit) as stop:
        main([bad])
    assert stop.value.code == 2 and sys.argv == saved
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"fakeid: error: {bad}"), lines


def test_the_console_scripts_are_the_entry_points_mains():
    import tomllib

    from fakeid import CONF_DIR

    scripts = tomllib.loads((CONF_DIR.parents[1] / "pyproject.toml").read_text())["project"]["scripts"]
    for name, target in scripts.items():
        module, _, function = target.partition(":")
        assert module in ENTRY_POINTS and function == "main" and name == "fakeid-" + module.split(".")[1], name


# ----------------------------------------------------------------------------- a sweep over experiments
@pytest.mark.parametrize(
    "argv, expected",
    [
        (
            ["-m", "+experiment=demo_categories,demo_dropout", "launcher=parallel", "seed=0,1"],
            [
                ["-m", "+experiment=demo_categories", "launcher=parallel", "seed=0,1"],
                ["-m", "+experiment=demo_dropout", "launcher=parallel", "seed=0,1"],
            ],
        ),
        (["+experiment=choice(dropout,categories)"], [["+experiment=dropout"], ["+experiment=categories"]]),
        (
            ["+experiment=glob(demo_*,exclude=[demo_augment,demo_baselines])", "seed=1"],
            [["+experiment=demo_categories", "seed=1"], ["+experiment=demo_dropout", "seed=1"]],
        ),
        (["+experiment=categories", "seed=0,1"], [["+experiment=categories", "seed=0,1"]]),  # one sweep as typed
        (["experiment_name=a,b"], [["experiment_name=a,b"]]),  # another key, not the group
        (["--cfg", "job", "+experiment=a,b"], [["--cfg", "job", "+experiment=a,b"]]),  # Hydra's flags: as typed
    ],
)
def test_a_sweep_over_experiments_is_one_command_line_per_experiment(argv, expected):
    from fakeid.core.cli import commands_per_choice

    assert commands_per_choice(argv, "experiment") == expected


def test_experiments_run_in_order_a_failed_sweep_does_not_stop_the_next_and_sets_the_status():
    """run_app(one_by_one=): each command line in turn; a sweep that ended with failed jobs (exit 1) does not
    stop the next, and the status is 1 even when the last was ok; any other stop (a one-line error, exit 2)
    ends there. The app is a stand-in that records the command lines Hydra would read."""
    import sys

    from fakeid.core.cli import run_app

    seen: list[list[str]] = []

    def app(exits: dict[str, int]):
        def run() -> None:
            seen.append(sys.argv[1:])
            code = exits.get(sys.argv[1])
            if code is not None:
                raise SystemExit(code)

        return run

    argv = ["+experiment=a,b,c", "seed=0"]
    assert run_app(app({"+experiment=a": 1}), argv, one_by_one="experiment") == 1
    assert seen == [["+experiment=a", "seed=0"], ["+experiment=b", "seed=0"], ["+experiment=c", "seed=0"]]
    assert run_app(app({}), argv, one_by_one="experiment") == 0
    seen.clear()
    with pytest.raises(SystemExit) as stop:
        run_app(app({"+experiment=b": 2}), argv, one_by_one="experiment")
    assert stop.value.code == 2 and [command[0] for command in seen] == ["+experiment=a", "+experiment=b"]
    with pytest.raises(SystemExit) as stop:  # one command line: its own exit, as before
        run_app(app({"+experiment=a": 1}), ["+experiment=a"], one_by_one="experiment")
    assert stop.value.code == 1


def test_hydra_does_not_compose_again_the_jobs_the_check_composed(tmp_path, monkeypatch):
    """Hydra's sweeper composes every job before launching it (validate_batch_is_legal); CheckedSweeper leaves
    out the jobs fakeid.train's check composed and accepted, and validates any other as Hydra does. The
    launcher is stopped before it runs anything: what is counted is the sweeper's validation."""
    from hydra.core.plugins import Plugins
    from hydra.plugins.sweeper import Sweeper

    from fakeid import train
    from fakeid.core.cli import run_app

    validated: list[list[str]] = []
    original = Sweeper.validate_batch_is_legal
    monkeypatch.setattr(
        Sweeper, "validate_batch_is_legal", lambda self, batch: validated.extend(batch) or original(self, batch)
    )
    launched: list[list[str]] = []
    # the class Hydra instantiates (its plugin scan loads the module again: another class object than an import's)
    launcher = Plugins.instance().class_name_to_class["hydra._internal.core_plugins.basic_launcher.BasicLauncher"]
    monkeypatch.setattr(launcher, "launch", lambda self, batch, initial_job_idx: launched.extend(batch) or [])
    argv = [
        "-m",
        "data=tiny",
        f"data.root={tmp_path / 'data'}",
        f"paths.outputs={tmp_path / 'out'}",
        f"hydra.sweep.dir={tmp_path / 'out' / 'sweep'}",
        "experiment_name=checked",
        "seed=0,1",
    ]
    assert train.main(argv) == 0
    assert len(launched) == 2 and validated == []
    launched.clear()
    run_app(train.hydra_main, argv)  # no check: Hydra validates every job itself
    assert len(launched) == 2 and sorted(map(tuple, validated)) == sorted(map(tuple, launched))
