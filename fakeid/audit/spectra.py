"""Fourier spectra of a data root: the mean spectrum of high-pass residuals, real vs fake, per split and test set.

The picture of Zhang et al. 2019, Durall et al. 2020 and Frank et al. 2020: GAN up-sampling leaves periodic
traces that show as peaks in the spectrum of what is left after the image content is filtered away. A
resizing or compression difference between the classes of a root shows in the same picture.

The recipe (`mean_spectrum`, stated again in docs/report.md):
1. *Scopes*: each split (`train`, `val`: all its categories pooled, as one model sees them) and each test set
   (`test/<generator>[/<category>]`); in each, the real class (`0_real`) and the fake class (`1_fake`).
2. *Sample*: at most `per_class` images of a class, drawn without replacement in a seeded order (`seed` and
   the scope and class names: the same files on every machine and every run).
3. *Crop*: the central `size` x `size` square, without resampling (`size`: the smallest side among the
   sampled images of at least `MIN_SIZE`, at most `MAX_SIZE`, unless given; an image smaller than the crop is
   skipped and counted, so that one 1 x 1 file cannot shrink every crop to a pixel); decoded by the training
   rule (`fakeid.data.images`).
4. *Grey*: luma `0.299 R + 0.587 G + 0.114 B`, in 0..255.
5. *High-pass residual*: the grey crop minus its 3 x 3 median-filtered version (reflecting edges), which
   removes the content and keeps the fine texture where the up-sampling traces live.
6. *Spectrum*: `log(1 + |F|)` of the 2-D FFT of the residual, centred (zero frequency in the middle,
   `fftshift`); the mean over the sampled images of the class. The difference panel is fake minus real.

Unreadable files are skipped and counted (`Spectra.skipped`), never silently.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image
from scipy.ndimage import median_filter

from fakeid.audit.inventory import ClassEntry, walk_root
from fakeid.core.atomic import write_bytes_atomically
from fakeid.core.errors import FakeidError
from fakeid.data.images import to_rgb
from fakeid.data.layout import CLASS_DIRS, LAYOUT_HINT

MAX_SIZE = 256  # crop side cap: the mean over many 1024-px spectra costs time and shows nothing more
MIN_SIZE = 32  # the automatic crop's floor (px): data=tiny's image size; fewer pixels show too few frequencies
TOO_SMALL = "smaller than the crop"  # how a skipped image's reason starts (counted apart in the summary)
MEDIAN_SIZE = 3
LUMA = np.array([0.299, 0.587, 0.114])
CLASSES = ("real", "fake")  # in the order of CLASS_DIRS
FILES = ("spectra.png", "spectra.pdf", "spectra.npz")


@dataclass
class ScopeSpectra:
    """The mean spectra of one scope (a split, or a test set) and how many images each is the mean of."""

    scope: str  # "train", "val", "test/progan/cat"
    mean: dict[str, np.ndarray] = field(default_factory=dict)  # class name -> (size, size)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def difference(self) -> np.ndarray | None:
        """fake minus real, when both classes have images."""
        if not all(self.counts.get(name) for name in CLASSES):
            return None
        return self.mean["fake"] - self.mean["real"]


@dataclass
class Spectra:
    root: Path
    size: int
    per_class: int
    seed: int
    scopes: list[ScopeSpectra]
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, why) of unreadable files


def grey(rgb: np.ndarray) -> np.ndarray:
    """uint8 (H, W, 3) -> float luma (H, W) in 0..255."""
    return rgb.astype(np.float64) @ LUMA


def residual(image: np.ndarray) -> np.ndarray:
    """A grey image minus its 3 x 3 median filter: the high-pass residual."""
    return image - median_filter(image, size=MEDIAN_SIZE, mode="reflect")


def log_spectrum(image: np.ndarray) -> np.ndarray:
    """`log(1 + |FFT|)` of a 2-D array, zero frequency at the centre."""
    return np.log1p(np.abs(np.fft.fftshift(np.fft.fft2(image))))


def mean_spectrum(images: Sequence[np.ndarray]) -> np.ndarray:
    """The recipe's steps 5-6 on grey crops of one size: the mean centred log spectrum of their residuals."""
    if not images:
        raise FakeidError("mean_spectrum needs at least one image")
    return np.mean([log_spectrum(residual(image)) for image in images], axis=0)


def scope_of(entry: ClassEntry) -> str:
    return entry.split if entry.split != "test" else f"test/{entry.set_name}"


def seeded_sample(paths: Sequence[Path], count: int, seed: int, name: str) -> list[Path]:
    """At most `count` of `paths` (sorted first), in an order fixed by `seed` and `name` alone."""
    ordered = sorted(paths)
    rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
    return [ordered[index] for index in rng.permutation(len(ordered))[:count]]


def read_crop(path: Path, size: int) -> np.ndarray:
    """The grey centre crop of one file (steps 3-4); an image smaller than `size` is an error here."""
    with Image.open(path) as image:
        image.load()
        rgb = np.asarray(to_rgb(image), dtype=np.uint8)
    height, width = rgb.shape[:2]
    if min(height, width) < size:
        raise ValueError(f"{TOO_SMALL}: {width}x{height} px, under the crop's {size} px")
    top, left = (height - size) // 2, (width - size) // 2
    return grey(rgb[top : top + size, left : left + size])


def image_side(path: Path) -> int | None:
    try:
        with Image.open(path) as image:
            return min(image.size)
    except Exception:  # noqa: BLE001 - any file Pillow cannot open is counted as skipped when it is read
        return None


def check_settings(per_class: int, size: int | None = None) -> None:
    """The keys `spectra_per_class` and `spectra_size`, checked before anything is read or written."""
    if int(per_class) < 1:
        raise FakeidError(f"spectra_per_class={per_class}: expected a positive number of images per class")
    if size is not None and int(size) < MEDIAN_SIZE:
        raise FakeidError(f"spectra_size={size}: expected at least {MEDIAN_SIZE} pixels (or null: from the images)")


def data_spectra(root: str | Path, per_class: int, seed: int = 0, size: int | None = None) -> Spectra:
    """The recipe of the module docstring on every scope of `root`."""
    root = Path(root).expanduser()
    check_settings(per_class, size)
    if not root.is_dir():
        raise FakeidError(f"root={root} does not exist ({LAYOUT_HINT})")
    files: dict[str, dict[str, list[Path]]] = {}
    for entry in walk_root(root):
        files.setdefault(scope_of(entry), {}).setdefault(CLASSES[CLASS_DIRS[entry.class_dir]], []).extend(entry.images)
    samples = {
        scope: {name: seeded_sample(paths, int(per_class), seed, f"{scope}/{name}") for name, paths in per.items()}
        for scope, per in files.items()
    }
    sides = [side for per in samples.values() for paths in per.values() for side in map(image_side, paths) if side]
    if not sides:
        raise FakeidError(f"root={root}: no readable image in any class folder ({LAYOUT_HINT})")
    usable = [side for side in sides if side >= MIN_SIZE]  # one tiny image must not shrink every scope's crop
    if size is None and not usable:
        raise FakeidError(
            f"root={root}: no sampled image is at least {MIN_SIZE} px on its shorter side (the automatic crop's "
            f"floor; the largest is {max(sides)} px): give spectra_size=N to crop smaller"
        )
    crop = int(size) if size is not None else min(MAX_SIZE, min(usable))
    result = Spectra(root, crop, int(per_class), int(seed), [])
    for scope, per in samples.items():
        spectra = ScopeSpectra(scope)
        for name in CLASSES:
            crops = []
            for path in per.get(name, []):
                try:
                    crops.append(read_crop(path, crop))
                except (OSError, ValueError, SyntaxError) as err:
                    result.skipped.append((str(path), " ".join(str(err).split())[:120] or type(err).__name__))
            spectra.counts[name] = len(crops)
            if crops:
                spectra.mean[name] = mean_spectrum(crops)
        result.scopes.append(spectra)
    return result


# ----------------------------------------------------------------------------- files
def draw(spectra: Spectra, columns: int = 2):
    """real | fake | fake - real per scope, `columns` scopes side by side; real and fake of a scope share a
    colour scale, the difference has its own, symmetric around 0.

    The layout is set by hand, in inches from the top for the titles: a regular grid of equal squares without
    axes needs no solver, and matplotlib's constrained layout was 0.7 of the 1.5 s of the demo report's PNG (48
    panels; the sandbox, 2026-12-07)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scopes = spectra.scopes
    rows = max(1, -(-len(scopes) // columns))
    height = 2.05 * rows + 0.9
    fig, axes = plt.subplots(rows, 3 * columns, figsize=(2.0 * 3 * columns, height), squeeze=False)
    # 0.9 in above the first row for the two-line title, two-line panel titles in the space between rows
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.005, top=1 - 0.9 / height, wspace=0.06, hspace=0.32)
    for ax in axes.flat:
        ax.set_axis_off()
    for index, scope in enumerate(scopes):
        row, col = divmod(index, columns)
        present = [scope.mean[name] for name in CLASSES if name in scope.mean]
        low = min(float(array.min()) for array in present) if present else 0.0
        high = max(float(array.max()) for array in present) if present else 1.0
        for offset, name in enumerate(CLASSES):
            ax = axes[row, 3 * col + offset]
            ax.set_title(f"{scope.scope}\n{name} (n={scope.counts.get(name, 0)})", fontsize=7)
            if name in scope.mean:
                ax.imshow(scope.mean[name], cmap="viridis", vmin=low, vmax=high, interpolation="nearest")
        ax = axes[row, 3 * col + 2]
        ax.set_title(f"{scope.scope}\nfake \u2212 real", fontsize=7)
        difference = scope.difference
        if difference is not None:
            bound = float(np.abs(difference).max()) or 1.0
            ax.imshow(difference, cmap="RdBu_r", vmin=-bound, vmax=bound, interpolation="nearest")
    fig.suptitle(
        f"Mean log(1+|FFT|) of the high-pass residual (grey minus its {MEDIAN_SIZE}x{MEDIAN_SIZE} median), centre "
        f"crop {spectra.size} px, zero frequency at the centre\n{spectra.root}: at most {spectra.per_class} images "
        f"per class, seed {spectra.seed}; difference: fake minus real (red: more energy in fakes)",
        fontsize=8,
        y=1 - 0.1 / height,
        va="top",
    )
    return fig


def npz_key(scope: str, name: str) -> str:
    return f"{scope}|{name}"


def save(spectra: Spectra, out_dir: str | Path) -> dict[str, Path]:
    """`spectra.png`, `.pdf` and `.npz` (keys `<scope>|real`, `|fake`, `|difference`, and `<scope>|counts`),
    all drawn in memory first, then each written to a temporary name and renamed (never half-written)."""
    import matplotlib.pyplot as plt

    out_dir = Path(out_dir)
    paths = {name.split(".")[1]: out_dir / name for name in FILES}
    fig = draw(spectra)
    png, pdf, npz = io.BytesIO(), io.BytesIO(), io.BytesIO()
    fig.savefig(png, format="png", dpi=90)
    fig.savefig(pdf, format="pdf", metadata={"CreationDate": None})
    plt.close(fig)
    arrays: dict[str, np.ndarray] = {"size": np.array(spectra.size), "per_class": np.array(spectra.per_class)}
    for scope in spectra.scopes:
        arrays.update({npz_key(scope.scope, name): array for name, array in scope.mean.items()})
        if scope.difference is not None:
            arrays[npz_key(scope.scope, "difference")] = scope.difference
        arrays[npz_key(scope.scope, "counts")] = np.array([scope.counts.get(name, 0) for name in CLASSES])
    np.savez_compressed(npz, **arrays)  # type: ignore[arg-type]  # arrays by name (the stubs see allow_pickle)
    for kind, data in (("png", png), ("pdf", pdf), ("npz", npz)):
        write_bytes_atomically(paths[kind], data.getvalue())
    return paths


def summary(spectra: Spectra, out_dir: str | Path) -> str:
    """The lines `fakeid.check spectra=true` prints."""
    images = sum(sum(scope.counts.values()) for scope in spectra.scopes)
    lines = [
        f"spectra: {len(spectra.scopes)} scopes, {images} images (at most {spectra.per_class} per class, seed "
        f"{spectra.seed}), centre crop {spectra.size} px -> {Path(out_dir) / FILES[0]} (.pdf, .npz)"
    ]
    small = sum(why.startswith(TOO_SMALL) for _, why in spectra.skipped)
    if small:
        lines.append(f"spectra: skipped {small} images smaller than the {spectra.size} px crop (see check.json)")
    if len(spectra.skipped) > small:
        lines.append(f"spectra: skipped {len(spectra.skipped) - small} unreadable files (see check.json)")
    return "\n".join(lines)


def as_dict(spectra: Spectra, paths: dict[str, Path]) -> dict:
    """What check.json records of the spectra."""
    return {
        "files": {kind: str(path) for kind, path in paths.items()},
        "size": spectra.size,
        "per_class": spectra.per_class,
        "seed": spectra.seed,
        "counts": {scope.scope: scope.counts for scope in spectra.scopes},
        "skipped": [{"path": path, "error": why} for path, why in spectra.skipped],
    }
