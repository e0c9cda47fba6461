"""fakeid: detectors of GAN-generated images and the study of how they generalize."""

from pathlib import Path

__version__ = "0.1.0"

# The Hydra configs every entry point composes (package data: a wheel carries them), as an absolute path
CONF_DIR = Path(__file__).resolve().parent / "conf"
