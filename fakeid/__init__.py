"""fakeid: detectors of GAN-generated images and the study of how they generalize."""

from pathlib import Path

__version__ = "0.1.0"

# The Hydra configs every entry point composes, as an absolute path: works from `-m`, console scripts and imports
CONF_DIR = Path(__file__).resolve().parents[1] / "conf"
