"""Evidence that the synthetic benchmark is a meaningful one, measured with simple probes on `tiny`:

(a) real vs ProGAN-role fakes are separable from the spectrum (there is a fingerprint to learn);
(b) categories are separable (the content shift between categories is real);
(c) a spectral detector fit on ProGAN-role fakes does worse on the unseen generators (they are not the
    same signal, so the unseen-generator tests are not trivially passed).
The probes are fixed in advance (log spectrum, ridge / nearest centroid); nothing here tunes the benchmark.
Run with `pytest -s` to print the figures quoted in docs/benchmark.md.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fakeid.data.layout import HOLDOUT, LABEL_DIRS, REAL_DIR, TRAIN_GENERATOR
from fakeid.data.layout import PAPER_MIXING_ORDER as MIX_ORDER
from fakeid.synth import generate
from fakeid.synth.catalog import TEST_CATEGORIES

# Strong shrinkage: 1024 spectral features against a few hundred training images.
RIDGE_PENALTY = 1e3


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(tmp_path_factory.mktemp("synth") / "tiny", preset="tiny", seed=0, progress=False)


def load_images(folder: Path) -> np.ndarray:
    return np.stack(
        [np.asarray(Image.open(path).convert("RGB"), dtype=np.float32) / 255 for path in sorted(folder.iterdir())]
    )


def log_spectrum(images: np.ndarray) -> np.ndarray:
    """Log power spectrum averaged over colour channels, one row per image: where fingerprints live."""
    centred = images - images.mean(axis=(1, 2), keepdims=True)
    power = np.abs(np.fft.fft2(centred, axes=(1, 2))) ** 2
    return np.log(power + 1e-6).mean(axis=-1).reshape(len(images), -1)


def content_features(images: np.ndarray) -> np.ndarray:
    """Colour mean/std and the radially averaged log power spectrum: coarse content statistics."""
    size = images.shape[1]
    grey = images.mean(axis=-1)
    power = np.abs(np.fft.fft2(grey - grey.mean(axis=(1, 2), keepdims=True))) ** 2
    frequency = np.fft.fftfreq(size) * size
    radius = np.hypot(frequency[:, None], frequency[None, :]).round().astype(int)
    radial = [np.log(power[:, radius == r].mean(axis=1) + 1e-6) for r in range(1, size // 2 + 1)]
    return np.concatenate([images.mean(axis=(1, 2)), images.std(axis=(1, 2)), np.stack(radial, axis=1)], axis=1)


def real_fake(root: Path, sets: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Spectral features and labels (0 real, 1 fake) of the given set folders."""
    features, labels = [], []
    for image_set in sets:
        for label, name in enumerate(LABEL_DIRS):
            spectra = log_spectrum(load_images(root / image_set / name))
            features.append(spectra)
            labels.append(np.full(len(spectra), label))
    return np.concatenate(features), np.concatenate(labels)


class RidgeDetector:
    """Linear least-squares classifier on standardised features; score > 0 means fake."""

    def __init__(self, features: np.ndarray, labels: np.ndarray) -> None:
        self.mean, self.scale = features.mean(axis=0), features.std(axis=0) + 1e-6
        z = (features - self.mean) / self.scale
        self.weights = np.linalg.solve(z.T @ z + RIDGE_PENALTY * np.eye(z.shape[1]), z.T @ (2.0 * labels - 1))

    def scores(self, features: np.ndarray) -> np.ndarray:
        return ((features - self.mean) / self.scale) @ self.weights

    def accuracy(self, features: np.ndarray, labels: np.ndarray) -> float:
        return float(((self.scores(features) > 0) == labels).mean())


def auroc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Probability that a random fake outscores a random real (ties count half)."""
    fake, real = scores[labels == 1][:, None], scores[labels == 0][None, :]
    return float((fake > real).mean() + 0.5 * (fake == real).mean())


@pytest.fixture(scope="module")
def progan_detector(tiny: Path) -> RidgeDetector:
    return RidgeDetector(*real_fake(tiny, [f"train/{category}" for category in MIX_ORDER]))


def test_a_spectral_detector_separates_real_from_progan_fakes(tiny: Path, progan_detector: RidgeDetector) -> None:
    seen = progan_detector.accuracy(*real_fake(tiny, [f"test/{TRAIN_GENERATOR}/{c}" for c in MIX_ORDER]))
    holdout = progan_detector.accuracy(*real_fake(tiny, [f"test/{TRAIN_GENERATOR}/{HOLDOUT}"]))
    print(
        f"\n(a) ridge on log spectrum, fit on train/: test/progan seen categories acc {seen:.3f}, "
        f"{HOLDOUT} acc {holdout:.3f} (chance 0.5)"
    )
    assert seen >= 0.8


def test_b_categories_are_distinguishable_from_content_statistics(tiny: Path) -> None:
    train = [content_features(load_images(tiny / "train" / c / REAL_DIR)) for c in MIX_ORDER]
    test = [content_features(load_images(tiny / "test" / TRAIN_GENERATOR / c / REAL_DIR)) for c in MIX_ORDER]
    everything = np.concatenate(train)
    mean, scale = everything.mean(axis=0), everything.std(axis=0) + 1e-6
    centroids = np.stack([((f - mean) / scale).mean(axis=0) for f in train])
    correct = [
        (((((f - mean) / scale)[:, None, :] - centroids[None]) ** 2).sum(axis=-1).argmin(axis=1) == index)
        for index, f in enumerate(test)
    ]
    accuracy = float(np.concatenate(correct).mean())
    print(f"\n(b) nearest centroid on colour + radial spectrum, 10 categories: acc {accuracy:.3f} (chance 0.1)")
    assert accuracy >= 0.4


def test_c_unseen_generators_are_not_the_training_fingerprint(tiny: Path, progan_detector: RidgeDetector) -> None:
    results = {}
    for generator, categories in TEST_CATEGORIES.items():
        features, labels = real_fake(tiny, [f"test/{generator}/{c}" for c in categories])
        results[generator] = (
            progan_detector.accuracy(features, labels),
            auroc(progan_detector.scores(features), labels),
        )
    print(
        "\n(c) the same detector per test generator: "
        + ", ".join(f"{g} acc {acc:.3f} auroc {area:.3f}" for g, (acc, area) in results.items())
    )
    for unseen in set(TEST_CATEGORIES) - {TRAIN_GENERATOR}:
        assert results[TRAIN_GENERATOR][0] - results[unseen][0] >= 0.2
