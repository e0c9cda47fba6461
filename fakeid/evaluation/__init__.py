"""Test a trained detector: the metrics (`metrics.py`), scoring its test sets (`scored_sets.py`), and the eval
command's jobs, one checkpoint at a time (`job.py`) or over a robustness grid of a whole sweep (`runner.py`),
each under a perturbation of `fakeid.data.perturb`."""
