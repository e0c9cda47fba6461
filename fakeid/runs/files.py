"""The names of the files and folders in a run folder (and in a sweep or evaluation folder), defined once.

Docs (docs/metrics.md, docs/runs.md) describe what each holds; the Hydra configs spell `checkpoints` out
themselves (`callbacks.checkpoint.dirpath`), since YAML cannot import it.
"""

from __future__ import annotations

METRICS_FILE = "metrics.json"  # the run's record (fakeid.runs.record)
SCORES_FILE = "scores.csv"  # per-image scores (fakeid.evaluation.scored_sets writes, fakeid.analysis.scores reads)
SCORES_COLUMNS = ("set", "path", "label", "score")  # its header
FILE_LISTS = "file_lists.csv"  # every file considered, used or skipped (fakeid.data.selection)
ERROR_LOG = "error.log"  # the traceback of a failed run
STATE_FILE = "run_state.json"  # the identity the files in this folder (checkpoints) belong to
TRACKER_FILE = "tracker.json"  # the experiment trackers' run ids, so that a resumed run reopens its own
LOCK_FILE = ".lock"  # one process at a time in a folder
REPLACED_DIR = ".replaced"  # earlier runs of another experiment, moved aside whole
REASON_FILE = "REASON.txt"  # why a run was moved aside (inside its .replaced/<time>_<hash>/)
CHECKPOINT_DIR = "checkpoints"  # last.ckpt, best.ckpt, tested.ckpt
EVAL_GRID_FILE = "eval_grid.json"  # an evaluation folder's grid (fakeid.evaluation.runner writes it)
MULTIRUN_FILE = "multirun.yaml"  # Hydra's composed config of a sweep folder
RESULTS_FILE = "results.csv"  # a sweep's collected table (fakeid.analysis.collect's default out=; the report's copy)
