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
# Subsets the analysis names, each for a reason, defined here so that no module restates a tuple of names:
SUMMARY_METRICS = ("acc", "acc_cal", "ap", "auroc")  # compared between levels and bootstrapped (compare, bootstrap)
INTERVAL_METRICS = ("acc", "ap", "auroc")  # with a 95 % interval over a set's images in results.csv
RANKING_METRICS = ("ap", "auroc")  # threshold-free: their image intervals need the per-image scores
HEADLINE_METRICS = ("acc", "ap")  # what the figures' panels and the power statements show
