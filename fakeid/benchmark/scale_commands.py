"""The scale stages that run after training, each timed as the command a user types (`fakeid.bench_scale`).

- **eval**: `python -m fakeid.eval ckpt=CKPT data.root=SET data.test_per_class=N` of one randomly initialised
  detector (a tiny timm network, `EVAL_MODEL`: the forward pass is `fakeid.bench`'s to measure; what grows
  here is everything around it: the plan, the loader, scores.csv, the metrics) over one test set of the
  paper's 256 px JPEGs, at growing images per class up to the paper's 2K. The set and the checkpoint are
  written once, before any timing, at the largest size.
- **collect, fig1, fig2, fig3, compare, report**: over a generated record set of the paper's shape
  (`fakeid.benchmark.records`: a categories and a dropout sweep, 15 test sets of 2K + 2K scores a run) at
  growing numbers of runs, as `make fig1`/`fig2`/`fig3`/`compare` and the report run them.

Each command runs in a process of its own; its peak RSS and CPU seconds are the kernel's account of that
process and its children (`os.wait4`). Python's start-up and the command's imports are part of every
command's cost, so each command is also run once with `--help` (the same imports, no data): what is fitted is
the time and memory above that start-up, which is what grows with the data.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from fakeid.benchmark.records import PAPER_RUNS, write_record_set
from fakeid.core.errors import FakeidError
from fakeid.data.layout import LABEL_DIRS

EVAL_STAGES = ("eval",)
RECORD_STAGES = ("collect", "fig1", "fig2", "fig3", "compare", "report")
EVAL_MODEL = "test_resnet"  # timm's smallest ResNet: the forward pass stays seconds on a CPU
EVAL_SET = "progan/airplane"  # the test set's name (a generator folder holding one category)
PAPER_EVAL_PER_CLASS = 2_000  # the paper's test images per set and class
WriteFolder = Callable[[Path, int, int, int, int], None]  # (folder, count, label, seed, size): JPEGs written
COMMANDS = {"eval": "fakeid.eval", "collect": "fakeid.collect", "report": "fakeid.report"}  # others: figures


def command_of(stage: str) -> str:
    return COMMANDS.get(stage, "fakeid.figures")


# `python -m MODULE ARGS` as run by run_command: the peak RSS the kernel keeps across exec (ru_maxrss, VmHWM) is
# the forking parent's at first, so the child resets it (Linux clear_refs 5) before anything runs, and writes its
# own VmHWM when the command exits (SystemExit included). Nothing of fakeid is imported before the command.
AS_TYPED = """
import runpy, sys
from pathlib import Path
try:
    Path("/proc/self/clear_refs").write_text("5")
except OSError:
    pass
out, sys.argv = sys.argv[1], sys.argv[2:]
try:
    runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
finally:
    status = Path("/proc/self/status").read_text().splitlines()
    Path(out).write_text(next((line.split()[1] for line in status if line.startswith("VmHWM:")), ""))
"""


def run_command(module: str, args: Sequence[str], cwd: Path) -> dict[str, Any]:
    """`python -m module args...` in `cwd`: wall seconds, CPU seconds of that process and its children
    (`os.wait4`) and its own peak RSS (AS_TYPED); a failure is one line with the command's last line of error."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, tempfile.TemporaryDirectory() as scratch:
        peak_file = Path(scratch) / "peak_kib"
        env = {**os.environ, "TQDM_DISABLE": "1", "MPLBACKEND": "Agg"}
        command = [sys.executable, "-c", AS_TYPED, str(peak_file), module, *args]
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait for it again
        if process.returncode != 0:
            err.seek(0)
            lines = err.read().decode(errors="replace").strip().splitlines() or ["no output"]
            raise FakeidError(f"python -m {module} {' '.join(args)}: exit {process.returncode}: {lines[-1]}")
        peak = peak_file.read_text().strip() if peak_file.is_file() else ""
        peak_kib = int(peak) if peak.isdigit() else usage.ru_maxrss  # off Linux: the kernel's figure
    return {"seconds": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_mib": peak_kib / 1024}


def start_up(stages: Sequence[str], cwd: Path) -> dict[str, dict[str, Any]]:
    """Each command's cost with no data: `python -m fakeid.X --help` (its imports and config, then exit)."""
    return {module: run_command(module, ["--help"], cwd) for module in sorted({command_of(s) for s in stages})}


def above(measured: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    """A command's figures with its start-up beside them, and the part above the start-up (what is fitted)."""
    return {
        **measured,
        "start_up_cpu_s": base["cpu_s"],
        "start_up_peak_mib": base["peak_mib"],
        "above_cpu_s": max(measured["cpu_s"] - base["cpu_s"], 0.0),
        "growth_mib": measured["peak_mib"] - base["peak_mib"],
    }


# --- eval ---------------------------------------------------------------------------------------------------
def write_untrained_checkpoint(path: Path, image_size: int, seed: int = 0) -> Path:
    """A checkpoint as fakeid.train writes it (Lightning's, with the data module's image size), of a randomly
    initialised EVAL_MODEL detector: what `fakeid.eval ckpt=` reads, without a training run."""
    import pytorch_lightning as pl  # deferred: torch and Lightning only for the eval stage's preparation
    import torch

    from fakeid.models.detector import FakeImageDetector

    torch.manual_seed(seed)
    detector = FakeImageDetector(
        name=EVAL_MODEL, drop_rate=0.0, lr=1e-3, hflip=False, compile=False, bn_recalibration_batches=0
    ).eval()
    trainer = pl.Trainer(logger=False, enable_checkpointing=False, enable_progress_bar=False, max_epochs=0)
    trainer.strategy.connect(detector)
    path.parent.mkdir(parents=True, exist_ok=True)
    trainer.save_checkpoint(path)
    payload = torch.load(path, weights_only=True)
    payload["datamodule_hyper_parameters"] = {"image_size": image_size}
    torch.save(payload, path)
    return path


def prepare_eval(work: Path, per_class: int, image_size: int, write_folder: WriteFolder) -> tuple[Path, Path]:
    """The test set (`work/evalset/<generator>/<category>/{0_real,1_fake}`, `per_class` JPEGs each, written by
    `write_folder`: the scale tree's `write_class_folder`) and the checkpoint; not timed."""
    generator, category = EVAL_SET.split("/")
    root = work / "evalset" / generator
    for label, class_dir in enumerate(LABEL_DIRS):
        write_folder(root / category / class_dir, per_class, label, 90_000 + label, image_size)
    return root, write_untrained_checkpoint(work / "untrained.ckpt", image_size)


def eval_args(root: Path, ckpt: Path, per_class: int, out: Path) -> list[str]:
    return [f"ckpt={ckpt}", f"data.root={root}", f"data.test_per_class={per_class}", f"hydra.run.dir={out}"]


def measure_eval(
    work: Path,
    sizes: Sequence[int],
    image_size: int,
    write_folder: WriteFolder,
    base: dict,
    note: Callable[[str], None],
) -> list[dict[str, Any]]:
    """The eval stage at every size (images per class), the smallest first."""
    root, ckpt = prepare_eval(work, max(sizes), image_size, write_folder)
    points = []
    for per_class in sorted(sizes):
        load = load_average()
        out = work / f"eval-{per_class}"
        measured = run_command(command_of("eval"), eval_args(root, ckpt, per_class, out), work)
        scores_bytes = (out / "scores.csv").stat().st_size
        stage = {**above(measured, base[command_of("eval")]), "scores_bytes": scores_bytes, "load_average": load}
        points.append({"per_class": per_class, "files": 2 * per_class, "stages": {"eval": stage}})
        note(f"eval {per_class}/class: {measured['seconds']:.2f} s")
    return points


# --- the record set -----------------------------------------------------------------------------------------
def record_commands(records: Path, stage: str) -> list[list[str]]:
    """The command lines of one stage over the record set (collect: one per sweep, as make fig1/fig2 run it)."""
    categories, dropout = records / "categories", records / "dropout"
    figures = records / "figures"
    if stage == "collect":
        return [[f"sweeps={sweep}", f"out={sweep / 'results.csv'}"] for sweep in (categories, dropout)]
    if stage == "fig1":
        return [["figure=fig1", f"csv={categories / 'results.csv'}", f"out={figures}"]]
    if stage in ("fig2", "fig3"):
        return [[f"figure={stage}", f"csv={dropout / 'results.csv'}", f"out={figures}"]]
    if stage == "compare":
        return [["figure=compare", f"csv={dropout / 'results.csv'}", f"out={figures / 'compare'}"]]
    if stage == "report":  # no images behind the record set: no spectra (fakeid.check's stage, timed apart)
        args = [f"sweeps=[{categories},{dropout}]", f"out={records / 'report'}", "overwrite=true", "spectra=false"]
        shown = [f"figures=[{figures / 'compare'}]"] if (figures / "compare").is_dir() else []  # as make demo's
        return [[*args, *shown]]
    raise FakeidError(f"stages: unknown stage {stage!r}; expected some of {', '.join(RECORD_STAGES)}")


def run_record_stage(records: Path, stage: str, base: dict) -> dict[str, Any]:
    """One stage's commands in turn: seconds summed, the peak the largest."""
    results = [run_command(command_of(stage), args, records) for args in record_commands(records, stage)]
    measured = {
        "seconds": sum(r["seconds"] for r in results),
        "cpu_s": sum(r["cpu_s"] for r in results),
        "peak_mib": max(r["peak_mib"] for r in results),
    }
    start = base[command_of(stage)]
    shared = {**start, "cpu_s": start["cpu_s"] * len(results)}  # each command starts up once
    return {**above(measured, shared), "commands": len(results)}


def measure_records(
    work: Path,
    seeds: Sequence[int],
    stages: Sequence[str],
    per_class: int,
    set_names: tuple[str, ...],
    base: dict,
    note: Callable[[str], None],
    keep: Callable[[list[dict[str, Any]]], None] = lambda points: None,
) -> list[dict[str, Any]]:
    """Generate the record set at each number of seeds (not timed), run the stages over it, remove it; `keep`
    gets the points so far after each size (a long run keeps what it measured)."""
    order = [stage for stage in RECORD_STAGES if stage in stages]  # collect first: the others read its tables
    points = []
    for count in sorted(seeds):
        records = work / f"records-{count}"
        shutil.rmtree(records, ignore_errors=True)
        generated = time.perf_counter()
        written = write_record_set(records, count, per_class, set_names)
        written.pop("sweeps")  # removed with the record set below
        point = {**written, "files": written["runs"], "generate_s": time.perf_counter() - generated, "stages": {}}
        try:
            for stage in order:
                load = load_average()
                point["stages"][stage] = {**run_record_stage(records, stage, base), "load_average": load}
                note(f"{written['runs']} runs {stage}: {point['stages'][stage]['seconds']:.2f} s")
        finally:
            shutil.rmtree(records, ignore_errors=True)
        points.append(point)
        keep(points)
    return points


def load_average() -> list[float] | None:
    try:
        return [float(v) for v in Path("/proc/loadavg").read_text().split()[:3]]
    except OSError:
        return None


def paper_size(stage: str) -> int:
    """The size the stage's fit is extrapolated to: 2 x 2K images (eval), 165 runs (the record stages)."""
    return 2 * PAPER_EVAL_PER_CLASS if stage in EVAL_STAGES else PAPER_RUNS


def check_stages(stages: Sequence[str]) -> None:
    """The record stages read collect's tables: one line when one is asked for without it."""
    readers = [stage for stage in stages if stage in RECORD_STAGES and stage != "collect"]
    if readers and "collect" not in stages:
        raise FakeidError(f"stages: {readers[0]} reads the tables that collect writes; list both")


def measure_commands(
    work: Path,
    stages: Sequence[str],
    eval_sizes: Sequence[int],
    record_seeds: Sequence[int],
    record_per_class: int,
    set_names: tuple[str, ...],
    image_size: int,
    write_folder: WriteFolder,
    note: Callable[[str], None],
    keep: Callable[[dict[str, Any]], None] = lambda so_far: None,
) -> dict[str, Any]:
    """The chosen command stages at their sizes: each command's start-up, and the points measured (`keep` gets
    them after each eval and each record set)."""
    chosen = [stage for stage in stages if stage in EVAL_STAGES + RECORD_STAGES]
    if not chosen:
        return {}
    work.mkdir(parents=True, exist_ok=True)
    base = start_up(chosen, work)
    result: dict[str, Any] = {"start_up": base, "eval_sizes": [], "record_sizes": []}
    try:
        if "eval" in chosen:
            result["eval_sizes"] = measure_eval(work / "eval", eval_sizes, image_size, write_folder, base, note)
            keep(result)
        records = [stage for stage in chosen if stage in RECORD_STAGES]
        if records:
            result["record_sizes"] = measure_records(
                work,
                record_seeds,
                records,
                record_per_class,
                set_names,
                base,
                note,
                lambda points: keep({**result, "record_sizes": points}),
            )
    finally:
        shutil.rmtree(work / "eval", ignore_errors=True)
    return result
