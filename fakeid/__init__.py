"""fakeid: detectors of GAN-generated images and the study of how they generalize."""

__version__ = "0.1.0"
