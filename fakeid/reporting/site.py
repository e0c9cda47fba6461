"""The report site: one folder with `index.html`, the pictures it shows, `results.csv` and `report.json`.

A folder of plain files rather than one HTML file with embedded pictures: the page stays small and quick
to open with hundreds of thumbnails, every figure is also there as the PNG/PDF/CSV the figures step
writes (a reader can take one out), and `results.csv` beside the page is the exact table its numbers come
from. Every link is relative, so the folder can be zipped, mailed, or served from anywhere, and nothing is
fetched from outside it.

Sections: what was run, completeness, figures, per-set tables, mistakes gallery (`fakeid.reporting.gallery`),
spectra of the data root (`fakeid.audit.spectra`). The sweeps are read once when the report is made
(`fakeid.analysis.collect.collect_study`, the same code as `python -m fakeid.collect`): one table with collect's
interval columns, which the page, its figures, its results.csv and its comparisons share. A sweep's own
results.csv (what `python -m fakeid.collect` wrote) gives the intervals only while it is current, i.e. its
rows are, text for text, what the sweep's metrics.json files give now (`collect.current_intervals`); else
they are computed again, so a stale file is never shown.

Writing is all or nothing: the site is built under a hidden temporary name beside `out` and renamed into
place; `out` must be new, empty, or an earlier report (its `report.json` says so), which is replaced.

Over 500 lines: one section function per part of the page, each small, sharing `Folder` and the HTML helpers;
the gallery (`gallery`) and the plain HTML (`html`) are already apart.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import multiprocessing
import shutil
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from fakeid import __version__
from fakeid.analysis import collect
from fakeid.analysis.compare import replicates
from fakeid.analysis.figures import catalog
from fakeid.analysis.stats import mean_ci
from fakeid.audit import spectra
from fakeid.core.atomic import write_folder_atomically
from fakeid.core.errors import FakeidError
from fakeid.core.metric_names import SUMMARY_METRICS, TEST_METRICS
from fakeid.reporting import gallery
from fakeid.reporting.comparisons import comparison_markup
from fakeid.reporting.html import Cell, definition_list, esc, page, table
from fakeid.reporting.published import published_section
from fakeid.runs.failures import point_text
from fakeid.runs.files import MULTIRUN_FILE, RESULTS_FILE
from fakeid.runs.outputs import check_output

REPORT_FILE = "report.json"
REPORT_KIND = "fakeid_report"
INDEX = "index.html"
FIGURES_DIR = "figures"
SPECTRA_DIR = "spectra"
TABLE_METRICS = (*SUMMARY_METRICS, *(name for name in TEST_METRICS if name not in SUMMARY_METRICS))
RUN_COLUMNS = ("threshold", "n_real", "n_fake")


@dataclass
class Settings:
    k: int = 8  # gallery pictures per group and kind
    spectra: bool = True
    spectra_per_class: int = 50
    spectra_seed: int = 0
    figures: list[str] = field(default_factory=list)  # extra folders whose PNGs the report shows
    drawn: list[str] = field(default_factory=list)  # folders fakeid.figures drew into: a match is copied
    data_root: str | None = None  # as fakeid.analysis.collect's: which dataset to keep when runs of several are given
    title: str | None = None
    command: str = ""
    overwrite: bool = False  # replace an earlier report in `out`

    def check(self) -> None:
        if self.spectra:
            spectra.check_settings(self.spectra_per_class)
        for folder in self.figures:
            if not Path(folder).is_dir():
                raise FakeidError(f"figures={folder}: no such folder (a folder of figure PNGs was expected)")
        for folder in self.drawn:
            if not Path(folder).is_dir():
                raise FakeidError(f"drawn={folder}: no such folder (a folder python -m fakeid.figures drew into)")


@dataclass
class Folder:
    """One sweep or evaluation folder of the report and what was read from it."""

    path: Path
    runs: list[dict[str, Any]]
    rows: pd.DataFrame
    completeness: collect.Completeness
    picks: list[gallery.Pick] = field(default_factory=list)

    @property
    def is_eval(self) -> bool:
        return collect.is_eval_folder(self.path)

    @property
    def grid(self) -> list[str]:
        return list(dict.fromkeys(key for run in self.runs for key in run["swept"]))

    @property
    def by(self) -> list[str]:
        """What the per-set table is split by: the grid without the seed (and the level of an evaluation)."""
        keys = [key for key in self.grid if key != "seed" and key in self.rows.columns]
        return ["level", *keys] if self.is_eval else keys


# ----------------------------------------------------------------------------- checks before writing
def check_out(out: Path, overwrite: bool = False) -> None:
    """A new or empty folder; an earlier report only with overwrite=true (its report.json could be anyone's, so
    replacing it is the user's call); never a folder of other files, nor a run folder's own file."""
    if out.exists() and not out.is_dir():
        raise FakeidError(f"out={out} is a file (a folder for the report was expected)")
    if out.is_dir() and any(out.iterdir()):
        if not is_report(out):
            raise FakeidError(f"out={out} holds other files (expected a new or empty folder, or an earlier report)")
        check_output(out, overwrite, what="earlier report")
    elif out.is_symlink() or out.exists():  # an empty folder or a link to one: nothing is lost, but not a run's
        check_output(out, True)


def is_report(folder: Path) -> bool:
    try:
        return json.loads((folder / REPORT_FILE).read_text()).get("kind") == REPORT_KIND
    except (OSError, ValueError, AttributeError):
        return False


def read_folders(sweep_dirs: Sequence[Path], data_root: str | None) -> tuple[list[Folder], pd.DataFrame]:
    """The folders as `fakeid.analysis.collect` reads them, once (`collect.collect_study`: one dataset per kind,
    the same one-line refusals, the table with its interval columns, a sweep's own results.csv reused when
    current); the table is what the page, its figures, its results.csv and the comparisons all read."""
    if not sweep_dirs:
        raise FakeidError("sweeps=[]: expected at least one sweep or evaluation folder")
    for sweep_dir in sweep_dirs:
        if not sweep_dir.is_dir():
            raise FakeidError(f"{sweep_dir}: no such sweep folder")
    study = collect.collect_study(sweep_dirs, data_root)
    df = study.table
    folders = [
        Folder(
            sweep_dir,
            [run for run in study.runs if run["sweep"] == str(sweep_dir)],
            df[df["sweep"] == str(sweep_dir)],
            completeness,
        )
        for sweep_dir, completeness in zip(sweep_dirs, study.completeness, strict=True)
    ]
    return folders, df


# ----------------------------------------------------------------------------- sections
def distinct(values) -> str:
    found = [str(value) for value in dict.fromkeys(values) if value is not None and not pd.isna(value)]
    return ", ".join(found) or "(not recorded)"


def grid_text(folder: Folder) -> str:
    if folder.is_eval:
        grid = collect.read_eval_grid(folder.path)
        return (
            f"{len(grid.level_ids)} levels ({esc(', '.join(grid.level_ids))}) x the ok runs of "
            f"<code>{esc(grid.source_sweep)}</code>"
        )
    if not (folder.path / MULTIRUN_FILE).is_file():
        return "no multirun.yaml: the runs found"
    points = collect.expected_grid(folder.path)
    keys = list(points[0]) if points else []
    parts = [f"<code>{esc(key)}</code> {esc(distinct(point[key] for point in points))}" for key in keys]
    return f"{len(points)} points: " + ("; ".join(parts) or "one point")


def what_was_run(folders: Sequence[Folder]) -> str:
    parts = []
    for folder in folders:
        hparams = [run.get("hparams") or {} for run in folder.runs]
        versions = sorted({key for item in hparams for key in item if key.startswith("version.")})
        identity = folder.rows.drop_duplicates(["data_root", "data_fingerprint"])
        data = "; ".join(
            f"<code>{esc(row.data_root)}</code> (fingerprint <code>{esc(row.data_fingerprint)}</code>)"
            for row in identity.itertuples()
            if isinstance(row.data_root, str)
        )
        wall = sum(float(run.get("wall_time_s") or 0) for run in folder.runs)
        facts = [
            ("folder", f"<code>{esc(folder.path)}</code>"),
            ("kind", "evaluation folder (fakeid.eval)" if folder.is_eval else "training sweep (fakeid.train)"),
            ("experiment", esc(distinct(item.get("experiment") or item.get("experiment_name") for item in hparams))),
            ("grid", grid_text(folder)),
            ("runs", f"{len(folder.runs)} with metrics.json ({folder.completeness.n_ok} ok); {wall:.0f} s of runs"),
            ("data root", data or "(not recorded)"),
            ("data kind", esc(distinct(item.get("data.dataset_kind") for item in hparams))),
            ("model", esc(distinct(item.get("model.name") for item in hparams))),
            ("image size", esc(distinct(item.get("data.image_size") for item in hparams))),
            (
                "versions",
                esc("; ".join(f"{key[8:]} {distinct(item.get(key) for item in hparams)}" for key in versions)),
            ),
        ]
        parts.append(f"<h3>{esc(folder.path.name)}</h3>\n{definition_list(facts)}")
    return "\n".join(parts)


def completeness(folders: Sequence[Folder]) -> str:
    parts = []
    for folder in folders:
        report = folder.completeness
        failed, missing = len(report.failed), len(report.missing)
        grid = "unknown (no multirun.yaml)" if report.grid_size is None else str(report.grid_size)
        state = '<span class="ok">complete</span>' if report.complete else '<span class="bad">incomplete</span>'
        counts = [("grid points", "grid_points", grid), ("ok", "ok", report.n_ok), ("failed", "failed", failed)]
        counts += [("corrupt", "corrupt", len(report.corrupt)), ("of a newer fakeid", "newer", len(report.newer))]
        counts.append(("missing", "missing", missing))
        summary = ", ".join(f'<span data-count="{key}">{esc(value)}</span> {name}' for name, key, value in counts)
        lines = [f"<h3>{esc(folder.path.name)}: {state}</h3>", f"<p>{summary}</p>"]
        if report.failed:
            rows = [[job.run_dir, point_text(job.point), job.reason] for job in report.failed]
            lines.append(table(["failed job", "grid point", "error"], rows, css_id=f"failed-{folder.path.name}"))
        for kind, jobs in (("corrupt", report.corrupt), ("newer", report.newer)):  # left out of every statistic
            if jobs:
                rows = [[job.run_dir, point_text(job.point), job.reason] for job in jobs]
                header = ["corrupt run (left out)" if kind == "corrupt" else "run of a newer fakeid (not read)"]
                lines.append(table([*header, "grid point", "why"], rows, css_id=f"{kind}-{folder.path.name}"))
        if report.missing:
            rows = [[point_text(point)] for point in report.missing]
            lines.append(table(["missing grid point (no metrics.json)"], rows))
        lines += [f'<p class="note">not in the grid: <code>{esc(run_dir)}</code></p>' for run_dir in report.unexpected]
        lines += [f'<p class="note">{esc(note)}</p>' for note in report.notes]
        parts.append("\n".join(lines))
    return "\n".join(parts)


def draw_figures(
    df: pd.DataFrame, site: Path, extra: Sequence[str], source: str, drawn: Sequence[str] = ()
) -> tuple[list[Path], list[str]]:
    """Every figure the table supports (`catalog.write_all`: whatever figures it knows; one the figures command
    drew into a `drawn` folder from exactly these rows and keys is copied, not drawn again), plus the PNGs of the
    `extra` folders; the PNG files (relative to the site) and one line per figure not drawn."""
    out = site / FIGURES_DIR
    out.mkdir(parents=True, exist_ok=True)
    made = catalog.write_all(df, out, source, drawn=drawn)
    reasons = [f"{name}: {result}" for name, result in made.items() if isinstance(result, str)]
    for index, folder in enumerate(extra):
        target = out / f"extra-{index}-{Path(folder).name}"
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file() and path.suffix.lower() in (".png", ".pdf", ".csv", ".md"):
                destination = target / path.relative_to(folder)
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, destination)
    return sorted(path.relative_to(site) for path in out.rglob("*.png")), reasons


def figures_section(site: Path, pngs: Sequence[Path], reasons: Sequence[str]) -> str:
    parts = []
    for png in pngs:
        siblings = sorted(path for path in (site / png).parent.glob(f"{png.stem}.*") if path.suffix != ".png")
        links = " ".join(f'<a href="{esc(path.relative_to(site))}">{esc(path.suffix[1:])}</a>' for path in siblings)
        parts.append(
            f'<figure data-figure="{esc(png.stem)}"><img src="{esc(png)}" alt="{esc(png.stem)}">'
            f"<figcaption><code>{esc(png)}</code> {links}</figcaption></figure>"
        )
    others = sorted(
        path.relative_to(site)
        for path in (site / FIGURES_DIR).rglob("*")
        if path.is_file() and path.suffix != ".png" and not path.with_suffix(".png").is_file()
    )
    if others:
        parts.append("<p>tables: " + " ".join(f'<a href="{esc(path)}">{esc(path)}</a>' for path in others) + "</p>")
    if not pngs:
        parts.append("<p>No figure could be drawn from these folders.</p>")
    parts += [f'<p class="note">not drawn: {esc(reason)}</p>' for reason in reasons]
    return "\n".join(parts)


def metric_cell(values: pd.Series) -> Cell:
    ci = mean_ci(values)
    if ci.n == 0:
        return Cell(float("nan"), "")
    half = "" if ci.n < 2 else f" \u00b1 {(ci.ci_high - ci.mean):.3f}"
    return Cell(ci.mean, f"{ci.mean:.3f}{half}")


def per_set_rows(folder: Folder) -> tuple[list[str], list[list[object]]]:
    """One row per test set and value of `folder.by`: the runs' mean of each metric with its 95% CI."""
    rows = folder.rows[(folder.rows["status"] == "ok") & folder.rows["set"].notna()]
    keys = ["set", *folder.by]
    out = []
    for values, group in rows.groupby(keys, sort=True, dropna=False):
        values = values if isinstance(values, tuple) else (values,)
        conditions = {
            gallery.condition_of(g, c) for g, c in zip(group["seen_generator"], group["seen_category"], strict=True)
        }
        condition = conditions.pop() if len(conditions) == 1 else "mixed"
        runs = group.drop_duplicates(["sweep", "run_dir"]).shape[0]
        out.append([*values, condition, runs, *(metric_cell(group[metric]) for metric in TABLE_METRICS)])
    return [*keys, "condition", "runs", *TABLE_METRICS], out


def per_run_rows(folder: Folder) -> tuple[list[str], list[list[object]]]:
    """Every row of results.csv for the folder's ok runs: the numbers exactly as collected."""
    rows = folder.rows[(folder.rows["status"] == "ok") & folder.rows["set"].notna()]
    keys = ["run_dir", "set", *[key for key in folder.grid if key in rows.columns]]
    if folder.is_eval:
        keys.insert(1, "level")
    columns = [*keys, *TEST_METRICS, *RUN_COLUMNS]
    return columns, [[getattr_value(row, name) for name in columns] for _, row in rows.iterrows()]


def getattr_value(row: pd.Series, name: str) -> object:
    value = row.get(name)
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return float("nan") if name in (*TEST_METRICS, *RUN_COLUMNS) else ""
    return value.item() if hasattr(value, "item") else value


def tables_section(folders: Sequence[Folder]) -> str:
    parts = []
    for folder in folders:
        name = folder.path.name
        columns, rows = per_set_rows(folder)
        parts.append(f"<h3>{esc(name)}: per test set</h3>")
        if not rows:
            parts.append("<p>No ok run with test results.</p>")
            continue
        by = ", ".join(folder.by) or "all runs"
        parts.append(
            f'<p class="note">mean over runs (seeds) \u00b1 half the Student-t 95% CI, per set and {esc(by)}; '
            "click a heading to sort.</p>"
        )
        parts.append(table(columns, rows, css_id=f"per-set-{name}"))
        columns, rows = per_run_rows(folder)
        parts.append(
            f"<details><summary>every run and set ({len(rows)} rows of results.csv)</summary>"
            f"{table(columns, rows, css_id=f'per-run-{name}')}</details>"
        )
    return "\n".join(parts)


def run_roots(folder: Folder) -> dict[str, dict]:
    """run_dir -> where its images are (`gallery.locate`)."""
    return {
        run["run_dir"]: {
            "data_root": (run.get("data_identity") or {}).get("root"),
            "root_hparam": (run.get("hparams") or {}).get("data.root")
            or (run.get("hparams") or {}).get("eval.data.root"),
        }
        for run in folder.runs
    }


def tile(pick: gallery.Pick) -> str:
    data = (
        f'data-group="{esc(pick.group)}" data-kind="{esc(pick.kind)}" data-rank="{pick.rank}" '
        f'data-set="{esc(pick.set)}" data-path="{esc(pick.path)}" data-run="{esc(pick.run_dir)}" '
        f'data-score="{pick.score!r}"'
    )
    picture = (
        f'<img src="{esc(pick.thumbnail)}" alt="{esc(pick.path)}">'
        if pick.thumbnail
        else f'<div class="outside" title="{esc(pick.path)}">outside</div>'
        if pick.outside
        else f'<div class="missing" title="{esc(pick.path)}">missing</div>'
    )
    return (
        f'<div class="tile" {data}>{picture}<b>{pick.score:.4g}</b><br>{esc(pick.set)}<br>'
        f'<span class="note">{esc(pick.run_dir)}</span></div>'
    )


def gallery_section(folders: Sequence[Folder], k: int) -> str:
    shown = [pick for folder in folders for pick in folder.picks]
    missing = sum(pick.thumbnail is None and not pick.outside for pick in shown)
    outside = sum(pick.outside for pick in shown)
    parts = [
        f'<p class="note">Per test-set group, the {k} real images scored most fake and the {k} fakes scored most '
        "real over the runs (each image once, at its worst run; score = probability of fake). "
        f'<span data-count="gallery_missing">{missing}</span> of <span data-count="gallery">{len(shown)}</span> '
        "pictured images are missing from disk (moved since the run?); "
        f'<span data-count="gallery_outside">{outside}</span> lie outside their run\'s data root and are listed '
        "by path only (a scores.csv row never copies a file from elsewhere into the report).</p>"
    ]
    for folder in folders:
        parts.append(f"<h3>{esc(folder.path.name)}</h3>")
        if not folder.picks:
            parts.append('<p class="note">No scores.csv of an ok run (at perturbation none) to pick from.</p>')
        for group in gallery.GROUP_ORDER:
            for kind, title in (("real", "reals scored most fake"), ("fake", "fakes scored most real")):
                picks = [pick for pick in folder.picks if pick.group == group and pick.kind == kind]
                if picks:
                    parts.append(f"<h4>{esc(group)}: {title}</h4>")
                    parts.append('<div class="gallery">' + "".join(tile(pick) for pick in picks) + "</div>")
    return "\n".join(parts)


def data_roots(df: pd.DataFrame) -> list[str]:
    ok = df[df["status"] == "ok"]
    return [str(root) for root in dict.fromkeys(ok["data_root"].dropna())]


def spectra_section(site: Path, roots: Sequence[str], settings: Settings) -> tuple[str, list[dict]]:
    """The spectra of each data root an ok run used (`data_roots`), written under `site`/spectra."""
    if not settings.spectra:
        return "<p>Not computed (spectra=false).</p>", []
    parts = [
        '<p class="note">Mean log(1+|FFT|) of the high-pass residual (grey centre crop minus its 3x3 median), '
        f"real | fake | fake \u2212 real per split and test set, on at most {settings.spectra_per_class} images "
        f"per class (seed {settings.spectra_seed}); recipe in docs/report.md. The same as "
        "<code>python -m fakeid.check root=ROOT spectra=true</code>.</p>"
    ]
    records = []
    for index, root in enumerate(roots):
        if not Path(root).is_dir():
            parts.append(f'<p class="bad">data root <code>{esc(root)}</code> not found: no spectra.</p>')
            continue
        found = spectra.data_spectra(root, settings.spectra_per_class, settings.spectra_seed)
        paths = spectra.save(found, site / SPECTRA_DIR / str(index))
        relative = {kind: path.relative_to(site) for kind, path in paths.items()}
        links = " ".join(f'<a href="{esc(path)}">{esc(kind)}</a>' for kind, path in relative.items())
        parts.append(
            f'<figure data-figure="spectra"><img src="{esc(relative["png"])}" alt="spectra of {esc(root)}">'
            f"<figcaption><code>{esc(root)}</code>: crop {found.size} px. {links}</figcaption></figure>"
        )
        if found.skipped:
            parts.append(f'<p class="note">{len(found.skipped)} unreadable or too small files skipped.</p>')
        records.append({"root": root, **spectra.as_dict(found, relative)})
    if not records and len(parts) == 1:
        parts.append("<p>No data root recorded by an ok run.</p>")
    return "\n".join(parts), records


# ----------------------------------------------------------------------------- the site
def comparisons_section(folders: Sequence[Folder], drawn: Sequence[str] = ()) -> tuple[str, list[dict]]:
    """Per training sweep, its paired comparison against its smallest level (`fakeid.analysis.compare`, the
    same defaults as `figure=compare`): every difference, marked where supported, and the power statements; a
    sweep that cannot be compared (one level, two variables, no pairs) says why in one line. One that
    `figure=compare` made from exactly these rows with these defaults is taken from its drawn record
    (`catalog.sweep_comparison`), not computed again."""
    parts: list[str] = []
    records: list[dict[str, Any]] = []
    for folder in folders:
        if folder.is_eval:
            continue
        parts.append(f"<h3>{esc(folder.path.name)}</h3>")
        try:
            comparison = catalog.sweep_comparison(folder.rows, drawn, str(folder.path))
        except FakeidError as err:
            parts.append(f'<p class="note">not compared: {esc(err)}</p>')
            records.append({"folder": str(folder.path), "not_compared": str(err)})
            continue
        parts.append(comparison_markup(comparison, f"compare-{folder.path.name}"))
        records.append(
            {
                "folder": str(folder.path),
                "variable": comparison.variable,
                "baseline": comparison.baseline.item() if hasattr(comparison.baseline, "item") else comparison.baseline,
                "supported": int(comparison.table["supported"].sum()),
                "differences": len(comparison.table),
            }
        )
    return "\n".join(parts) or "<p>No training sweep to compare.</p>", records


@contextlib.contextmanager
def _beside(section: Callable[..., Any], *args: Any, apart: bool = True) -> Iterator[Callable[[], Any]]:
    """`section(*args)` in a process of its own while the caller writes the other sections; yields the function
    that waits for its result (its error, if it failed). The spectra read and draw only the data roots' images
    and write only their own folder, and took about half the demo's report (6 of 11 s on the 2-core sandbox);
    beside the rest, the report ends when the longer of the two does. Forked, so nothing is imported again.
    `apart=False` (nothing to draw): called in this process when its result is asked for."""
    if not apart:
        yield lambda: section(*args)
        return
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork")) as pool:
        future = pool.submit(section, *args)
        yield future.result


def write_site(site: Path, folders: list[Folder], df: pd.DataFrame, settings: Settings) -> dict:
    """Write the whole site into `site` (a fresh folder); returns what report.json holds."""
    sources = ", ".join(str(folder.path) for folder in folders)
    roots = data_roots(df)
    with _beside(spectra_section, site, roots, settings, apart=bool(settings.spectra and roots)) as spectra_done:
        collect.write_results(df, site / RESULTS_FILE)
        pngs, reasons = draw_figures(df, site, settings.figures, sources, settings.drawn)
        for folder in folders:
            folder.picks = gallery.mistakes(folder.path, folder.rows, int(settings.k), site, run_roots(folder))
        compare_markup, compare_records = comparisons_section(folders, settings.drawn)
        spectra_markup, spectra_records = spectra_done()
    title = settings.title or f"fakeid report: {', '.join(folder.path.name for folder in folders)}"
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    intro = (
        f'<p class="note">Written by fakeid {esc(__version__)} on {esc(when)} with '
        f'<code>{esc(settings.command)}</code>. The numbers come from <a href="results.csv">results.csv</a> '
        f'(the folders collected by fakeid.analysis.collect when this page was made); <a href="{REPORT_FILE}">'
        f"{REPORT_FILE}</a> lists what is shown.</p>"
    )
    sections = [
        ("run", "What was run", what_was_run(folders)),
        ("completeness", "Completeness", completeness(folders)),
        ("figures", "Figures", figures_section(site, pngs, reasons)),
        ("compare", "Is the difference real?", compare_markup),
        ("tables", "Per-set tables", tables_section(folders)),
        ("published", "Published detectors", published_section(df, site)),
        ("gallery", "Mistakes gallery", gallery_section(folders, int(settings.k))),
        ("spectra", "Spectra of the data", spectra_markup),
    ]
    (site / INDEX).write_text(page(title, sections, intro))
    picks = [pick for folder in folders for pick in folder.picks]
    record = {
        "kind": REPORT_KIND,
        "version": 1,
        "fakeid": __version__,
        "command": settings.command,
        "folders": [
            {
                "path": str(folder.path),
                "complete": folder.completeness.complete,
                "n_ok": folder.completeness.n_ok,
                "failed": [{"run_dir": job.run_dir, "error": job.reason} for job in folder.completeness.failed],
                "corrupt": [{"run_dir": job.run_dir, "error": job.reason} for job in folder.completeness.corrupt],
                "newer": [{"run_dir": job.run_dir, "error": job.reason} for job in folder.completeness.newer],
                "missing": len(folder.completeness.missing),
            }
            for folder in folders
        ],
        "figures": [str(path) for path in pngs],
        "figures_not_drawn": reasons,
        "spectra": spectra_records,
        "comparisons": compare_records,
        "gallery": {
            "k": int(settings.k),
            "pictured": len(picks),
            "missing": sum(pick.thumbnail is None and not pick.outside for pick in picks),
            "outside": sum(pick.outside for pick in picks),
            "picks": [
                {
                    "folder": str(folder.path),
                    "group": pick.group,
                    "kind": pick.kind,
                    "rank": pick.rank,
                    "set": pick.set,
                    "path": pick.path,
                    "score": pick.score,
                    "run_dir": pick.run_dir,
                    "thumbnail": pick.thumbnail,
                    "outside": pick.outside,
                }
                for folder in folders
                for pick in folder.picks
            ],
        },
    }
    (site / REPORT_FILE).write_text(json.dumps(record, indent=2) + "\n")
    return record


def build(sweep_dirs: Sequence[str | Path], out: str | Path, settings: Settings) -> dict:
    """Check everything, collect, write the site under a temporary name, then put it in place of `out`."""
    out = Path(out)
    settings.check()
    check_out(out, settings.overwrite)
    folders, df = read_folders([Path(path) for path in sweep_dirs], settings.data_root)
    # replaces an earlier report or an empty folder (check_out)
    # the figures and the comparisons section resample each set's images once between them
    with replicates.sharing():
        record = write_folder_atomically(out, lambda site: write_site(site, folders, df, settings))
    gallery_notes = (
        ("missing", "are missing from disk (moved since the run?); shown as missing"),
        ("outside", "lie outside their run's data root; listed by path, not copied"),
    )
    for key, what in gallery_notes:
        if record["gallery"][key]:
            print(
                f"fakeid: warning: {record['gallery'][key]} of {record['gallery']['pictured']} gallery images {what}",
                file=sys.stderr,
            )
    return record
