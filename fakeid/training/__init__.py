"""What one training run does beyond Lightning's loop: resumable logs, checkpoints kept and slimmed, and the
fit-then-test sequence of `fakeid.train` (`run.py`)."""
