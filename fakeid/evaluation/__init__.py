"""Evaluate trained detectors again, without retraining: one checkpoint on any folder of test sets, under a
perturbation (`perturb.py`), one at a time (`job.py`) or over a robustness grid of a whole sweep (`grid.py`)."""
