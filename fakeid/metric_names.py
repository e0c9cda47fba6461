"""Metric names, defined once: the detector logs them, the checkpoint monitors one, metrics.json, the
collector and the figures use them. Kept free of heavy imports so the collector stays light."""

TEST_METRICS = ("acc", "real_acc", "fake_acc", "ap", "auroc", "acc_cal")
VAL_LOSS = "val/loss"
VAL_AUROC = "val/auroc"
TRAIN_LOSS = "train/loss"
