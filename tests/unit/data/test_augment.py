"""Training-time augmentation (fakeid.data.augment, conf/augment): each operation at the pixel level, the
fractions it is applied, reproducibility per (seed, epoch, index), the loaders that must never augment, the
cache against the files, bad input, and the identity of runs without augmentation."""

from __future__ import annotations

import re

import numpy as np
import pytest
import pytorch_lightning as pl
import torch
from PIL import Image

from fakeid.core.errors import FakeidError
from fakeid.data import perturb
from fakeid.data.augment import Augmentation, augment_label, augmentation, identity_hparams, sample_rng
from fakeid.data.augmented import AugmentedDataset, EpochSampler
from fakeid.runs.identity import config_differences, config_hash
from tests.helpers.commands import assert_one_line_error, run_module
from tests.helpers.layouts import make_datamodule, make_layout

BLUR_JPEG = {"name": "blur_jpeg", "blur_prob": 1.0, "jpeg_prob": 1.0}


def smooth_image(size: int = 64) -> Image.Image:
    """A photo-like image (smooth colour waves and mild noise): JPEG's error on it falls with quality."""
    y, x = np.mgrid[0:size, 0:size] / size
    rgb = np.stack([128 + 60 * np.sin(2 * np.pi * (x + y)), 128 + 60 * np.cos(4 * np.pi * x), 100 + 80 * y], -1)
    rgb = rgb + np.random.default_rng(0).normal(0, 4, rgb.shape)
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))


def psnr(a: Image.Image, b: Image.Image) -> float:
    mse = ((np.asarray(a, float) - np.asarray(b, float)) ** 2).mean()
    return float("inf") if mse == 0 else 10 * np.log10(255**2 / mse)


def apply(config: dict, image: Image.Image, seed: int = 0, size: int = 64, source_format: str | None = "PNG"):
    return augmentation(config)(image, sample_rng(seed, 0, 0), size, source_format)


# ----------------------------------------------------------------------------- each operation, pixel level
def test_probability_zero_and_sigma_zero_are_the_identity():
    image = smooth_image()
    nothing = {"name": "blur_jpeg", "blur_prob": 0.0, "jpeg_prob": 0.0}
    assert all(np.array_equal(np.asarray(apply(nothing, image, seed)), np.asarray(image)) for seed in range(20))
    sigma_zero = {"name": "blur_jpeg", "blur_prob": 1.0, "blur_sigma": [0, 0], "jpeg_prob": 0.0}
    assert np.array_equal(np.asarray(apply(sigma_zero, image)), np.asarray(image))
    assert np.array_equal(np.asarray(apply({"name": "resize", "prob": 1.0, "scale": [1, 1]}, image)), np.asarray(image))
    assert np.array_equal(np.asarray(apply({"name": "none"}, image)), np.asarray(image))


def test_blur_is_the_evaluation_blur_and_smooths():
    image = smooth_image()
    blurred = apply({"name": "blur_jpeg", "blur_prob": 1.0, "blur_sigma": [2, 2], "jpeg_prob": 0.0}, image)
    assert np.array_equal(np.asarray(blurred), np.asarray(perturb.blur(image, 2.0)))  # reused, not copied
    assert (
        np.abs(np.diff(np.asarray(blurred, float), axis=1)).mean()
        < np.abs(np.diff(np.asarray(image, float), axis=1)).mean()
    )


@pytest.mark.parametrize("quality, low, high", [(95, 33, 45), (30, 28, 36), (10, 24, 31)])
def test_jpeg_at_quality_q_changes_pixels_with_psnr_in_its_band(quality, low, high):
    image = smooth_image()
    config = {"name": "blur_jpeg", "blur_prob": 0.0, "jpeg_prob": 1.0, "jpeg_quality": [quality, quality]}
    out = apply(config, image)
    assert np.array_equal(np.asarray(out), np.asarray(perturb.jpeg(image, quality)))
    assert not np.array_equal(np.asarray(out), np.asarray(image))
    assert low <= psnr(out, image) <= high


def test_resize_down_scales_and_the_crop_brings_the_size_back():
    image = smooth_image(64)
    out = apply({"name": "resize", "prob": 1.0, "scale": [0.5, 0.5]}, image)
    assert out.size == (32, 32) and np.array_equal(np.asarray(out), np.asarray(perturb.resize(image, 0.5)))


def test_format_reencodes_what_is_not_in_the_format_yet():
    image = smooth_image()
    jpeg = {"name": "format", "format": "jpeg", "quality": [80, 80]}
    assert np.array_equal(np.asarray(apply(jpeg, image, source_format="PNG")), np.asarray(perturb.jpeg(image, 80)))
    assert np.array_equal(np.asarray(apply(jpeg, image, source_format="JPEG")), np.asarray(image))  # once only
    assert np.array_equal(np.asarray(apply({"name": "format", "format": "png"}, image)), np.asarray(image))


def test_random_crop_moves_within_the_image_and_centre_crop_does_not():
    image = smooth_image(64)
    crops = {apply({"name": "none", "crop": "random"}, image, seed, size=32).tobytes() for seed in range(10)}
    assert len(crops) > 5
    pixels = np.asarray(image)
    one = np.asarray(apply({"name": "none", "crop": "random"}, image, 3, size=32))
    assert one.shape == (32, 32, 3)
    assert any(np.array_equal(pixels[t : t + 32, x : x + 32], one) for t in range(33) for x in range(33))


# ----------------------------------------------------------------------------- how often
def fractions(config: dict, draws: int = 4000) -> dict[str, float]:
    augment = augmentation(config)
    chosen = [augment.draws(sample_rng(7, 0, index)) for index in range(draws)]
    return {
        "blur": np.mean(["blur" in c for c in chosen]),
        "jpeg": np.mean(["jpeg" in c for c in chosen]),
        "both": np.mean([{"blur", "jpeg"} <= set(c) for c in chosen]),
        "one": np.mean([len(c) == 1 for c in chosen]),
    }


def within(observed: float, p: float, n: int = 4000) -> bool:
    return abs(observed - p) <= 4 * np.sqrt(p * (1 - p) / n) + 1e-9  # 4 standard errors of a binomial share


@pytest.mark.parametrize("prob", [0.1, 0.5])
def test_independent_blur_and_jpeg_are_applied_at_their_rates(prob):
    seen = fractions({"name": "blur_jpeg", "blur_prob": prob, "jpeg_prob": prob})
    assert within(seen["blur"], prob) and within(seen["jpeg"], prob)
    assert within(seen["both"], prob * prob)  # independent: the product


def test_joint_makes_one_draw_decide_both():
    joint = fractions({"name": "blur_jpeg", "blur_prob": 0.5, "jpeg_prob": 0.5, "joint": True})
    independent = fractions({"name": "blur_jpeg", "blur_prob": 0.5, "jpeg_prob": 0.5})
    assert within(joint["both"], 0.5) and joint["one"] == 0.0
    assert within(independent["both"], 0.25) and within(independent["one"], 0.5)
    resize = augmentation({"name": "resize", "prob": 0.3})
    assert within(np.mean(["resize" in resize.draws(sample_rng(1, 0, i)) for i in range(4000)]), 0.3)


def test_draws_follow_seed_epoch_and_index_only():
    augment = augmentation({"name": "blur_jpeg"})
    assert augment.draws(sample_rng(0, 1, 5)) == augment.draws(sample_rng(0, 1, 5))
    others = [augment.draws(sample_rng(*key)) for key in [(1, 1, 5), (0, 2, 5), (0, 1, 6)]]
    assert all(other != augment.draws(sample_rng(0, 1, 5)) for other in others)


# ----------------------------------------------------------------------------- the loaders
def batches(datamodule, epoch: int | None = None, split: str = "train") -> list[torch.Tensor]:
    plan = datamodule.plan()
    if split == "train":
        loader = datamodule.loader(plan.train, train=True)
        if epoch is not None:
            loader.sampler.set_epoch(epoch)
    elif split == "val":
        loader = datamodule.val_dataloader()
    else:
        loader = datamodule.test_dataloader()[0]
    return [images for images, _ in loader]


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return make_layout(tmp_path_factory.mktemp("augment") / "data", categories=["cat", "church_outdoor", "train"])


def test_two_loaders_with_one_seed_give_the_same_batches_and_epochs_differ(root):
    first = batches(make_datamodule(root, augment=BLUR_JPEG))
    again = batches(make_datamodule(root, augment=BLUR_JPEG))
    assert all(torch.equal(a, b) for a, b in zip(first, again, strict=True))
    next_epoch = batches(make_datamodule(root, augment=BLUR_JPEG), epoch=1)  # same shuffle, epoch 1's draws
    assert not any(torch.equal(a, b) for a, b in zip(first, next_epoch, strict=True))
    other_seed = batches(make_datamodule(root, augment=BLUR_JPEG, seed=1))
    assert not torch.equal(torch.cat(first).float().mean(0), torch.cat(other_seed).float().mean(0))


def test_augmentation_changes_training_images_only(root):
    plain, augmented = make_datamodule(root), make_datamodule(root, augment=BLUR_JPEG)
    assert not {image.numpy().tobytes() for batch in batches(plain) for image in batch} & {
        image.numpy().tobytes() for batch in batches(augmented) for image in batch
    }
    labels = [torch.cat([labels for _, labels in dm.loader(dm.plan().train, train=True)]) for dm in (plain, augmented)]
    assert torch.equal(labels[0].sort().values, labels[1].sort().values)  # the same images, augmented
    for split in ("val", "test"):
        assert all(
            torch.equal(a, b) for a, b in zip(batches(plain, split=split), batches(augmented, split=split), strict=True)
        )
    assert not isinstance(augmented.val_dataloader().dataset, AugmentedDataset)


def test_none_keeps_the_loader_of_before(root):
    loader = make_datamodule(root, augment={"name": "none", "crop": "center", "hflip": None}).loader(
        make_datamodule(root).plan().train, train=True
    )
    assert not isinstance(loader.dataset, AugmentedDataset) and not isinstance(loader.sampler, EpochSampler)


def test_workers_give_the_batches_of_the_main_process(root):
    here = batches(make_datamodule(root, augment=BLUR_JPEG))
    workers = batches(make_datamodule(root, augment=BLUR_JPEG, num_workers=2))
    assert all(torch.equal(a, b) for a, b in zip(here, workers, strict=True))


def test_cache_and_files_agree_where_nothing_is_cropped_away(root, tmp_path):
    files = batches(make_datamodule(root, augment=BLUR_JPEG))
    cached = batches(make_datamodule(root, augment=BLUR_JPEG, cache=True, cache_dir=str(tmp_path / "cache")))
    assert all(torch.equal(a, b) for a, b in zip(files, cached, strict=True))  # 32-px images, image_size 32


def test_cache_and_files_differ_where_the_crop_cuts_and_random_crop_needs_files(tmp_path):
    big = make_layout(tmp_path / "big", categories=["cat", "church_outdoor", "train"], size=48)
    files = batches(make_datamodule(big, augment=BLUR_JPEG))
    cached = batches(make_datamodule(big, augment=BLUR_JPEG, cache=True, cache_dir=str(tmp_path / "cache")))
    assert not all(torch.equal(a, b) for a, b in zip(files, cached, strict=True))
    difference = np.mean([(a.float() - b.float()).abs().mean().item() for a, b in zip(files, cached, strict=True)])
    assert 0 < difference < 40  # the same draws on nearly the same pixels: close, not equal
    with pytest.raises(FakeidError, match="augment.crop=random needs the whole image"):
        batches(
            make_datamodule(big, augment={"name": "none", "crop": "random"}, cache=True, cache_dir=str(tmp_path / "c"))
        )
    assert len(batches(make_datamodule(big, augment={"name": "none", "crop": "random"}))) > 0


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "config, message",
    [
        (
            {"name": "blur_jpeg", "blur_prob": 1.5},
            r"augment.blur_prob=1.5: expected a number in \[0, 1\] \(the chance of a Gaussian blur\)",
        ),
        ({"name": "blur_jpeg", "jpeg_prob": -0.1}, r"augment.jpeg_prob=-0.1: expected a number in \[0, 1\]"),
        ({"name": "blur_jpeg", "blur_sigma": [3, 1]}, r"augment.blur_sigma=\[3, 1\] is inverted"),
        ({"name": "blur_jpeg", "blur_sigma": [-1, 1]}, r"augment.blur_sigma=\[-1, 1\] is out of range"),
        # as for fakeid.eval's blur: Pillow refuses radii from about 2.1e9, and would refuse every training image
        ({"name": "blur_jpeg", "blur_sigma": [0, 1e7]}, r"augment.blur_sigma=\[0, 10000000.0\] is out of range"),
        (
            {"name": "blur_jpeg", "blur_sigma": [float("nan"), 1]},
            r"augment.blur_sigma=\[nan, 1\]: expected two finite numbers",
        ),
        ({"name": "resize", "scale": [float("nan"), 1]}, r"augment.scale=\[nan, 1\]: expected two finite numbers"),
        ({"name": "blur_jpeg", "jpeg_prob": float("inf")}, r"augment.jpeg_prob=inf: expected a number in \[0, 1\]"),
        (
            {"name": "blur_jpeg", "jpeg_quality": [30, 101]},
            r"augment.jpeg_quality=\[30, 101\] is out of range: expected both ends within \[1, 100\]",
        ),
        ({"name": "blur_jpeg", "jpeg_quality": [0, 50]}, r"augment.jpeg_quality=\[0, 50\] is out of range"),
        ({"name": "blur_jpeg", "joint": "yes"}, r"augment.joint=yes: expected true or false"),
        (
            {"name": "resize", "scale": [0, 1]},
            r"augment.scale=\[0, 1\] is out of range: expected both ends within \(0, 1\]",
        ),
        ({"name": "resize", "scale": [0.5, 1.2]}, r"augment.scale=\[0.5, 1.2\] is out of range"),
        ({"name": "resize", "prob": 2}, r"augment.prob=2: expected a number in \[0, 1\]"),
        ({"name": "format", "format": "gif"}, r"augment.format=gif: expected one of png, jpeg"),
        ({"name": "format", "quality": [50, 120]}, r"augment.quality=\[50, 120\] is out of range"),
        ({"name": "mixup"}, r"augment='mixup' is not an augmentation \(choices: none, blur_jpeg, resize, format\)"),
        (
            {"name": "none", "blur_prob": 0.5},
            r"augment.blur_prob=0.5: a key of augment=blur_jpeg, not of the chosen augment",
        ),
        ({"name": "blur_jpeg", "sigma": 1}, r"augment.sigma=1: unknown key 'augment.sigma'"),
        ({"name": "none", "crop": "corner"}, r"augment.crop=corner: expected one of center, random"),
    ],
)
def test_each_bad_value_is_one_line_naming_the_key_and_the_range(config, message):
    with pytest.raises(FakeidError, match=message):
        augmentation(config)


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["augment=blur_jpeg", "augment.blur_prob=1.5"], "augment.blur_prob=1.5: expected a number in [0, 1]"),
        (["augment=blur_jpeg", "augment.jpeg_quality=[100,30]"], "augment.jpeg_quality=[100, 30] is inverted"),
        (["augment=sharpen"], "augment=sharpen is not a choice of `augment`"),
        (["augment.scale=[0.5,1]"], "augment.scale=[0.5,1]: a key of augment=resize, not of the chosen augment"),
        (["augment.hflip=true", "model.hflip=false"], "augment.hflip=True and model.hflip=False disagree"),
    ],
)
def test_the_train_command_refuses_bad_augmentation_before_training(tmp_path, overrides, message):
    done = run_module(
        "fakeid.train", "data=tiny", f"data.root={tmp_path}", f"hydra.run.dir={tmp_path / 'run'}", *overrides
    )
    assert_one_line_error(done, re.escape(message))
    assert not (tmp_path / "run").exists()  # refused before Hydra: no run folder, nothing recorded


# ----------------------------------------------------------------------------- identity
BASE = {"data.num_categories": 2, "seed": 0, "model.hflip": False, "augment.name": "none", "augment.crop": "center"}


def test_no_augmentation_leaves_no_trace_in_the_identity():
    assert identity_hparams({**BASE, "augment.hflip": None}) == {k: v for k, v in BASE.items() if "augment" not in k}
    recorded = identity_hparams({**BASE, "augment.name": "blur_jpeg", "augment.blur_prob": 0.1})
    assert recorded["augment.blur_prob"] == 0.1 and recorded["augment.jpeg_prob"] == 0.5
    assert recorded["augment.blur_sigma"] == [0.0, 3.0] and recorded["augment.crop"] == "center"
    assert "augment.crop" in identity_hparams({**BASE, "augment.crop": "random"})


def test_a_run_with_augmentation_is_never_the_same_experiment_as_one_without():
    plain = identity_hparams(BASE)
    augmented = identity_hparams({**BASE, "augment.name": "blur_jpeg"})
    # `augment=blur_jpeg` is a group choice: its keys are new but were not set one by one
    assert config_differences(plain, augmented, ["augment=blur_jpeg"])
    assert config_differences(augmented, plain, [])
    assert config_hash(plain) != config_hash(augmented)
    assert config_differences(augmented, identity_hparams({**BASE, "augment.name": "blur_jpeg"}), []) == []


def test_labels_name_the_augmentation():
    assert augment_label({}) == "none"
    assert (
        augment_label(
            identity_hparams({**BASE, "augment.name": "blur_jpeg", "augment.blur_prob": 0.1, "augment.jpeg_prob": 0.1})
        )
        == "blur_jpeg 0.1"
    )
    assert (
        augment_label(
            {"augment.name": "blur_jpeg", "augment.blur_prob": 0.1, "augment.jpeg_prob": 0.5, "augment.joint": True}
        )
        == "blur_jpeg blur 0.1 jpeg 0.5 joint"
    )
    assert augment_label({"augment.name": "none", "augment.crop": "random"}) == "none random crop"


def test_augmentation_is_picklable_for_the_workers():
    import pickle

    augment = augmentation({"name": "blur_jpeg", "blur_prob": 0.2})
    assert pickle.loads(pickle.dumps(augment)) == augment and isinstance(augment, Augmentation)


class Recorder(pl.LightningModule):
    """The smallest model Lightning trains: it records the images of every training batch, per epoch."""

    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(1))
        self.seen: dict[int, list[bytes]] = {}

    def training_step(self, batch, batch_idx):
        images, _ = batch
        self.seen.setdefault(self.current_epoch, []).extend(image.numpy().tobytes() for image in images)
        return (self.weight * images.float().mean()).sum()

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.0)


def test_lightning_moves_the_draws_on_each_epoch(root, tmp_path):
    """Each epoch of a fit draws anew (Lightning's set_epoch reaches the sampler): the same images, augmented
    differently; with the draws stuck at one epoch the two epochs would hold the same augmented images."""
    model = Recorder()
    trainer = pl.Trainer(
        max_epochs=2,
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        limit_val_batches=0,
        default_root_dir=str(tmp_path),
    )
    trainer.fit(model, datamodule=make_datamodule(root, augment=BLUR_JPEG))
    first, second = sorted(model.seen[0]), sorted(model.seen[1])
    assert len(first) == len(second) > 0 and not set(first) & set(second)
