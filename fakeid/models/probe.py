"""`model=probe`: a frozen image tower and the dropout head, the linear probe of UniversalFakeDetect (Ojha et al.,
CVPR 2023: frozen CLIP ViT-L/14 features -> Linear(768, 1)), on any timm tower.

The tower never trains: it is frozen (no gradients, always in eval mode, so BatchNorm and dropout inside it
act as at inference) and only the head's Dropout(drop_rate) -> Linear(features, 1) learns, so the paper's
dropout axis applies to the probe too. Its input is the loader's images as every fakeid run gets them: the
centre crop to `data.image_size`, no augmentation (`model.hflip` and precise BN are refused: a flip would make
each epoch's features differ, and the tower's BatchNorm must keep its weights' statistics). So each image's
features are computed once and cached (fakeid.models.feature_cache), and epochs after the first only run the
head. Features from the cache equal computed ones bit for bit (float32 stored as computed).

Weights come from a local file (`model.weights=FILE`, through timm as `model.pretrained_path` does for the
trained backbones); nothing is downloaded. `model.weights=null` builds a randomly initialised tower only with
`model.random_tower=true`, which says so (the tests' small towers). The checkpoint holds the tower's weights,
so eval, predict and export read a probe's run like any other (`fakeid.runs.trained.load_detector`).
"""

from __future__ import annotations

from pathlib import Path

import torch

from fakeid.core.errors import FakeidError
from fakeid.models.detector import FakeImageDetector, adam
from fakeid.models.feature_cache import FeatureCache, cache_key

CHECKPOINT_KIND = "fakeid_detector"  # the checkpoint's entry naming the detector class (fakeid.runs.trained)
KIND = "probe"


class ProbeDetector(FakeImageDetector):
    """A frozen timm tower (`name`) + the dropout head; training reads the tower's features from a cache.

    `random_tower` None and `weights` None is how a checkpoint rebuilds it (the weights come from the checkpoint).
    """

    def __init__(
        self,
        name: str,
        drop_rate: float,
        lr: float,
        hflip: bool,
        compile: bool,
        bn_recalibration_batches: int,
        feature_cache: bool,
        weights: str | None = None,
        random_tower: bool | None = None,
        feature_cache_dir: str | None = None,
        channels_last: bool | None = None,
    ):
        if hflip:
            raise FakeidError("model.hflip=true: model=probe takes no augmentation (its features are cached per image)")
        if bn_recalibration_batches:
            raise FakeidError(
                f"model.bn_recalibration_batches={bn_recalibration_batches}: expected 0 for model=probe "
                "(its tower is frozen, with its weights' BatchNorm statistics)"
            )
        if weights is not None and not Path(weights).expanduser().is_file():
            raise FakeidError(
                f"model.weights={weights} is not a file: download the tower's weights on a machine with internet "
                "and pass the local file (nothing is downloaded here)"
            )
        if weights is None and random_tower is False:
            raise FakeidError(
                "model.weights=null: expected a local weights file for the tower, or model.random_tower=true to "
                "probe a randomly initialised tower on purpose"
            )
        if weights is not None and random_tower:
            raise FakeidError(f"model.random_tower=true with model.weights={weights}: choose one")
        super().__init__(name, drop_rate, lr, False, compile, 0, pretrained_path=weights, channels_last=channels_last)
        # hparams: what a checkpoint rebuilds it with; the weights file, the cache and the flag are not needed then
        for key in ("weights", "random_tower", "feature_cache_dir", "pretrained_path"):
            self.hparams.pop(key, None)
        self.net.backbone.requires_grad_(False)
        self.feature_cache = (
            FeatureCache(
                cache_key(name, self.net.backbone, self.net.mean, self.net.std),
                Path(feature_cache_dir) if feature_cache_dir else None,
            )
            if feature_cache
            else None
        )

    @property
    def tower(self) -> torch.nn.Module:
        return self.net.backbone

    def train(self, mode: bool = True) -> ProbeDetector:
        super().train(mode)
        self.tower.eval()  # frozen: its BatchNorm and dropout always act as at inference
        return self

    def tower_features(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 images -> the frozen tower's pooled features (no gradients), in eval mode: Lightning restores each
        submodule's own training flag around its loops, so `train` alone would not keep BatchNorm's statistics
        from moving (they did, and a cached run then tested other weights than an uncached one)."""
        self.tower.eval()
        with torch.no_grad():
            return self.tower(self.net.normalise(images))

    def prepare_batch(self, batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """Training and validation batches become features (cached); other batches stay the detector's images.
        Each step calls it (FakeImageDetector.prepare_batch), after Lightning moved the batch to the device."""
        images, labels = batch
        if self._trainer is None or self.trainer.state.fn != "fit":
            return super().prepare_batch(batch)
        if self.feature_cache is None:
            return self.tower_features(images), labels
        return self.feature_cache.features(images, self.tower_features), labels

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """Features (N x F, from `prepare_batch`) -> the head's logits; normalised images -> the network's."""
        if inputs.ndim == 2:
            return self.net.head(inputs).squeeze(1)
        return self.forward_net(inputs)

    def on_fit_start(self) -> None:
        if self.uses_channels_last(self.device):
            self.tower.to(memory_format=torch.channels_last)

    def on_train_epoch_end(self) -> None:
        if self.feature_cache is not None:
            for source, count in self.feature_cache.counts.items():
                self.log(f"probe/features_{source}", float(count), reduce_fx="max")

    def on_fit_end(self) -> None:
        if self.feature_cache is not None and self.trainer.is_global_zero:
            counts, where = self.feature_cache.counts, self.feature_cache.path or "memory only"
            print(
                f"probe features: {counts['computed']} computed, {counts['disk']} read from disk, "
                f"{counts['memory']} from memory ({where})"
            )

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        super().on_save_checkpoint(checkpoint)
        checkpoint[CHECKPOINT_KIND] = KIND

    def configure_optimizers(self):
        return adam(self.net.head.parameters(), lr=self.hparams.lr)
