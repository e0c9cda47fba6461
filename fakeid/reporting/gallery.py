"""The mistakes gallery: per folder and test-set group, the real images scored most fake and the fakes scored
most real, from the runs' `scores.csv`.

- *Which runs*: the ok training runs of a sweep; in an evaluation folder the ok evaluations at perturbation
  `none` (the original pixels: a perturbed image is not the file a thumbnail would show).
- *Groups*: the test set's condition in that run (`condition_label` of `fakeid.analysis.figures.study`: seen or unseen
  generator x seen or unseen content; a set without a category level is "content unknown"). A set's
  condition can differ between runs (a category is trained on from some n on), so it is taken per run.
- *Ranking*: within a group, every (run, image) score; reals by score descending, fakes by score ascending,
  ties by path then run; each image once, at its worst run; the first `k` of each.
- *Files*: `scores.csv` records the path as the run saw it, often relative to where training ran. Only a file
  under the run's recorded data root (`data_identity.root`, or an absolute `data.root`) is pictured: an absolute
  path must lie under it, a relative one is looked up under it (with the run's `data.root` prefix taken off),
  and a path with a `..` part is never followed. The folder is meant to be shared, and scores.csv is a file
  anyone can edit: a row naming a private photo elsewhere is listed as outside the data root, never copied.
  The check is on the path as written, not on where symbolic links lead: a dataset ingested with `mode=link`
  is a tree of links to the files it came from. An image found nowhere is shown as missing and counted, never
  dropped. The rows come from `fakeid.analysis.scores.read_scores`, with its checks.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from PIL import Image

from fakeid.analysis.rows import condition_label
from fakeid.analysis.scores import read_scores as read_checked_scores
from fakeid.runs.files import SCORES_FILE

GROUP_ORDER = (
    "seen generator, seen content",
    "seen generator, unseen content",
    "unseen generator, seen content",
    "unseen generator, unseen content",
    "content unknown",
)
THUMB_MAX = 128  # px: larger images are shrunk (Lanczos) for the page; smaller ones copied as they are
KINDS = (("real", 0, False), ("fake", 1, True))  # (name, label, ascending): reals most fake, fakes most real


@dataclass
class Pick:
    group: str
    kind: str  # "real" (scored most fake) or "fake" (scored most real)
    rank: int
    set: str
    path: str  # as scores.csv records it
    label: int
    score: float
    run_dir: str
    found: Path | None  # the file on disk, None when missing or outside the data root
    thumbnail: str | None = None  # relative to the report folder
    outside: bool = False  # the path is not under the run's recorded data root: listed, never copied


def condition_of(seen_generator: object, seen_category: object) -> str:
    if pd.isna(seen_generator) or pd.isna(seen_category):
        return "content unknown"
    return condition_label(bool(seen_generator), bool(seen_category))


def gallery_runs(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per test set of each run the gallery reads (see the module docstring), with its group."""
    ok = rows[(rows["status"] == "ok") & rows["set"].notna()]
    kinds = ok["kind"].fillna("train") if "kind" in ok.columns else pd.Series("train", index=ok.index)
    keep = (kinds == "train") | ((kinds == "eval") & (ok.get("perturbation") == "none"))
    chosen = ok[keep].copy()
    chosen["group"] = [
        condition_of(g, c) for g, c in zip(chosen["seen_generator"], chosen["seen_category"], strict=True)
    ]
    return chosen


def read_scores(folder: Path, runs: pd.DataFrame) -> pd.DataFrame:
    """Every scores.csv row of the chosen runs of one folder, with `run_dir` and `group`."""
    frames = []
    for run_dir, sets in runs.groupby("run_dir", sort=True):
        path = folder / str(run_dir) / SCORES_FILE
        if not path.is_file():
            continue
        groups = dict(zip(sets["set"].astype(str), sets["group"], strict=True))
        for name, data in read_checked_scores(path).items():
            if name in groups:
                frames.append(
                    pd.DataFrame(
                        {"set": name, "path": list(data.paths), "label": data.labels, "score": data.scores}
                    ).assign(group=groups[name], run_dir=str(run_dir))
                )
    columns = ["set", "path", "label", "score", "group", "run_dir"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def rank(scores: pd.DataFrame, k: int) -> list[tuple[str, str, pd.DataFrame]]:
    """(group, kind, the k picked rows) in GROUP_ORDER; the ranking of the module docstring."""
    picked = []
    for group in GROUP_ORDER:
        rows = scores[scores["group"] == group]
        for kind, label, ascending in KINDS:
            of_kind = rows[rows["label"] == label]
            if of_kind.empty:
                continue
            ordered = of_kind.sort_values(["score", "path", "run_dir"], ascending=[ascending, True, True])
            picked.append((group, kind, ordered.drop_duplicates("path").head(k)))
    return picked


def under_root(recorded: str, data_root: str | None, root_override: str | None) -> Path | None:
    """Where a scores.csv path lies under the run's recorded data root (module docstring), or None when it does
    not: no root recorded, a `..` part, or an absolute path outside it."""
    path = Path(recorded)
    if not data_root or ".." in path.parts:
        return None
    prefix = Path(root_override) if root_override else None
    if path.is_absolute():
        roots = [Path(data_root), *([prefix] if prefix is not None and prefix.is_absolute() else [])]
        return path if any(path.is_relative_to(root) for root in roots) else None
    if prefix is not None and not prefix.is_absolute() and path.is_relative_to(prefix):
        path = path.relative_to(prefix)
    return Path(data_root) / path


def locate(recorded: str, data_root: str | None, root_override: str | None) -> Path | None:
    """The image file of a scores.csv path under the run's data root (`under_root`), or None."""
    path = under_root(recorded, data_root, root_override)
    return path if path is not None and path.is_file() else None


def thumbnail(source: Path, out_dir: Path) -> str:
    """A PNG copy of `source` at most THUMB_MAX a side under `out_dir/gallery/`; its path relative to
    `out_dir`. Named by the source path's hash, so an image picked twice is written once."""
    name = f"gallery/{hashlib.sha1(str(source.resolve()).encode()).hexdigest()[:16]}.png"
    target = out_dir / name
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        with Image.open(source) as image:
            image.load()
            picture = image.convert("RGB")
        picture.thumbnail((THUMB_MAX, THUMB_MAX), Image.Resampling.LANCZOS)
        picture.save(target, format="PNG")
    return name


def mistakes(folder: Path, rows: pd.DataFrame, k: int, out_dir: Path, hparams: dict[str, dict]) -> list[Pick]:
    """The picks of one folder, thumbnails written. `hparams`: run_dir -> that run's data.root and resolved
    root (`data_root`, `root_hparam`)."""
    picks = []
    for group, kind, chosen in rank(read_scores(folder, gallery_runs(rows)), k):
        for index, item in enumerate(chosen.itertuples(index=False), start=1):
            roots = hparams.get(str(item.run_dir), {})
            where = (str(item.path), roots.get("data_root"), roots.get("root_hparam"))
            found = locate(*where)
            pick = Pick(
                group, kind, index, str(item.set), str(item.path), int(item.label), float(item.score),
                str(item.run_dir), found, outside=under_root(*where) is None,
            )  # fmt: skip
            if found is not None:
                try:
                    pick.thumbnail = thumbnail(found, out_dir)
                except OSError:  # unreadable since the run: shown as missing
                    pick.found = None
            picks.append(pick)
    return picks
