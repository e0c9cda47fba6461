"""hydra-submitit-launcher's launchers that wait for every job and refuse unsatisfiable requests in one line.

The behaviour lives in `fakeid.runs.sweep_status`; these classes only put it where Hydra looks for launchers.
`conf/launcher/{slurm,submitit_local}.yaml` name them as `hydra.launcher._target_`.
"""

from __future__ import annotations

from fakeid.runs.sweep_status import WaitForEveryJob
from hydra_plugins.hydra_submitit_launcher import submitit_launcher


class SlurmLauncher(WaitForEveryJob, submitit_launcher.SlurmLauncher):
    _EXECUTOR = "slurm"


class LocalLauncher(WaitForEveryJob, submitit_launcher.LocalLauncher):
    _EXECUTOR = "local"
