"""The LightningDataModule: a category mix for training, its validation split, and every test set."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytorch_lightning as pl
import torch
from lightning_fabric.utilities.data import AttributeDict
from torch.utils.data import DataLoader, RandomSampler, Sampler

from fakeid.data.augment import augmentation
from fakeid.data.augmented import AugmentedDataset, EpochSampler, source_formats
from fakeid.data.cache import CachedImageDataset, default_cache_dir, error_check, image_dataset
from fakeid.data.datasets import ImageFileDataset
from fakeid.data.fingerprint import root_identity
from fakeid.data.images import MAX_PIXELS, ImageTransform
from fakeid.data.layout import (
    HOLDOUT,
    PAPER_MIXING_ORDER,
    TRAIN_GENERATOR,
    require_root,
)
from fakeid.data.selection import DataPlan, Selection, Selector, TestSelection, plan_data


def evaluation_loader(
    selection: Selection,
    image_size: int,
    batch_size: int,
    num_workers: int,
    *,
    cache_dir: Path | None = None,
    transform: ImageTransform | None = None,
) -> DataLoader:
    """The loader of a validation split or test set, for training's test and fakeid.eval alike: the files in
    order, never augmented (a perturbation is the evaluation's `transform`), in pinned memory where a GPU takes
    the batches (pinned pages make the non-blocking copy to it possible)."""
    dataset = image_dataset(selection.paths, selection.labels, image_size, cache_dir=cache_dir, transform=transform)
    return DataLoader(
        dataset, batch_size=batch_size, shuffle=False, num_workers=num_workers, pin_memory=torch.cuda.is_available()
    )


class CategoryMixDataModule(pl.LightningDataModule):
    """Real-vs-fake images of the first `num_categories` categories, tested on every set under ROOT/test.

    All choices of files happen in `plan()` (see `fakeid.data.selection`); the loaders only read them.
    `augment` (conf/augment, `fakeid.data.augment`) changes the training images only.
    """

    if TYPE_CHECKING:

        @property
        def hparams(self) -> AttributeDict: ...  # what save_hyperparameters() stored, its keys read as attributes

    def __init__(
        self,
        root: str,
        num_categories: int = 10,
        categories: Sequence[str] = PAPER_MIXING_ORDER,
        holdout: Sequence[str] = (HOLDOUT,),
        train_generator: str = TRAIN_GENERATOR,
        train_per_class: int = 25000,
        val_per_class: int = 2000,
        test_per_class: int = 2000,
        image_size: int = 256,
        batch_size: int = 64,
        eval_batch_size: int | None = None,
        num_workers: int = 4,
        seed: int = 0,
        split_seed: int = 0,
        allow_shortfall: bool = False,
        strict: bool = False,
        small_images: str = "enlarge",
        cache: bool = False,
        cache_dir: str | None = None,
        max_pixels: int = MAX_PIXELS,
        augment: Mapping[str, Any] | None = None,
    ):
        super().__init__()
        self.save_hyperparameters()
        self.root = require_root(root)
        self.augment = augmentation(augment)
        self._plan: DataPlan | None = None
        # the training shuffle's random stream; saved in checkpoints so a resumed run draws the same batches
        self._shuffle = torch.Generator().manual_seed(seed)

    def state_dict(self) -> dict:
        return {"shuffle_generator": self._shuffle.get_state()}

    def load_state_dict(self, state_dict: dict) -> None:
        if "shuffle_generator" in state_dict:
            self._shuffle.set_state(state_dict["shuffle_generator"])

    # --- choosing files -------------------------------------------------------------------------
    def plan(self) -> DataPlan:
        if self._plan is None:
            h = self.hparams
            self._plan = plan_data(
                self.root,
                categories=list(h.categories),
                num_categories=h.num_categories,
                holdout=list(h.holdout),
                train_generator=h.train_generator,
                train_per_class=h.train_per_class,
                val_per_class=h.val_per_class,
                test_per_class=h.test_per_class,
                seed=h.seed,
                split_seed=h.split_seed,
                selector=Selector(
                    self._error_check(),
                    strict=h.strict,
                    allow_shortfall=h.allow_shortfall,
                    image_size=h.image_size,
                    small_images=h.small_images,
                    max_pixels=h.max_pixels,
                ),
            )
        return self._plan

    def identity(self) -> dict[str, str]:
        """data.root and the fingerprint of every file under its train/, val/ and test/ (listing only)."""
        return root_identity(self.root)

    def _error_check(self):
        h = self.hparams
        return error_check(h.image_size, h.num_workers, cache_dir=self._cache_dir() if h.cache else None)

    def _cache_dir(self) -> Path:
        return Path(self.hparams.cache_dir) if self.hparams.cache_dir else default_cache_dir(self.root)

    # --- datasets and loaders -------------------------------------------------------------------
    def dataset(
        self, selection: Selection, train: bool = False
    ) -> ImageFileDataset | CachedImageDataset | AugmentedDataset:
        """The images of a selection; augmented (indexed by (epoch, index)) only for training."""
        dataset = image_dataset(
            selection.paths,
            selection.labels,
            self.hparams.image_size,
            cache_dir=self._cache_dir() if self.hparams.cache else None,
        )
        if not train or self.augment.is_identity:
            return dataset
        # the cache keeps pixels only: `format` learns each file's own format from its header, once
        formats = source_formats(selection.paths) if self.augment.name == "format" and self.hparams.cache else ()
        return AugmentedDataset(dataset, self.augment, self.hparams.seed, formats)

    def _epoch(self) -> int:
        """The epoch the trainer is about to run (restored on resume); 0 outside a fit."""
        trainer = getattr(self, "trainer", None)
        return trainer.fit_loop.epoch_progress.current.processed if trainer is not None else 0

    def loader(self, selection: Selection, train: bool) -> DataLoader:
        """The DataLoader of any selection: shuffled and seeded for training, in order for evaluation
        (`evaluation_loader`).

        With augmentation the shuffle feeds an EpochSampler (each item augmented by its (seed, epoch, index)), and
        the workers' base seed comes from a generator of the loader's own: the shuffle stream then advances by
        one permutation per epoch whatever the workers, so a run resumed with persistent workers draws the
        permutation the uninterrupted run drew (without augmentation the base seed is drawn from the shuffle
        stream, as before, which keeps existing runs' batches; only a resumed run with workers draws it apart).
        """
        h = self.hparams
        if not train:
            cache_dir = self._cache_dir() if h.cache else None
            return evaluation_loader(
                selection, h.image_size, h.eval_batch_size or h.batch_size, h.num_workers, cache_dir=cache_dir
            )
        batch_size = h.batch_size
        dataset = self.dataset(selection, train)
        sampler: Sampler | None = None
        generator = self._shuffle
        if isinstance(dataset, AugmentedDataset):
            sampler = EpochSampler(RandomSampler(dataset, generator=self._shuffle), self._epoch())
            generator = torch.Generator().manual_seed(h.seed)
        elif h.num_workers > 0 and self._epoch() > 0:
            # a resumed run: its persistent workers start again, and torch would draw their base seed from the
            # restored shuffle stream, a draw the uninterrupted run made once, at epoch 0 (already in the
            # restored state); drawn from a generator of its own, every later permutation is the uninterrupted
            # run's. Without augmentation the workers' seed changes no pixel, and an uninterrupted run keeps its
            # batches.
            sampler = RandomSampler(dataset, generator=self._shuffle)
            generator = torch.Generator().manual_seed(h.seed)
        return DataLoader(
            dataset,
            batch_size=batch_size,
            shuffle=sampler is None,
            sampler=sampler,
            num_workers=h.num_workers,
            # a last training batch of one image breaks BatchNorm: that one image (a different one each epoch,
            # the order being shuffled) waits for the next epoch
            drop_last=len(selection.paths) % batch_size == 1,
            persistent_workers=h.num_workers > 0,
            pin_memory=torch.cuda.is_available(),  # pinned pages make the non-blocking copy to the GPU possible
            generator=generator,
        )

    def train_dataloader(self) -> DataLoader:
        return self.loader(self.plan().train, train=True)

    def val_dataloader(self) -> DataLoader:
        return self.loader(self.plan().val, train=False)

    def test_loaders(self) -> list[tuple[TestSelection, DataLoader]]:
        return [(test, self.loader(test, train=False)) for test in self.plan().tests]

    def test_dataloader(self) -> list[DataLoader]:
        return [loader for _, loader in self.test_loaders()]
