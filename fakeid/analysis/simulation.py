"""How often the comparison's intervals and marks exclude a true 0: a simulation of small paired sweeps.

Each simulated sweep has k seeds scored on the same m test images. The paired difference of image i on seed s is
`x_si = delta + u_s + a_i + e_si`: seed noise `u_s` (sd `sd_seed`), an image effect `a_i` shared by every seed
and a seed x image part `e_si`, scaled so that a seed's mean over the images has image sd `sd_image`, of which a
share `rho` is shared (`rho` is the correlation between two seeds' per-image differences; about 0.7 on the
demo's categories sweep). A seed's metric is the mean of its `x_si` (a mean-type metric such as accuracy).

Per sweep the rules of `fakeid.analysis.compare` are applied with its own functions
(`fakeid.analysis.resampling`, `fakeid.analysis.power.components`): the nested bootstrap (images drawn per
seed, what compare did before), the crossed bootstrap (one image resample shared by every seed), the seed-only
paired t, the crossed t, and the mark (`mark_p` below 0.05, the rule compare's `supported` uses with one
comparison in its family). With `delta = 0` the share of sweeps a rule rejects is its false-positive rate;
`power_*` columns repeat the sweeps with `delta` = the detectable difference `fakeid.analysis.power` predicts
for the true variance parts, so an honest planner shows about 0.80 for the crossed t there.

`python -m fakeid.figures figure=simulate out=DIR` (`make stats-simulation`) writes simulation.csv and
simulation.md; everything is seeded by `bootstrap_seed`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from fakeid.analysis import power
from fakeid.analysis.bootstrap import seed_sequence, stratified_counts
from fakeid.analysis.resampling import CROSSED, NESTED, bootstrap_p, crossed_t, mark_p, paired_replicates
from fakeid.analysis.stats import paired_t
from fakeid.core.atomic import write_atomically

RHOS = (0.0, 0.4, 0.7)
NOISE_MIXES = ((0.00, 0.03), (0.03, 0.03), (0.06, 0.02), (0.10, 0.01))  # (sd_seed, sd_image)
RULES = ("nested_bootstrap", "crossed_bootstrap", "seed_t", "crossed_t", "mark")
ALPHA = 0.05


def _rejections(
    rho: float,
    sd_seed: float,
    sd_image: float,
    delta: float,
    n_seeds: int,
    n_images: int,
    n_sweeps: int,
    n_boot: int,
    rng: np.random.Generator,
) -> dict[str, float]:
    """The share of `n_sweeps` simulated sweeps each rule of RULES rejects `delta = 0` in (module docstring)."""
    per_image_sd = sd_image * math.sqrt(n_images)
    one_class = np.zeros(n_images)
    hits = dict.fromkeys(RULES, 0)
    for _ in range(n_sweeps):
        seeds = rng.normal(0.0, sd_seed, n_seeds)
        shared = rng.normal(0.0, per_image_sd * math.sqrt(rho), n_images)
        own = rng.normal(0.0, per_image_sd * math.sqrt(1 - rho), (n_seeds, n_images))
        x = delta + seeds[:, None] + shared[None, :] + own
        differences = x.mean(axis=1)
        counts = stratified_counts(one_class, n_boot, rng)
        per_seed = (x @ counts.T) / n_images  # (k, n_boot): replicate b is image resample b of every seed
        seed_draws = rng.integers(0, n_seeds, (n_boot, n_seeds))
        own_draws = rng.integers(0, n_boot, (n_boot, n_seeds))
        crossed, image_replicates = paired_replicates([per_seed], [CROSSED], seed_draws, own_draws)
        nested, _ = paired_replicates([per_seed], [NESTED], seed_draws, own_draws)
        parts = power.components(differences, image_replicates, n_images)
        p_crossed, p_ct = bootstrap_p(crossed), crossed_t(differences, parts.image)[2]
        hits["nested_bootstrap"] += bootstrap_p(nested) < ALPHA
        hits["crossed_bootstrap"] += p_crossed < ALPHA
        hits["seed_t"] += paired_t(differences)[2] < ALPHA
        hits["crossed_t"] += p_ct < ALPHA
        hits["mark"] += mark_p(p_crossed, p_ct) < ALPHA
    return {rule: count / n_sweeps for rule, count in hits.items()}


def simulate(
    n_sweeps: int = 1000,
    n_boot: int = 1000,
    bootstrap_seed: int = 0,
    n_seeds: int = 3,
    n_images: int = 80,
    rhos: Sequence[float] = RHOS,
    mixes: Sequence[tuple[float, float]] = NOISE_MIXES,
    with_power: bool = True,
) -> pd.DataFrame:
    """One row per (rho, sd_seed, sd_image): each rule's false-positive rate and, `with_power`, its power at the
    planner's detectable difference (`mde`)."""
    rows = []
    for rho in rhos:
        for sd_seed, sd_image in mixes:
            rng = np.random.default_rng(seed_sequence(bootstrap_seed, "simulation", rho, sd_seed, sd_image))
            args = (n_seeds, n_images, n_sweeps, n_boot, rng)
            row = {"rho": rho, "sd_seed": sd_seed, "sd_image": sd_image, "n_seeds": n_seeds, "n_images": n_images}
            row.update(_rejections(rho, sd_seed, sd_image, 0.0, *args))
            mde = power.detectable_difference(sd_seed**2 + (1 - rho) * sd_image**2, n_seeds, shared=rho * sd_image**2)
            row["mde"] = mde
            if with_power:
                at_mde = _rejections(rho, sd_seed, sd_image, mde, *args)
                row.update({f"power_{rule}": at_mde[rule] for rule in ("crossed_t", "mark")})
            row.update(n_sweeps=n_sweeps, n_boot=n_boot, bootstrap_seed=bootstrap_seed)
            rows.append(row)
    return pd.DataFrame(rows)


def markdown(table: pd.DataFrame) -> str:
    """The table docs/statistics.md shows: false-positive rates (true difference 0) and power at the mde."""
    powered = "power_mark" in table.columns
    header = ["rho", "sd_seed", "sd_image", "nested bootstrap", "crossed bootstrap", "seed-only t", "crossed t"]
    header += ["mark (`*`)", "detectable difference"]
    header += ["power there: crossed t / mark"] if powered else []
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for row in table.itertuples():
        cells = [f"{row.rho:.1f}", f"{row.sd_seed:.2f}", f"{row.sd_image:.2f}"]
        cells += [f"{getattr(row, rule):.3f}" for rule in RULES]
        cells.append(f"{row.mde:.3f}")
        if powered:
            cells.append(f"{row.power_crossed_t:.2f} / {row.power_mark:.2f}")
        lines.append("| " + " | ".join(cells) + " |")
    first = table.iloc[0]
    lines += [
        "",
        f"{int(first.n_sweeps)} simulated sweeps per row, {int(first.n_seeds)} paired seeds, {int(first.n_images)} "
        f"images, {int(first.n_boot)} bootstrap replicates, bootstrap_seed={int(first.bootstrap_seed)} "
        "(`make stats-simulation`, fakeid/analysis/simulation.py). Columns 4-8: the share of sweeps with a true "
        "difference of 0 in which the rule rejected it at 5 %.",
    ]
    return "\n".join(lines) + "\n"


def write(table: pd.DataFrame, out_dir: str | Path) -> dict[str, Path]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"csv": out_dir / "simulation.csv", "md": out_dir / "simulation.md"}
    write_atomically(paths["csv"], lambda partial: table.to_csv(partial, index=False, float_format="%.4g"))
    write_atomically(paths["md"], lambda partial: partial.write_text(markdown(table)))
    return paths
