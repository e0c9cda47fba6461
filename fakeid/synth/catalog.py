"""What the embedded benchmark contains: folder names, the procedural family behind each, and its role.

Folder names are the paper's, so every config written for the real data runs unchanged on this one.
A name is a role ("stands in for LSUN cat"), not a claim that the images look like cats.
"""
from __future__ import annotations

from dataclasses import dataclass

from fakeid.data.mix import PAPER_MIXING_ORDER as MIX_ORDER  # training on n categories uses the first n

HOLDOUT = "sheep"
TRAIN_GENERATOR = "progan"
LABEL_FOLDERS = ("0_real", "1_fake")


@dataclass(frozen=True)
class Category:
    folder: str
    family: str  # a renderer in fakeid.synth.content
    role: str


@dataclass(frozen=True)
class Generator:
    folder: str
    upsampler: str  # a stage family in fakeid.synth.generators
    role: str


@dataclass(frozen=True)
class ImageSet:
    """One folder holding 0_real and 1_fake: train/<category> or test/<generator>/<category>."""

    split: str
    generator: str
    category: str

    @property
    def path(self) -> str:
        if self.split == "train":
            return f"train/{self.category}"
        return f"test/{self.generator}/{self.category}"


CATEGORIES: dict[str, Category] = {c.folder: c for c in (
    Category("cat", "fractal_terrain", "LSUN cat: 1st in the training mix"),
    Category("church_outdoor", "smooth_gradient", "LSUN church_outdoor: 2nd in the training mix"),
    Category("train", "grating", "LSUN train: 3rd in the training mix"),
    Category("airplane", "polygons", "LSUN airplane: 4th in the training mix"),
    Category("bus", "tiles", "LSUN bus: 5th in the training mix"),
    Category("cow", "voronoi_cells", "LSUN cow: 6th in the training mix"),
    Category("bridge", "line_drawing", "LSUN bridge: 7th in the training mix"),
    Category("bedroom", "value_noise", "LSUN bedroom: 8th in the training mix"),
    Category("classroom", "radial", "LSUN classroom: 9th in the training mix"),
    Category("restaurant", "blobs", "LSUN restaurant: 10th in the training mix"),
    Category("sheep", "marble", "LSUN sheep: held-out content, never trained on"),
    Category("horse", "spiral", "LSUN horse from StyleGAN2: unseen content, unseen generator"),
    Category("ffhq", "face", "FFHQ faces from StyleGAN2: unseen content, unseen generator"),
)}

GENERATORS: dict[str, Generator] = {g.folder: g for g in (
    Generator("progan", "nearest", "ProGAN: the training generator (train/ and test/progan/)"),
    Generator("stylegan2", "modulated", "StyleGAN2: unseen generator, test only"),
    Generator("deconvgan", "transposed",
              "a transposed-convolution GAN (not in the paper): unseen generator on seen and unseen content, "
              "test only"),
)}

# Which categories each test generator covers. deconvgan pairs one seen category with the holdout, so
# "unseen generator on seen content" can be told apart from "unseen generator on unseen content".
TEST_CATEGORIES: dict[str, tuple[str, ...]] = {
    "progan": MIX_ORDER + (HOLDOUT,),
    "stylegan2": ("horse", "ffhq"),
    "deconvgan": ("cat", HOLDOUT),
}


def image_sets() -> list[ImageSet]:
    """Every folder the benchmark writes, train first. The holdout and test-only content have no train set."""
    train = [ImageSet("train", TRAIN_GENERATOR, category) for category in MIX_ORDER]
    test = [ImageSet("test", generator, category)
            for generator, categories in TEST_CATEGORIES.items() for category in categories]
    return train + test
