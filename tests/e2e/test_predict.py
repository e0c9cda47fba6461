"""`fakeid.predict`: inputs, the three crop modes, the CSV, and every bad input (docs/inference.md).

Uses the session's tiny trained run (`trained_run`), and where scores must agree (with training's test, between
crop modes, after a conversion) the discriminating one (`discriminating_run`, compared by
tests/helpers/parity.py); most tests call `predict()` in-process, the command-line behaviour (table, default
output, exit 2 with one line) goes through `python -m fakeid.predict`.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fakeid.core.errors import FakeidError
from fakeid.data.images import to_rgb
from fakeid.inference.inputs import expand_inputs
from fakeid.inference.predicting import COLUMNS, predict
from fakeid.inference.scoring import CropRule, tile_origins
from fakeid.synth.quick import quick_pixels, write_images
from tests.helpers.commands import assert_one_line_error, run_module
from tests.helpers.parity import SAME_ENGINE_TOLERANCE, assert_scores_match

GAN_SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "data" / "gan-samples"


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def run_threshold(run_dir: Path) -> float:
    return json.loads((run_dir / "metrics.json").read_text())["threshold"]


def image(path: Path, pixels: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)
    return path


def noise(height: int, width: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


# ---- the command line ------------------------------------------------------------------------------------


def files_under(folder: Path) -> set[str]:
    return {str(path.relative_to(folder)) for path in folder.rglob("*")}


def test_cli_writes_the_csv_in_a_new_outputs_folder_and_prints_a_table(trained_run, tmp_path):
    folder = tmp_path / "in"
    write_images(folder / "a", 3, 32, fake=False, seed=1)
    write_images(folder / "b", 3, 48, fake=True, seed=2, suffix=".jpg")
    (folder / "README.md").write_text("not an image")
    done = run_module("fakeid.predict", f"run={trained_run}", f"input={folder}", f"paths.outputs={tmp_path / 'out'}")
    assert done.returncode == 0, done.stderr[-2000:]
    (written,) = (tmp_path / "out" / "predict").glob("*/predictions.csv")  # out= not given: outputs/predict/<time>/
    assert files_under(tmp_path / "out") == {
        "predict",
        f"predict/{written.parent.name}",
        str(written.relative_to(tmp_path / "out")),
    }
    rows = read_csv(written)
    assert tuple(rows[0]) == COLUMNS and len(rows) == 6
    assert [Path(row["path"]).name for row in rows] == ["0000.png", "0001.png", "0002.png"] + [
        "0000.jpg",
        "0001.jpg",
        "0002.jpg",
    ]
    threshold = run_threshold(trained_run)
    for row in rows:
        score = float(row["score"])
        assert 0.0 <= score <= 1.0 and row["error"] == ""
        assert row["verdict"] == ("fake" if score >= threshold else "real")
        assert row["verdict_at_0.5"] == ("fake" if score >= 0.5 else "real")
    assert {(row["width"], row["format"]) for row in rows} == {("32", "PNG"), ("48", "JPEG")}
    assert "calibrated on the run's validation split" in done.stdout
    assert "skipped 1 files without an image suffix" in done.stdout
    assert all(Path(row["path"]).name in done.stdout for row in rows)  # the table: 6 images <= 20


@pytest.mark.parametrize(
    "args, message",
    [
        (["input={missing}"], r"input=.*missing.png does not exist"),
        (["input={empty}"], r"input=.*empty: no image found in this folder or below"),
        ([], "input= is required"),
        (["input={good}", "crop=middle"], "crop=middle: expected one of center, none, tiles"),
        (["input={good}", "threshold=1.5"], r"threshold=1.5: expected a number in \[0, 1\]"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(trained_run, tmp_path, args, message):
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    (tmp_path / "empty" / "sub" / "notes.txt").write_text("no image here")
    good = image(tmp_path / "good.png", noise(32, 32))
    values = {"missing": tmp_path / "missing.png", "empty": tmp_path / "empty", "good": good}
    done = run_module(
        "fakeid.predict", f"run={trained_run}", f"out={tmp_path / 'p.csv'}", *[arg.format(**values) for arg in args]
    )
    assert_one_line_error(done, message)
    assert not (tmp_path / "p.csv").exists()


def test_out_file_from_an_empty_folder_writes_only_that_file(trained_run, tmp_path):
    """Hydra's run folder, its .hydra/ copy of the config and its log file are off: the CSV is all there is."""
    here = tmp_path / "here"
    here.mkdir()
    good = image(tmp_path / "good.png", noise(32, 32))
    done = run_module("fakeid.predict", f"run={trained_run}", f"input={good}", "out=p.csv", cwd=here)
    assert done.returncode == 0, done.stderr[-2000:]
    assert files_under(here) == {"p.csv"}


def test_a_refused_predict_writes_nothing(tmp_path):
    here = tmp_path / "here"
    here.mkdir()
    done = run_module("fakeid.predict", "ckpt=best.ckpt", "input=/nonexistent", cwd=here)
    assert_one_line_error(done, "input=/nonexistent does not exist")
    assert files_under(here) == set()


def test_needs_exactly_one_detector(tmp_path):
    good = image(tmp_path / "good.png", noise(32, 32))
    with pytest.raises(FakeidError, match="exactly one of run=RUN_DIR, ckpt=PATH or exported="):
        predict(inputs=[str(good)], out=tmp_path / "p.csv", quiet=True)


# ---- bad files: a row each, never a crash ----------------------------------------------------------------


@pytest.fixture(scope="module")
def bad_files(discriminating_run, tmp_path_factory) -> dict[str, dict[str, str]]:
    """One predict over a good image and every kind of bad file; rows keyed by file name."""
    folder = tmp_path_factory.mktemp("bad")
    good = image(folder / "good.png", noise(40, 40))
    corrupt = folder / "corrupt.png"
    corrupt.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    (folder / "text.png").write_text("this is not an image\n")
    deep = np.linspace(0, 65535, 40 * 40).reshape(40, 40).astype(np.uint16)
    Image.fromarray(deep).save(folder / "grey16.png")
    image(folder / "tiny.png", noise(10, 10))
    image(folder / "small.png", noise(24, 40, seed=3))  # above min_size, below image_size: enlarged
    listing = folder / "more.txt"
    listing.write_text("# one present, one missing\ngood.png\nnot-there.png\n\n")
    out = folder / "p.csv"
    predict(
        inputs=[str(folder), str(listing)],
        out=out,
        ckpt=str(discriminating_run.checkpoint),
        min_size=16,
        quiet=True,
    )
    rows = read_csv(out)
    assert len(rows) == 8  # the 6 images of the folder (its .txt is not one) and the 2 listed paths
    return {Path(row["path"]).name: row for row in rows}


def test_a_good_image_scores(bad_files):
    row = bad_files["good.png"]
    assert row["error"] == "" and 0 <= float(row["score"]) <= 1 and row["verdict"] in ("fake", "real")


def test_a_corrupt_file_is_a_row_with_its_error(bad_files):
    row = bad_files["corrupt.png"]
    assert row["score"] == "" and row["verdict"] == "" and row["error"].startswith("corrupt or truncated")
    assert row["width"] == "40" and row["format"] == "PNG"


def test_a_non_image_is_a_row_with_its_error(bad_files):
    row = bad_files["text.png"]
    assert row["score"] == "" and row["error"] == "not an image Pillow can read"


def test_a_16_bit_png_is_scaled_like_training_and_says_so(bad_files, discriminating_run, tmp_path):
    row = bad_files["grey16.png"]
    assert row["error"] == "" and "16-bit grey (I;16) scaled to 8-bit" in row["note"]
    with Image.open(Path(row["path"])) as opened:
        eight_bit = image(tmp_path / "eight.png", np.array(to_rgb(opened)))
    again = predict(inputs=[str(eight_bit)], out=tmp_path / "p.csv", run=str(discriminating_run.run), quiet=True)
    spread = discriminating_run.spread
    assert_scores_match([float(again[0]["score"])], [float(row["score"])], spread, SAME_ENGINE_TOLERANCE)


def test_a_10x10_image_is_too_small(bad_files):
    row = bad_files["tiny.png"]
    assert row["score"] == "" and row["width"] == "10" and row["height"] == "10"
    assert row["error"] == "too small: 10x10 px, a side under min_size=16"


def test_a_small_image_is_enlarged_by_the_training_rule_with_a_note(bad_files):
    row = bad_files["small.png"]
    assert row["error"] == "" and "enlarged from 40x24 to fit 32 px" in row["note"]


def test_a_listed_missing_path_is_a_row(bad_files):
    assert bad_files["not-there.png"]["error"] == "not found"


def test_summary_counts_what_was_not_scored_and_what_was_changed(trained_run, tmp_path, capsys):
    image(tmp_path / "in" / "tiny.png", noise(10, 10))
    Image.fromarray(np.full((32, 32), 300, dtype=np.uint16)).save(tmp_path / "in" / "deep.png")
    predict(inputs=str(tmp_path / "in"), out=tmp_path / "p.csv", run=str(trained_run))
    printed = capsys.readouterr().out
    assert "scored 1 of 2 images" in printed and "1 not scored: 1 too small" in printed
    assert "changed to score them: 1 16-bit grey" in printed


# ---- inputs ----------------------------------------------------------------------------------------------


def test_inputs_expand_files_folders_and_lists_in_order(tmp_path):
    a = image(tmp_path / "x" / "b" / "2.png", noise(8, 8))
    b = image(tmp_path / "x" / "a" / "1.jpeg", noise(8, 8))
    (tmp_path / "x" / "a" / "meta.json").write_text("{}")
    single = image(tmp_path / "single.webp", noise(8, 8))
    (tmp_path / "sub").mkdir()
    listing = tmp_path / "sub" / "list.txt"
    listing.write_text(f"../single.webp\n{a}\n")
    expanded = expand_inputs([str(tmp_path / "x"), str(single), str(listing)])
    assert expanded.files == [b, a, single, tmp_path / "sub" / ".." / "single.webp", a]
    assert expanded.skipped == [tmp_path / "x" / "a" / "meta.json"]
    with pytest.raises(FakeidError, match="the list names no path"):
        (tmp_path / "empty.txt").write_text("# nothing\n")
        expand_inputs(str(tmp_path / "empty.txt"))


# ---- crop modes ------------------------------------------------------------------------------------------


def test_tile_grid_is_centred_and_capped_evenly():
    origins, total = tile_origins(100, 70, 32, max_tiles=16)
    assert total == 6 and origins == [(2, 3), (34, 3), (66, 3), (2, 35), (34, 35), (66, 35)]
    capped, total = tile_origins(320, 320, 32, max_tiles=4)
    assert total == 100 and capped == [(0, 0), (288, 0), (0, 288), (288, 288)]
    assert len(tile_origins(256, 256, 32, max_tiles=16)[0]) == 16
    with pytest.raises(FakeidError, match="crop=middle"):
        CropRule(crop="middle")


def test_crop_modes_score_what_they_say(discriminating_run, tmp_path):
    """tiles = the mean of its tiles scored alone; center = the centre tile; none on a 32 px image = center.

    A quick image, fake on its left half only, so that its tiles score far apart and a wrong tile, crop or
    mean shows. The discriminating detector reads the phase of the fakes' period-2 checkerboard: it is laid
    one row down so that every tile (origins at odd left + top) and the centre crop see it as training did."""
    rng = np.random.default_rng(5)
    pixels = quick_pixels(rng, 100, fake=False)[:70]
    pixels[:, :50] = quick_pixels(rng, 101, fake=True)[1:71, :50]
    big = image(tmp_path / "big.png", pixels)
    spread = discriminating_run.spread

    def score(path: Path, crop: str, **keys) -> tuple[float, dict]:
        row = predict(
            inputs=[str(path)],
            out=tmp_path / f"{crop}.csv",
            overwrite=True,  # the test's own scratch CSV, one per crop mode, written again and again
            ckpt=str(discriminating_run.checkpoint),
            crop=crop,
            quiet=True,
            **keys,
        )[0]
        return float(row["score"]), row

    def assert_same(a: float, b: float) -> None:
        assert_scores_match([a], [b], spread, SAME_ENGINE_TOLERANCE)

    tiles = [
        image(tmp_path / f"tile{index}.png", pixels[top : top + 32, left : left + 32])
        for index, (left, top) in enumerate(tile_origins(100, 70, 32, 16)[0])
    ]
    singles = [score(tile, "center")[0] for tile in tiles]
    assert np.ptp(singles) > 0.3, singles  # the tiles are told apart
    tiled, row = score(big, "tiles")
    assert_same(tiled, float(np.mean(singles)))
    assert row["note"] == ""
    centre = image(tmp_path / "centre.png", pixels[19:51, 34:66])
    assert_same(score(big, "center")[0], score(centre, "center")[0])
    assert_same(score(centre, "none")[0], score(centre, "center")[0])
    whole, row = score(big, "none")
    assert 0 <= whole <= 1 and row["width"] == "100" and row["height"] == "70"
    capped, row = score(big, "tiles", max_tiles=2)
    assert row["note"] == "2 of 6 tiles (max_tiles=2)"
    assert_same(capped, float(np.mean([singles[0], singles[2]])))  # top row, both ends


def test_a_run_scores_its_test_images_as_its_scores_csv_says(discriminating_run, tmp_path):
    """predict (centre crop, the training rule) gives a run's own test images (41 px: the crop has room to be
    off) the scores its test wrote to scores.csv, whatever the batch: the checkpoint path scores as training's
    test does (for_inference)."""
    paths = list(discriminating_run.scores)
    rows = predict(inputs=paths, out=tmp_path / "again.csv", run=str(discriminating_run.run), batch_size=5, quiet=True)
    assert [row["path"] for row in rows] == paths
    assert_scores_match(
        [float(row["score"]) for row in rows],
        list(discriminating_run.scores.values()),
        discriminating_run.spread,
        SAME_ENGINE_TOLERANCE,
    )


def test_more_than_20_images_get_a_progress_bar_not_a_table(trained_run, tmp_path, capsys):
    write_images(tmp_path / "many", 21, 32, fake=False, seed=4)
    rows = predict(inputs=str(tmp_path / "many"), out=tmp_path / "p.csv", run=str(trained_run), batch_size=8)
    captured = capsys.readouterr()
    assert len(rows) == 21 and "21/21" in captured.err and "0000.png" not in captured.out
    assert "scored 21 of 21 images" in captured.out


def test_cuda_without_a_gpu_is_one_line(trained_run, tmp_path):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    good = image(tmp_path / "good.png", noise(32, 32))
    with pytest.raises(FakeidError, match="device=cuda: no CUDA device"):
        predict(inputs=str(good), out=tmp_path / "p.csv", run=str(trained_run), device="cuda", quiet=True)


def test_auto_is_read_as_every_command_reads_it(trained_run, tmp_path):
    """device=auto (fakeid.core.devices): cuda where there is one, else cpu; eval and bench take it too."""
    good = image(tmp_path / "good.png", noise(32, 32))
    cpu = predict(inputs=str(good), out=tmp_path / "cpu.csv", run=str(trained_run), device="cpu", quiet=True)
    auto = predict(inputs=str(good), out=tmp_path / "auto.csv", run=str(trained_run), device="auto", quiet=True)
    assert float(auto[0]["score"]) == pytest.approx(float(cpu[0]["score"]), abs=2e-3)
    with pytest.raises(FakeidError, match="device=gpu is not one of auto, cpu, cuda"):
        predict(inputs=str(good), out=tmp_path / "p.csv", run=str(trained_run), device="gpu", quiet=True)


# ---- real images (skipped where the shared samples are absent) -------------------------------------------


@pytest.mark.skipif(not GAN_SAMPLES.is_dir(), reason="shared/data/gan-samples is not on this machine")
@pytest.mark.parametrize("crop", ["center", "none", "tiles"])
def test_real_lsun_church_progan_images_score_in_every_crop_mode(trained_run, tmp_path, crop):
    folder = GAN_SAMPLES / "lsun_church_progan"
    expected = sorted(path for path in folder.rglob("*") if path.suffix.lower() == ".png")
    rows = predict(
        inputs=str(folder), out=tmp_path / f"{crop}.csv", run=str(trained_run), crop=crop, max_tiles=4, quiet=True
    )  # 4 tiles, not 16, to keep the test short on a CPU
    assert [Path(row["path"]) for row in rows] == expected and len(rows) >= 50
    assert all(row["error"] == "" and 0.0 <= float(row["score"]) <= 1.0 for row in rows)
    if crop == "tiles":  # 256 px images, 32 px tiles: an 8x8 grid, capped
        assert all(row["note"] == "4 of 64 tiles (max_tiles=4)" for row in rows)
