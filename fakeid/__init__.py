"""fakeid: detectors of GAN-generated images and the study of how they generalize."""

from pathlib import Path

__version__ = "0.1.0"

# The Hydra configs every entry point composes (package data: a wheel carries them), as an absolute path
CONF_DIR = Path(__file__).resolve().parent / "conf"

# Every YAML file there names its schema (fakeid/core/configs.py), which Hydra's ConfigStore must hold before any
# compose: registered on import, so every composer (the apps, their launchers' workers, tests) finds it
from fakeid.core.configs import register as _register  # noqa: E402

_register()
