"""What the embedded benchmark contains: folder names, the procedural family behind each, and its role.

Folder names are the paper's, so every config written for the real data runs unchanged on this one.
A name is a role ("stands in for LSUN cat"), not a claim that the images look like cats. The roles
themselves (mixing order, holdout, training and unseen generator, class folders) are those of
`fakeid.data.layout`; this module adds the procedural family behind each folder.
"""

from __future__ import annotations

from dataclasses import dataclass

from fakeid.data.layout import HOLDOUT, TRAIN_GENERATOR, UNSEEN_GENERATOR, UNSEEN_GENERATOR_CATEGORIES, set_path
from fakeid.data.layout import PAPER_MIXING_ORDER as MIX_ORDER  # training on n categories uses the first n


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
class SetToWrite:
    """One folder of class folders the benchmark writes: train/<category> or test/<generator>/<category>.

    (fakeid.data.layout.ImageSet is a set found on disk, with its files.)
    """

    split: str
    generator: str
    category: str

    @property
    def path(self) -> str:
        return set_path(self.split, self.generator, self.category)


CATEGORIES: dict[str, Category] = {
    c.folder: c
    for c in (
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
        Category(HOLDOUT, "marble", "LSUN sheep: held-out content, never trained on"),
        Category("horse", "spiral", "LSUN horse from StyleGAN2: unseen content, unseen generator"),
        Category("ffhq", "face", "FFHQ faces from StyleGAN2: unseen content, unseen generator"),
    )
}

GENERATORS: dict[str, Generator] = {
    g.folder: g
    for g in (
        Generator(TRAIN_GENERATOR, "nearest", "ProGAN: the training generator (train/ and test/progan/)"),
        Generator(UNSEEN_GENERATOR, "modulated", "StyleGAN2: unseen generator, test only"),
        Generator(
            "deconvgan",
            "transposed",
            "a transposed-convolution GAN (not in the paper): unseen generator on seen and unseen content, test only",
        ),
    )
}

# Which categories each test generator covers. deconvgan pairs one seen category with the holdout, so
# "unseen generator on seen content" can be told apart from "unseen generator on unseen content".
TEST_CATEGORIES: dict[str, tuple[str, ...]] = {
    TRAIN_GENERATOR: MIX_ORDER + (HOLDOUT,),
    UNSEEN_GENERATOR: UNSEEN_GENERATOR_CATEGORIES,
    "deconvgan": (MIX_ORDER[0], HOLDOUT),
}


def image_sets() -> list[SetToWrite]:
    """Every folder the benchmark writes, train first. The holdout and test-only content have no train set."""
    train = [SetToWrite("train", TRAIN_GENERATOR, category) for category in MIX_ORDER]
    test = [
        SetToWrite("test", generator, category)
        for generator, categories in TEST_CATEGORIES.items()
        for category in categories
    ]
    return train + test
