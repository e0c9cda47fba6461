"""Metric names, defined once: the detector logs them, the checkpoint monitors one, metrics.json, the
collector and the figures use them. Kept free of heavy imports so the collector stays light."""

TEST_METRICS = ("acc", "real_acc", "fake_acc", "ap", "auroc", "acc_cal")
# Calibration of the score as a probability of fake (docs/metrics.md); test entries written before they existed
# lack them, so readers treat them as optional.
CALIBRATION_METRICS = ("ece", "brier")
ECE_BINS = 15
# Metrics that are shares of a set (a proportion, an area, a mean absolute or squared gap of probabilities):
# every value and every interval of their mean lies in [0, 1] (fakeid.analysis.stats.summarize bounds them).
UNIT_INTERVAL_METRICS = (*TEST_METRICS, *CALIBRATION_METRICS)
VAL_LOSS = "val/loss"
VAL_AUROC = "val/auroc"
TRAIN_LOSS = "train/loss"
