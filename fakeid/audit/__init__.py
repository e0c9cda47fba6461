"""Audit a data root before training: counts, formats, sizes, JPEG quality, duplicates (`fakeid.check`)."""
