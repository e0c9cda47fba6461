"""A CSV logger that survives a resume: `logs/metrics.csv` keeps the epochs before the interruption.

Lightning's CSV writer deletes an existing metrics.csv when it starts. This one keeps it (the rows logged
after the checkpoint the run resumes from are trimmed first by `trim_rows_after`, because those steps run
again; a run that starts over keeps none of a dead attempt's rows) and appends, with the existing header as
its starting columns.
"""

from __future__ import annotations

import csv
from pathlib import Path

from lightning_fabric.loggers.logger import rank_zero_experiment
from pytorch_lightning.loggers import CSVLogger
from pytorch_lightning.loggers.csv_logs import ExperimentWriter

from fakeid.core.atomic import write_atomically


class AppendingWriter(ExperimentWriter):
    def _check_log_dir_exists(self) -> None:
        path = Path(self.metrics_file_path)
        if path.is_file():
            with open(path, newline="") as handle:
                self.metrics_keys = list(csv.DictReader(handle).fieldnames or [])


class ResumableCSVLogger(CSVLogger):
    """pytorch_lightning's CSVLogger, appending to an existing metrics.csv instead of deleting it."""

    @property
    @rank_zero_experiment
    def experiment(self) -> ExperimentWriter:
        if self._experiment is None:
            self._fs.makedirs(self.root_dir, exist_ok=True)
            self._experiment = AppendingWriter(log_dir=self.log_dir)
        return self._experiment  # type: ignore[return-value]  # the AppendingWriter made above


def trim_rows_after(metrics_csv: Path, step: int) -> int:
    """Drop the rows of steps >= `step` (they are logged again by the resumed run); the number dropped."""
    if not metrics_csv.is_file():
        return 0
    with open(metrics_csv, newline="") as handle:
        reader = csv.DictReader(handle)
        fields, rows = reader.fieldnames or [], list(reader)
    kept = [row for row in rows if not row.get("step") or int(float(row["step"])) < step]
    if len(kept) != len(rows):

        def write(partial: Path) -> None:
            with open(partial, "w", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=fields)
                writer.writeheader()
                writer.writerows(kept)

        write_atomically(metrics_csv, write)
    return len(rows) - len(kept)
