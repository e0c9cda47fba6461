"""Where a command may write its output (`out=`): never over a file it did not create unless the user says
`overwrite=true`, and never into a run folder's own files at all.

predict, export and report take an `out=` the user names; a typo or a tab-completion can name a thesis chapter
or a run's only weights. A run folder's record, scores and checkpoints belong to that run (its metrics.json
and scores.csv vouch for each other, its checkpoints are what `run=` loads): no other command replaces them,
even with overwrite=true. Both checks run before any slow work, so a refusal costs nothing.
"""

from __future__ import annotations

from pathlib import Path

from fakeid.core.errors import FakeidError
from fakeid.runs.files import (
    CHECKPOINT_DIR,
    ERROR_LOG,
    FILE_LISTS,
    LOCK_FILE,
    METRICS_FILE,
    SCORES_FILE,
    STATE_FILE,
)

RUN_OWNED = (METRICS_FILE, SCORES_FILE, FILE_LISTS, STATE_FILE, ERROR_LOG, LOCK_FILE, CHECKPOINT_DIR)


def is_run_folder(folder: Path) -> bool:
    """A training or evaluation run folder: it holds a record or the state of an unfinished run."""
    return (folder / METRICS_FILE).is_file() or (folder / STATE_FILE).is_file()


def run_file_owner(path: Path) -> Path | None:
    """The run folder that owns `path` (one of its RUN_OWNED files, or anything in its checkpoints/), else None;
    the path as typed and the file a link there points to are both checked."""
    for candidate in {path.absolute(), path.resolve()}:
        parent = candidate.parent.resolve()
        if candidate.name in RUN_OWNED and is_run_folder(parent):
            return parent
        for folder in (parent, *parent.parents):
            if folder.name == CHECKPOINT_DIR and is_run_folder(folder.parent):
                return folder.parent
    return None


def check_output(path: Path, overwrite: bool, what: str = "file", named: str | None = None) -> None:
    """One line when writing `path` would replace something without `overwrite=true`, or a run's own file.
    `what`: the kind of output the command writes there; `named`: how the line names it (default `out=PATH`)."""
    named = named or f"out={path}"
    owner = run_file_owner(path)
    if owner is not None:
        raise FakeidError(
            f"{named} is the run folder {owner}'s own file: it is never replaced by another command "
            "(not even with overwrite=true); choose another path"
        )
    if (path.exists() or path.is_symlink()) and not overwrite:
        raise FakeidError(f"{named} exists: pass overwrite=true to replace that {what}, or choose another path")
