"""The columns of results.csv, named once for loading, tidying, intervals and the readers of the table."""

from __future__ import annotations

from fakeid.core.metric_names import CALIBRATION_METRICS, INTERVAL_METRICS, TEST_METRICS

TEST_FIELDS = ("set", "generator", "category", "seen_generator", "seen_category", "n_real", "n_fake", *TEST_METRICS)
# Hyper-parameters worth a column even when they were not swept.
RUN_HPARAMS = (
    "data.num_categories",
    "model.drop_rate",
    "seed",
    "data.image_size",
    "model.name",
    "data.dataset_kind",
    "experiment",
    "experiment_name",
)
RUN_FIELDS = ("config_hash", "threshold", "wall_time_s")
OPTIONAL_TEST_FIELDS = CALIBRATION_METRICS  # absent from test entries written before they existed: left empty
SCORES_COLUMN = "scores_file"  # the run's scores.csv (absolute), empty when it has none
# A run collect cannot trust gets one row with this status, its reason as `error` and no test fields, as a
# failed run does: every consumer reads status "ok" rows only, so it is counted and listed but enters no statistic.
CORRUPT = "corrupt"  # an ok record whose scores.csv fails fakeid.analysis.scores' checks
NEWER = "newer"  # a metrics.json written by a newer fakeid (fakeid.runs.record.NewerRecord): not read at all
INTERVAL_COLUMNS = tuple(f"{metric}_img_{end}" for metric in INTERVAL_METRICS for end in ("low", "high"))
AUGMENT = "augment"  # the training augmentation's label (fakeid.data.augment.augment_label), "none" without
AUGMENT_PREFIX = "augment."
DATA_COLUMNS = ("data_root", "data_fingerprint")  # a run's data identity (fakeid.data.fingerprint)
LEVEL_KEY = "eval.perturbation"  # the level id in an evaluation's hparams
PERTURBATION_PREFIX = "perturbation."
KIND_COLUMNS = ("kind", "level", "perturbation")
SOURCE_COLUMNS = ("source_run", "source_run_dir")
TEXT_COLUMNS = (
    "sweep",
    "run_dir",
    "config_hash",
    "error",
    "kind",
    "level",
    "perturbation",
    "perturbation.format",
    AUGMENT,
    "augment.name",
    "augment.format",
    "augment.crop",
    *SOURCE_COLUMNS,
    *DATA_COLUMNS,
    SCORES_COLUMN,
)
