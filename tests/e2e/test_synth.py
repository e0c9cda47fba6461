"""The synthetic benchmark writes the layout of docs/study.md, deterministically, through a CLI that fails
in one line."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from PIL import Image

from fakeid.core.errors import FakeidError
from fakeid.data.layout import HOLDOUT, LABEL_DIRS, REAL_DIR, TRAIN_GENERATOR
from fakeid.data.layout import PAPER_MIXING_ORDER as MIX_ORDER
from fakeid.synth import generate
from fakeid.synth.settings import PRESETS
from tests.helpers.commands import assert_one_line_error, run_module

TINY = PRESETS["tiny"]
# Fewer images where only the mechanics matter.
SMALL = dict(image_size=16, train_per_class=3, test_per_class=2)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(tmp_path_factory.mktemp("synth") / "tiny", preset="tiny", seed=0, progress=False)


def subfolders(path: Path) -> set[str]:
    return {child.name for child in path.iterdir() if child.is_dir()}


def file_hashes(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_layout_is_the_protocol_layout(tiny: Path) -> None:
    assert {p.name for p in tiny.iterdir()} == {"train", "test", "DATASET.md", "dataset.json"}
    # Train: the ten mixable categories only; the holdout and test-only content were never trained on.
    assert subfolders(tiny / "train") == set(MIX_ORDER)
    assert HOLDOUT not in subfolders(tiny / "train")
    assert subfolders(tiny / "test") == {"progan", "stylegan2", "deconvgan"}
    assert subfolders(tiny / "test" / "progan") == set(MIX_ORDER) | {HOLDOUT}
    assert subfolders(tiny / "test" / "stylegan2") == {"horse", "ffhq"}
    assert subfolders(tiny / "test" / "deconvgan") == {"cat", HOLDOUT}

    image_sets = [tiny / "train" / c for c in MIX_ORDER] + [p for g in (tiny / "test").iterdir() for p in g.iterdir()]
    for image_set in image_sets:
        assert {p.name for p in image_set.iterdir()} == set(LABEL_DIRS)
        expected = TINY.train_per_class if image_set.parent.name == "train" else TINY.test_per_class
        for label in LABEL_DIRS:
            files = sorted((image_set / label).iterdir())
            assert len(files) == expected, image_set
            assert all(f.suffix == ".png" for f in files)
    with Image.open(tiny / "train" / "cat" / "1_fake" / "00000.png") as image:
        assert (image.mode, image.size) == ("RGB", (TINY.image_size, TINY.image_size))


def test_card_describes_every_folder_and_says_what_it_is_not(tiny: Path) -> None:
    facts = json.loads((tiny / "dataset.json").read_text())
    written = {str(p.parent.relative_to(tiny)) for p in tiny.rglob(REAL_DIR)}
    assert {s["path"] for s in facts["sets"]} == written
    # Only the training generator appears under train/.
    assert {s["generator"] for s in facts["sets"] if s["split"] == "train"} == {TRAIN_GENERATOR}
    assert facts["total_images"] == sum(1 for p in (tiny / "train").rglob("*.png")) + sum(
        1 for p in (tiny / "test").rglob("*.png")
    )
    card = (tiny / "DATASET.md").read_text()
    assert "not results on real data" in card
    assert all(f"`{c['folder']}`" in card for c in facts["categories"])


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(tmp_path: Path) -> None:
    first = file_hashes(generate(tmp_path / "a", seed=3, progress=False, **SMALL))
    second = file_hashes(generate(tmp_path / "b", seed=3, progress=False, **SMALL))
    other = file_hashes(generate(tmp_path / "c", seed=4, progress=False, **SMALL))
    assert first == second
    images = [name for name in first if name.endswith(".png")]
    assert all(first[name] != other[name] for name in images)


def test_jpeg_quality_turns_only_the_reals_into_jpeg(tmp_path: Path) -> None:
    root = generate(tmp_path / "jpeg", jpeg_quality=75, progress=False, **SMALL)
    assert {p.suffix for p in root.rglob("0_real/*")} == {".jpg"}
    assert {p.suffix for p in root.rglob("1_fake/*")} == {".png"}
    with Image.open(next(root.rglob("0_real/*.jpg"))) as image:
        assert image.format == "JPEG"


def test_refuses_to_write_into_a_folder_with_other_files(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(FakeidError, match="not empty"):
        generate(tmp_path, progress=False, **SMALL)
    with pytest.raises(FakeidError, match="dataset.json"):
        generate(tmp_path, overwrite=True, progress=False, **SMALL)
    assert (tmp_path / "notes.txt").exists()


def test_overwrite_replaces_a_previous_benchmark(tmp_path: Path) -> None:
    generate(tmp_path / "d", train_per_class=5, test_per_class=2, image_size=16, progress=False)
    root = generate(tmp_path / "d", overwrite=True, progress=False, **SMALL)
    assert len(list((root / "train" / "cat" / "0_real").iterdir())) == SMALL["train_per_class"]


@pytest.mark.parametrize(
    "argument, key",
    [
        ("foo=3", "foo"),
        ("image_size=abc", "image_size"),
        ("image_size=31", "image_size"),
        ("upsample_factor=3", "upsample_factor"),
        ("jpeg_quality=200", "jpeg_quality"),
        ("preset=huge", "preset"),
        ("seed=-1", "seed"),
        ("overwrite=maybe", "overwrite"),
    ],
)
def test_bad_value_fails_naming_the_key(tmp_path: Path, argument: str, key: str) -> None:
    with pytest.raises(FakeidError, match=key):
        generate(tmp_path / "x", progress=False, **dict([argument.split("=")]))


def test_cli_writes_the_tiny_benchmark(tmp_path: Path) -> None:
    result = run_module("fakeid.synth", f"out={tmp_path / 'cli'}", "preset=tiny", "seed=1")
    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / "cli" / "dataset.json").read_text())["seed"] == 1


def test_cli_bad_key_is_one_line_without_traceback(tmp_path: Path) -> None:
    result = run_module("fakeid.synth", f"out={tmp_path / 'cli'}", "preset=tiny", "imagesize=32")
    assert_one_line_error(result, "imagesize")
    assert not (tmp_path / "cli").exists()
