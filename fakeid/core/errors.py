"""User-facing errors: one line that names the file or key and what was expected.

Entry points catch `FakeidError` and print `fakeid: error: <message>` without a traceback;
anything else is a bug and keeps its traceback. A full disk is not a bug either: an `OSError` with errno
ENOSPC (or EDQUOT) becomes `DiskFull`, one line naming the file system and the file being written (exit 1).
"""

from __future__ import annotations

import errno
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DISK_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)


class FakeidError(Exception):
    """Bad input or configuration, explained in one line."""

    exit_code: int | None = None  # None: the caller's (2, a usage error)


class DiskFull(FakeidError):
    """No space left where a file was being written: not the user's input, so exit 1."""

    exit_code = 1

    @classmethod
    def writing(cls, path: str | os.PathLike | None) -> DiskFull:
        if path is None:
            return cls("no space left on device (a write failed with ENOSPC): free some space, then run it again")
        path = Path(path).absolute()
        mount = path.parent
        while not os.path.ismount(mount) and mount != mount.parent:
            mount = mount.parent
        try:
            usage = shutil.disk_usage(mount)
            free = f"{usage.free / 2**20:.1f} MiB free of {usage.total / 2**20:.1f} MiB"
        except OSError:
            free = "free space unknown"
        return cls(
            f"no space left on {mount} (writing {path}; {free}): free some space, then run the same command again"
        )


def is_disk_full(err: BaseException) -> bool:
    return isinstance(err, OSError) and err.errno in DISK_FULL_ERRNOS


def as_user_error(err: BaseException) -> FakeidError | None:
    """`err` as the one-line error a user should see (a FakeidError, or DiskFull for ENOSPC), else None."""
    if isinstance(err, FakeidError):
        return err
    if is_disk_full(err):
        return DiskFull.writing(getattr(err, "filename", None))
    return None


def root_cause(err: BaseException) -> BaseException:
    """The FakeidError (or full disk, as DiskFull) behind `err` if there is one, else the innermost cause
    (Hydra's instantiate wraps whatever a constructor raised in an InstantiationException)."""
    while as_user_error(err) is None and (inner := err.__cause__ or err.__context__) is not None:
        err = inner
    return as_user_error(err) or err


@contextmanager
def one_line_errors(exit_code: int = 2) -> Iterator[None]:
    """Turn a FakeidError (or a full disk) raised inside the block into one line on stderr and an exit code."""
    try:
        yield
    except (FakeidError, OSError) as caught:
        err = as_user_error(caught)
        if err is None:
            raise
        print(f"fakeid: error: {err}", file=sys.stderr)
        raise SystemExit(err.exit_code or exit_code) from None


def check_choice(key: str, value: object, choices: tuple[str, ...]) -> None:
    """An enumerated key: anything outside `choices` is one line naming the key and its choices."""
    if value not in choices:
        raise FakeidError(f"{key}={value} is not a choice (choices: {', '.join(choices)})")
