"""Procedural content families: the stand-ins for image categories.

Each family renders a batch of images with per-image random parameters drawn from `rng`. Families differ
on purpose in spatial-frequency content (broadband 1/f, narrowband gratings, flat regions with hard edges,
smooth low-pass fields), in colour statistics and in structure, so that "category" is a real shift of the
input distribution. Parameters are in image-relative units (cycles or fractions of the image), so one
family looks alike at any image size. A renderer returns float32 RGB in [0, 1], shape (n, size, size, 3).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Renderer = Callable[[np.random.Generator, int, int], np.ndarray]


# ----------------------------------------------------------------------------- shared building blocks


def _coords(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates in [0, 1), shaped (1, size, 1) and (1, 1, size) to broadcast over a batch."""
    axis = ((np.arange(size) + 0.5) / size).astype(np.float32)
    return axis[None, :, None], axis[None, None, :]


def _uniform(rng: np.random.Generator, n: int, low: float, high: float) -> np.ndarray:
    """One random scalar per image, shaped (n, 1, 1) to broadcast over pixels."""
    return rng.uniform(low, high, (n, 1, 1)).astype(np.float32)


def _colours(rng: np.random.Generator, n: int, k: int, low: float = 0.0, high: float = 1.0) -> np.ndarray:
    """k random RGB colours per image, shape (n, k, 3)."""
    return rng.uniform(low, high, (n, k, 3)).astype(np.float32)


def _blend(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Per-pixel mix of colours a and b ((n, 3) or (n, s, s, 3)) by weight t in [0, 1] (n, s, s)."""
    if a.ndim == 2:
        a = a[:, None, None, :]
    if b.ndim == 2:
        b = b[:, None, None, :]
    return a + (b - a) * t[..., None]


def _palette(t: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """Map t in [0, 1] (n, s, s) through a piecewise-linear colour ramp with stops (n, k, 3)."""
    n, k = stops.shape[:2]
    position = np.clip(t, 0.0, 1.0) * (k - 1)
    lower = np.minimum(position.astype(np.int64), k - 2)
    frac = (position - lower)[..., None]
    batch = np.arange(n)[:, None, None]
    return stops[batch, lower] * (1 - frac) + stops[batch, lower + 1] * frac


def _edge(signed_distance: np.ndarray, size: int) -> np.ndarray:
    """Coverage of a shape from its signed distance (negative inside), anti-aliased over one pixel."""
    return np.clip(0.5 - signed_distance * size, 0.0, 1.0)


def _normalise(field: np.ndarray) -> np.ndarray:
    """Stretch each image's field to [0, 1]."""
    low = field.min(axis=(1, 2), keepdims=True)
    high = field.max(axis=(1, 2), keepdims=True)
    return (field - low) / np.maximum(high - low, 1e-6)


def _power_law_noise(rng: np.random.Generator, n: int, size: int, beta: np.ndarray) -> np.ndarray:
    """Gaussian noise with a 1/f^beta amplitude spectrum (spectral synthesis), normalised to [0, 1]."""
    fy = np.fft.fftfreq(size)[:, None] * size
    fx = np.fft.rfftfreq(size)[None, :] * size
    radius = np.maximum(np.hypot(fy, fx), 1.0)[None]
    spectrum = np.fft.rfft2(rng.standard_normal((n, size, size)))
    field = np.fft.irfft2(spectrum * radius ** (-beta), s=(size, size))
    return _normalise(field.astype(np.float32))


def _value_noise(rng: np.random.Generator, n: int, size: int, cells: int) -> np.ndarray:
    """Smooth lattice noise (random values on a cells x cells grid, smoothstep-interpolated), in [0, 1]."""
    lattice = rng.uniform(0, 1, (n, cells + 1, cells + 1)).astype(np.float32)
    position = (np.arange(size) + 0.5) / size * cells
    index = np.minimum(position.astype(np.int64), cells - 1)
    frac = position - index
    smooth = (frac * frac * (3 - 2 * frac)).astype(np.float32)
    wy, wx = smooth[None, :, None], smooth[None, None, :]
    iy, ix = index[:, None], index[None, :]
    top = lattice[:, iy, ix] * (1 - wx) + lattice[:, iy, ix + 1] * wx
    bottom = lattice[:, iy + 1, ix] * (1 - wx) + lattice[:, iy + 1, ix + 1] * wx
    return top * (1 - wy) + bottom * wy


def _rotated(rng: np.random.Generator, n: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Image coordinates centred and rotated by a random angle per image."""
    y, x = _coords(size)
    angle = _uniform(rng, n, 0, np.pi)
    u = (x - 0.5) * np.cos(angle) + (y - 0.5) * np.sin(angle)
    v = -(x - 0.5) * np.sin(angle) + (y - 0.5) * np.cos(angle)
    return u, v


# ----------------------------------------------------------------------------- the families


def fractal_terrain(rng: np.random.Generator, n: int, size: int) -> np.ndarray:
    """Broadband 1/f^beta height field through a water-grass-rock-snow ramp: energy at every frequency."""
    height = _power_law_noise(rng, n, size, _uniform(rng, n, 1.4, 2.4))
    jitter = rng.uniform(-0.08, 0.08, (n, 5, 3)).astype(np.float32)
    base = np.array(
        [[0.1, 0.2, 0.5], [0.2, 0.5, 0.8], [0.3, 0.6, 0.2], [0.5, 0.4, 0.3], [0.95, 0.95, 0.95]], dtype=np.float32
    )
    return _palette(height, np.clip(base[None] + jitter, 0, 1))


def smooth_gradient(rng: np.random.Generator, n: int, size: int) -> np.ndarray:
    """A linear two-colour ramp plus a soft radial glow: almost all energy at the lowest frequencies."""
    u, _ = _rotated(rng, n, size)
    y, x = _coords(size)
    colours = _colours(rng, n, 3)
    ramp = _blend(colours[:, 0], colours[:, 1], np.clip(u + 0.5, 0, 1) * np.ones_like(x * y))
    cy, cx, radius = _uniform(rng, n, 0, 1), _uniform(rng, n, 0, 1), _uniform(rng, n, 0.2, 0.6)
    glow = np.exp(-((y - cy) ** 2 + (x - cx) ** 2) / (2 * radius**2))
    return _blend(ramp, colours[:, 2], 0.6 * glow)


def grating(rng: np.random.Generator, n: int, size: int) -> np.ndarray:
    """Oriented stripes, from sinusoidal to square-wave: a narrowband spectrum with harmonics."""
    u, _ = _rotated(rng, n, size)
    cycles, phase, sharpness = _uniform(rng, n, 2, 7), _uniform(rng, n, 0, 2 * np.pi), _uniform(rng, n, 1, 12)
    wave = np.tanh(sharpness * np.sin(2 * np.pi * cycles * u + phase)) / np.tanh(sharpness)
    colours = _colours(rng, n, 2)
    return _blend(colours[:, 0], colours[:, 1], 0.5 + 0.5 * wave)


def polygons(rng: np.random.Generator, n: int, size: int, count: int = 5) -> np.ndarray:
    """Flat-coloured triangles with hard edges over a pale background: flat regions and sharp steps."""
    y, x = _coords(size)
    image = np.broadcast_to(_colours(rng, n, 1, 0.6, 1.0)[:, :, None, :], (n, size, size, 3)).copy()
    for _ in range(count):  # painter's order; each triangle is vectorised over the batch
        vertices = rng.uniform(-0.1, 1.1, (n, 3, 2)).astype(np.float32)
        first, second = vertices[:, 1] - vertices[:, 0], vertices[:, 2] - vertices[:, 0]
        orientation = np.sign(first[:, 0] * second[:, 1] - first[:, 1] * second[:, 0])
        distance = np.full((n, size, size), -np.inf, dtype=np.float32)
        for i in range(3):  # signed distance to the triangle = max over its three edge half-planes
            start, end = vertices[:, i], vertices[:, (i + 1) % 3]
            normal = np.stack([end[:, 1] - start[:, 1], start[:, 0] - end[:, 0]], axis=1)
            normal *= (orientation / np.maximum(np.linalg.norm(normal, axis=1), 1e-6))[:, None]
            plane = normal[:, 0, None, None] * (x - start[:, 0, None, None]) + normal[:, 1, None, None] * (
                y - start[:, 1, None, None]
            )
            distance = np.maximum(distance, plane)
        visible = _edge(distance, size) * (rng.uniform(0, 1, (n, 1, 1)) < 0.8)
        image = _blend(image, _colours(rng, n, 1)[:, 0], visible.astype(np.float32))
    return image


def tiles(rng: np.random.Generator, n: int, size: int) -> np.ndarray:
    """A rotated two-colour checkerboard with dark grout lines: a periodic lattice of hard edges."""
    u, v = _rotated(rng, n, size)
    cells = _uniform(rng, n, 2, 6)
    a, b = u * cells + 10, v * cells + 10
    checker = (np.floor(a) + np.floor(b)) % 2
    grout_distance = np.minimum(np.abs(a - np.round(a)), np.abs(b - np.round(b))) / cells
    colours = _colours(rng, n, 2)
    image = _blend(colours[:, 0], colours[:, 1], checker.astype(np.float32))
    return _blend(image, np.full((n, 3), 0.1, np.float32), _edge(grout_distance - 0.01, size))


def voronoi_cells(rng: np.random.Generator, n: int, size: int, max_cells: int = 16) -> np.ndarray:
    """Flat-coloured Voronoi cells in earthy tones: irregular polygonal mosaic."""
    y, x = _coords(size)
    seeds = rng.uniform(0, 1, (n, max_cells, 2)).astype(np.float32)
    used = np.arange(max_cells)[None] < rng.integers(6, max_cells + 1, (n, 1))
    seeds[~used] = 10.0  # unused seeds far away never win the nearest-seed race
    distance = (y[:, None] - seeds[:, :, 0, None, None]) ** 2 + (x[:, None] - seeds[:, :, 1, None, None]) ** 2
    nearest = distance.argmin(axis=1)
    tones = np.array([0.45, 0.35, 0.25], np.float32) + rng.uniform(-0.25, 0.45, (n, max_cells, 3))
    return np.clip(tones, 0, 1).astype(np.float32)[np.arange(n)[:, None, None], nearest]


def line_drawing(rng: np.random.Generator, n: int, size: int, strokes: int = 8) -> np.ndarray:
    """Dark ink strokes of varying width on light paper: thin high-contrast lines."""
    y, x = _coords(size)
    start = rng.uniform(0, 1, (n, strokes, 2)).astype(np.float32)
    end = rng.uniform(0, 1, (n, strokes, 2)).astype(np.float32)
    width = rng.uniform(0.005, 0.03, (n, strokes)).astype(np.float32)
    direction = end - start
    length2 = np.maximum((direction**2).sum(-1), 1e-6)
    py = y[:, None] - start[:, :, 0, None, None]
    px = x[:, None] - start[:, :, 1, None, None]
    along = np.clip(
        (py * direction[:, :, 0, None, None] + px * direction[:, :, 1, None, None]) / length2[:, :, None, None], 0, 1
    )
    distance = np.hypot(py - along * direction[:, :, 0, None, None], px - along * direction[:, :, 1, None, None])
    ink = _edge(distance - width[:, :, None, None], size).max(axis=1)
    paper = _colours(rng, n, 1, 0.8, 1.0)[:, 0]
    pen = _colours(rng, n, 1, 0.0, 0.35)[:, 0]
    return _blend(paper, pen, ink)


def value_noise(rng: np.random.Generator, n: int, size: int) -> np.ndarray:
    """Perlin-like smooth lattice noise (two octaves) in pastel colours: band-limited, soft blobs."""
    detail = _uniform(rng, n, 0.0, 0.6)
    field = _normalise(_value_noise(rng, n, size, 4) + detail * _value_noise(rng, n, size, 8))
    return _palette(field, _colours(rng, n, 3, 0.55, 1.0))


def radial(rng: np.random.Generator, n: int, size: int) -> np.ndarray:
    """Concentric rings modulated by spokes around a random centre: circular, frequency-swept structure."""
    y, x = _coords(size)
    cy, cx = _uniform(rng, n, 0.2, 0.8), _uniform(rng, n, 0.2, 0.8)
    radius, angle = np.hypot(y - cy, x - cx), np.arctan2(y - cy, x - cx)
    rings = np.sin(2 * np.pi * _uniform(rng, n, 2, 6) * radius)
    spokes = np.cos(np.round(_uniform(rng, n, 3, 10)) * angle)
    colours = _colours(rng, n, 2)
    return _blend(colours[:, 0], colours[:, 1], 0.5 + 0.25 * rings + 0.25 * rings * spokes)


def blobs(rng: np.random.Generator, n: int, size: int, count: int = 10) -> np.ndarray:
    """Soft glowing discs of random colours on a dark background: isolated smooth bumps."""
    y, x = _coords(size)
    image = np.broadcast_to(_colours(rng, n, 1, 0.0, 0.25)[:, :, None, :], (n, size, size, 3)).copy()
    for _ in range(count):
        cy, cx, radius = _uniform(rng, n, 0, 1), _uniform(rng, n, 0, 1), _uniform(rng, n, 0.04, 0.15)
        weight = np.exp(-((y - cy) ** 2 + (x - cx) ** 2) / (2 * radius**2))
        image = _blend(image, _colours(rng, n, 1, 0.3, 1.0)[:, 0], weight)
    return image


def marble(rng: np.random.Generator, n: int, size: int) -> np.ndarray:
    """Stripes bent by smooth noise into veins (domain warping) on pale stone: curved, wavy structure."""
    u, _ = _rotated(rng, n, size)
    warp = _value_noise(rng, n, size, 4) * _uniform(rng, n, 4, 10)
    veins = np.abs(np.sin(2 * np.pi * _uniform(rng, n, 1.5, 4) * u + warp)) ** _uniform(rng, n, 0.3, 3)
    stone = _colours(rng, n, 1, 0.75, 1.0)[:, 0]
    vein = _colours(rng, n, 1, 0.1, 0.6)[:, 0]
    return _blend(vein, stone, veins)


def spiral(rng: np.random.Generator, n: int, size: int) -> np.ndarray:
    """Logarithmic spiral arms around a random centre: rotating, chirped structure."""
    y, x = _coords(size)
    cy, cx = _uniform(rng, n, 0.3, 0.7), _uniform(rng, n, 0.3, 0.7)
    radius = np.maximum(np.hypot(y - cy, x - cx), 1e-3)
    arms, twist = np.round(_uniform(rng, n, 2, 6)), _uniform(rng, n, 2, 6) * np.sign(_uniform(rng, n, -1, 1))
    wave = np.sin(arms * np.arctan2(y - cy, x - cx) + twist * np.log(radius))
    colours = _colours(rng, n, 2)
    return _blend(colours[:, 0], colours[:, 1], 0.5 + 0.5 * wave)


def face(rng: np.random.Generator, n: int, size: int) -> np.ndarray:
    """A face-like arrangement: skin-toned ellipse with hair, two eyes and a mouth, on a soft background."""
    y, x = _coords(size)

    def ellipse(cy: np.ndarray, cx: np.ndarray, ry: np.ndarray, rx: np.ndarray) -> np.ndarray:
        normalised = np.sqrt(((y - cy) / ry) ** 2 + ((x - cx) / rx) ** 2)
        return _edge((normalised - 1) * np.minimum(ry, rx), size)

    cy, cx = _uniform(rng, n, 0.45, 0.55), _uniform(rng, n, 0.42, 0.58)
    ry, rx = _uniform(rng, n, 0.30, 0.40), _uniform(rng, n, 0.22, 0.30)
    background = _blend(_colours(rng, n, 1)[:, 0], _colours(rng, n, 1)[:, 0], np.broadcast_to(y, (n, size, size)))
    skin = np.array([0.85, 0.65, 0.5], np.float32) * _uniform(rng, n, 0.45, 1.1)[:, 0]
    hair = _colours(rng, n, 1, 0.0, 0.5)[:, 0]
    image = _blend(background, hair, ellipse(cy - 0.08, cx, ry, rx * 1.1))
    image = _blend(image, skin, ellipse(cy + 0.04, cx, ry * 0.9, rx))
    eye_y, eye_dx, eye_r = cy - 0.02, rx * 0.45, _uniform(rng, n, 0.025, 0.05)
    dark = np.full((n, 3), 0.08, np.float32)
    for side in (-1, 1):
        image = _blend(image, dark, ellipse(eye_y, cx + side * eye_dx, eye_r, eye_r * 1.4))
    mouth = ellipse(cy + ry * 0.55, cx, _uniform(rng, n, 0.015, 0.04), rx * 0.45)
    return _blend(image, np.array([[0.6, 0.2, 0.2]], np.float32).repeat(n, 0), mouth)


FAMILIES: dict[str, Renderer] = {
    renderer.__name__: renderer
    for renderer in (
        fractal_terrain,
        smooth_gradient,
        grating,
        polygons,
        tiles,
        voronoi_cells,
        line_drawing,
        value_noise,
        radial,
        blobs,
        marble,
        spiral,
        face,
    )
}


def render(family: str, rng: np.random.Generator, n: int, size: int) -> np.ndarray:
    """n images of `family` at size x size, float32 RGB in [0, 1], shape (n, size, size, 3)."""
    return np.clip(FAMILIES[family](rng, n, size), 0.0, 1.0).astype(np.float32)
