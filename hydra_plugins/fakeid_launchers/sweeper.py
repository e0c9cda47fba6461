"""Hydra's basic sweeper without its second composition of the jobs fakeid's own check has composed.

Before launching a batch, BasicSweeper composes every job's config in full to fail early
(`validate_batch_is_legal`; Hydra's comment: "can be a bit slow for large jobs"). `fakeid.train` and `fakeid.eval`
have already composed each job of the command line and checked it against the schema before Hydra starts
(`fakeid.core.cli.check_jobs`), so those are not composed again; any other job (one this process did not check) is
validated as Hydra does. `conf/hydra/default.yaml` and `conf/eval.yaml` name it as `hydra.sweeper._target_`.
"""

from __future__ import annotations

from collections.abc import Sequence

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper

from fakeid.core.sweeps import CHECKED_JOBS


class CheckedSweeper(BasicSweeper):
    def validate_batch_is_legal(self, batch: Sequence[Sequence[str]]) -> None:
        unchecked = [job for job in batch if tuple(job) not in CHECKED_JOBS]
        if unchecked:
            super().validate_batch_is_legal(unchecked)
