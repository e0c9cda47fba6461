"""The embedded synthetic benchmark: procedural real images and simulated GAN fakes in the study's layout
(docs/study.md).

`python -m fakeid.synth out=DIR preset=tiny|demo seed=S [image_size=..] [train_per_class=..] ...`, or in
process `generate(out, preset, seed, **overrides)`.
"""

from fakeid.synth.writer import generate

__all__ = ["generate"]
