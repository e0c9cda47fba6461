"""What `input=` names, expanded to the list of files to score, in a stable order.

An input is
- a file with an image suffix (`fakeid.data.images.IMAGE_SUFFIXES`), or any other file that is not a list:
  it is scored (a non-image becomes a row with its error);
- a folder: every file with an image suffix below it, recursively, sorted (walked iteratively: any depth;
  links to folders followed, each folder once); other files are counted as skipped and reported, never
  scored. A broken or looping link with an image suffix is a row with its error, never left out;
- a list file (`.txt`, `.lst`, `.list`): one path per line, relative to the list file's folder unless absolute;
  blank lines and lines starting with `#` are ignored. A listed path that does not exist becomes a row with
  the error `not found` (the list is data); a listed folder is expanded like a folder.

A path named in `input=` that does not exist, a folder with no image, and an input that yields no file at all
are one-line errors.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fakeid.core.errors import FakeidError
from fakeid.data.images import IMAGE_SUFFIXES, is_image_name
from fakeid.data.tree import walk_files

LIST_SUFFIXES = frozenset({".txt", ".lst", ".list"})


@dataclass
class ExpandedInputs:
    """The files to score, and the files seen in folders but not scored (no image suffix)."""

    files: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)


def as_input_list(value: str | Sequence[str] | None) -> list[str]:
    """`input=a` or `input=[a,b]` -> ['a', 'b']; nothing given is an error."""
    items = [value] if isinstance(value, (str, Path)) else list(value or [])
    items = [str(item) for item in items if str(item).strip()]
    if not items:
        raise FakeidError(
            "input= is required: an image file, a folder, or a .txt file listing paths (several as input=[a,b])"
        )
    return items


def folder_images(folder: Path, expanded: ExpandedInputs) -> None:
    found = 0
    for path in sorted(walk_files(folder, follow_links=True)):
        if is_image_name(path):
            expanded.files.append(path)
            found += 1
        else:
            expanded.skipped.append(path)
    if not found:
        suffixes = ", ".join(sorted(IMAGE_SUFFIXES))
        raise FakeidError(f"input={folder}: no image found in this folder or below (looked for {suffixes})")


def listed_paths(list_file: Path) -> Iterable[Path]:
    try:
        lines = list_file.read_text().splitlines()
    except UnicodeDecodeError:
        raise FakeidError(
            f"input={list_file}: a {list_file.suffix} input must be a text file listing one image path per line"
        ) from None
    for line in lines:
        line = line.strip()
        if line and not line.startswith("#"):
            path = Path(line).expanduser()
            yield path if path.is_absolute() else list_file.parent / path


def expand_one(path: Path, expanded: ExpandedInputs, named: bool) -> None:
    """Add what `path` stands for; `named`: given in input= (missing is an error) rather than in a list."""
    if path.is_dir():
        folder_images(path, expanded)
    elif path.is_file() and path.suffix.lower() in LIST_SUFFIXES and named:
        before = len(expanded.files)
        for listed in listed_paths(path):
            expand_one(listed, expanded, named=False)
        if len(expanded.files) == before:
            raise FakeidError(f"input={path}: the list names no path")
    elif path.exists() or not named:
        expanded.files.append(path)  # a listed path that is missing is scored as a row with its error
    else:
        raise FakeidError(f"input={path} does not exist (an image file, a folder or a .txt list was expected)")


def expand_inputs(value: str | Sequence[str] | None) -> ExpandedInputs:
    expanded = ExpandedInputs()
    for item in as_input_list(value):
        expand_one(Path(item).expanduser(), expanded, named=True)
    if not expanded.files:
        raise FakeidError(f"input={value}: no image found")
    return expanded
