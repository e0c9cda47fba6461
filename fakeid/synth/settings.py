"""Presets and `key=value` overrides for the synthetic benchmark, checked into one typed `Settings`."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, cast

from fakeid.core.configs import SynthConfig
from fakeid.core.errors import FakeidError
from fakeid.core.schema import mapping_problem


@dataclass(frozen=True)
class Settings:
    image_size: int  # side of every image, in pixels
    train_per_class: int  # images per class (real, fake) in each train/<category>
    test_per_class: int  # images per class in each test/<generator>/<category>
    upsample_factor: int = 2  # fakes are rendered at image_size / factor and upsampled by the generator
    jpeg_quality: int = 0  # 0: reals are PNG like fakes; 1..100: reals are JPEG at this quality

    def per_class(self, split: str) -> int:
        """Images per class in each folder of `split` ("train" or "test")."""
        return self.train_per_class if split == "train" else self.test_per_class

    def validate(self) -> None:
        """The one rule between two keys (each key's own range is the schema's, SynthConfig): the fakes are
        rendered at image_size / upsample_factor, so the factor must divide the size, whether the preset or
        the command line gave either."""
        if self.image_size % self.upsample_factor:
            raise FakeidError(
                f"image_size={self.image_size}: expected an integer >= 8 divisible by "
                f"upsample_factor={self.upsample_factor}"
            )


# tiny: seconds, for tests. demo: the whole study in minutes on 2 CPU cores (see docs/benchmark.md).
PRESETS: dict[str, Settings] = {
    "tiny": Settings(image_size=32, train_per_class=24, test_per_class=8),
    "demo": Settings(image_size=32, train_per_class=300, test_per_class=100),
}

# Keys that are arguments of generate() rather than Settings fields.
RUN_KEYS = ("out", "preset", "seed", "overwrite", "progress")
SETTING_KEYS = tuple(field.name for field in fields(Settings))


def resolve(preset: str, overrides: dict[str, object]) -> Settings:
    """The preset with `overrides` applied, validated."""
    if preset not in PRESETS:
        raise FakeidError(f"preset={preset!r}: expected one of {', '.join(PRESETS)}")
    problem = mapping_problem(dict(overrides), SynthConfig, app="synth")  # Python callers: the CLI's one check
    if problem:
        raise FakeidError(problem)
    settings = replace(PRESETS[preset], **cast(dict[str, Any], overrides))
    settings.validate()
    return settings
