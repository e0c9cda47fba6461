"""What the test suite leaves in the checkout: nothing a user did not ask for (issue 31).

`git status --porcelain` alone misses the usual culprit: git shows an ignored folder as one line and an empty
folder not at all, so a new `outputs/predict/<time>/` inside an `outputs/predict/` that a demo made earlier is
invisible to it. The state below is git's status plus every file and folder of the checkout (ignored ones
included), each file with its size and time, so a file written again is seen as well.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

# what tools write by themselves, whatever a test does: git, the venv and the caches of Python, pytest,
# Hypothesis, ruff, mypy and import-linter, the editable install's metadata, the docs build
TOOL_FOLDERS = frozenset(
    {
        ".git",
        ".venv",
        "__pycache__",
        ".pytest_cache",
        ".hypothesis",
        ".ruff_cache",
        ".mypy_cache",
        ".import_linter_cache",
        "fakeid.egg-info",
        "site",
    }
)


def stamp(path: Path) -> str:
    """A file's size and modification time (a file written again changes them); a folder is its name alone."""
    if path.is_dir() and not path.is_symlink():
        return "/"
    info = path.lstat()
    return f" {info.st_size} {info.st_mtime_ns}"


def checkout_state(repo: Path) -> frozenset[str] | None:
    """`git status --porcelain` lines and one line per path under `repo` (tool folders left out) with its
    stamp; None outside a git checkout (the tests of an installed copy: nothing to watch)."""
    try:
        done = subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    state = {f"git status: {line}" for line in done.stdout.splitlines()}
    for folder, folders, files in os.walk(repo):
        folders[:] = [item for item in folders if item not in TOOL_FOLDERS]
        for item in (*folders, *files):
            path = Path(folder, item)
            state.add(f"{path.relative_to(repo)}{stamp(path)}")
    return frozenset(state)
