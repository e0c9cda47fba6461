"""Shared fixtures: tiny image folders and trained runs made by the tests themselves (their makers are in
tests/helpers: layouts, commands)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.checkout import checkout_state
from tests.helpers.commands import REPO, train_tiny_run
from tests.helpers.layouts import make_layout
from tests.helpers.parity import ScoredRun

CHECKOUT_BEFORE = pytest.StashKey[frozenset]()


def pytest_sessionstart(session: pytest.Session) -> None:
    """Note the checkout's state before any test runs (in the main process: xdist's workers start after it)."""
    if not hasattr(session.config, "workerinput"):
        state = checkout_state(REPO)
        if state is not None:
            session.config.stash[CHECKOUT_BEFORE] = state


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The suite leaves the checkout as it found it (issue 31): a file or folder the tests added or changed in
    it, ignored ones included (`outputs/`), fails the session and is listed. Only in the main process, once
    every worker is done; a process writing into the checkout at the same time (a demo) is reported too."""
    before = session.config.stash.get(CHECKOUT_BEFORE, None)
    after = checkout_state(REPO) if before is not None else None
    if after is None or not (added := sorted(after - before)):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    lines = [f"the tests left {len(added)} paths in the checkout {REPO} (new or changed):", *added[:20]]
    if reporter is not None:
        reporter.write_line("")
        reporter.write_sep("=", "checkout not clean", red=True)
        reporter.write_line("\n".join(lines))
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def tiny_root(tmp_path: Path) -> Path:
    return make_layout(tmp_path / "data")


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory) -> Path:
    """One tiny training run shared by every test that needs a trained detector (eval, predict, export).

    Trained once per session through the real CLI: 3 categories, 1 epoch at 32 px, dropout 0.3 (so that a
    swept model key is seen reaching metrics.json), with timm's tiny `test_resnet` backbone (0.4 M parameters:
    the commands under test load it many times; the study's Xception trains in test_train_cli and
    test_reliability). Tests must not modify its folder; copy it first. Tests that use it are slow (the first
    one trains).
    """
    base = tmp_path_factory.mktemp("trained")
    return train_tiny_run(base, make_layout(base / "data"), "model.drop_rate=0.3", "trainer.max_epochs=1")


# test images of the discriminating run: larger than its 32 px input, so that the centre crop has room to be
# wrong by a pixel ((41 - 32) / 2 = 4.5: a crop rounding up instead of down is one pixel off)
DISCRIMINATING_TEST_SIZE = 41


@pytest.fixture(scope="session")
def discriminating_run(tmp_path_factory) -> ScoredRun:
    """The detector of every numeric-agreement test (eval vs training, predict vs training, exports, tiles, cache).

    `trained_run` (one epoch) scores its test images between 0.477 and 0.509 and random noise within 0.013 of
    each other: a wrong preprocessing moves its scores by hundredths at most, and its 32 px test images leave a
    centre crop no room to be off by a pixel. This run trains timm's `test_resnet` through the real CLI for 2
    epochs at lr 0.01 on the same quick images, enough to learn their fakes' period-2 checkerboard but not to
    saturate: its test scores spread over most of [0, 1] (asserted by `ScoredRun.of`; 0.036..0.874, std 0.33),
    and they depend on colour, on crop position (the checkerboard's phase) and on normalisation, which
    tests/unit/inference/test_parity_guard.py measures. About 2 s of training (all figures: 2-core Intel Xeon sandbox,
    2026-12-03). Tests must not modify its folders (run and data).
    """
    base = tmp_path_factory.mktemp("discriminating")
    root = make_layout(base / "data", test_size=DISCRIMINATING_TEST_SIZE)
    return ScoredRun.of(train_tiny_run(base, root, "trainer.max_epochs=2", "model.lr=0.01"))


GAN_SAMPLES_ENV = "FAKEID_GAN_SAMPLES"  # a folder of real GAN/LSUN images (the parity tests of published detectors)


@pytest.fixture(scope="session")
def gan_samples() -> Path:
    """Real images for the tests that compare fakeid with a peer's code: `$FAKEID_GAN_SAMPLES`, else a
    `shared/data/gan-samples` folder beside the checkout or one level up; skipped when there is none (the
    images are never copied into the repository)."""
    import os

    given = os.environ.get(GAN_SAMPLES_ENV)
    repo = Path(__file__).resolve().parents[1]
    candidates = [Path(given)] if given else [up / "shared" / "data" / "gan-samples" for up in repo.parents[:2]]
    for folder in candidates:
        if folder.is_dir() and any(folder.rglob("*.png")):
            return folder
    pytest.skip(f"no real GAN images (set {GAN_SAMPLES_ENV}=FOLDER)")
