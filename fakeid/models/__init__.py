"""Models: the timm backbone with our dropout head, and the LightningModule that trains it."""
