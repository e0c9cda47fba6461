"""How each stage that does not train grows with the data: `python -m fakeid.bench_scale` (`make bench-scale`).

The machine that measures cannot hold the paper's data (11 categories x 25K real + 25K fake training images at
256 px, 2K test images per set), so it writes paper-shaped trees at a few fractions of the paper's per-class
counts, times each stage at every fraction and fits how the stage's time and memory grow:
log(seconds) and log(memory) against log(files) by least squares, extrapolated to the paper's file count.
A time exponent near 1 is linear; above about 1.15 over this range is worse than n log n and is a bug to fix.

- **Generation** (not timed): the extracted CNNDetection trees (`progan_train/<category>/{0_real,1_fake}`,
  `CNN_synth_testset/progan/<category>/...` and flat and per-category sets of other generators), 256 px JPEG
  (reals at quality 75, fakes at 95, as the real data's formats differ). Every image is a distinct 256 px crop
  of one smooth textured field per class folder (`fakeid.synth.quick`), so hashes never collide by accident
  and JPEG sizes are photograph-like.
- **Stages** (each in a process of its own, so that its peak RSS, `ru_maxrss`, is its own): `prepare
  source=cnndetection`; `check` reading headers only, decoding, and decoding with the spectra; the training
  run's data plan (n=10, the quotas scaled) and the root's fingerprint; the decoded cache of one category (two
  class folders: the cache of the whole set would not fit this disk; its cost is per image); the training
  loader from JPEG and from that cache at 256 px, on one core and on every core.
- **Memory** is reported as the peak RSS during the stage (the peak is reset once the stage's modules are
  imported: torch's import alone peaks above most stages) and as its growth over the RSS the stage started
  with: the growth is what the stage holds for the data, and what is fitted.
- **Calls** (`calls=true`): each stage's Python and builtin calls in its process, counted by a profile hook
  (`counted_calls`), fitted like the seconds. A count does not move with the machine's load, so two small
  points tell a loop over the files inside a loop over the files (exponent near 2) from a linear stage (near 1)
  where seconds could not: `make test` runs it as the guard against a stage's growth regressing. Work done in
  C (a decode, a sort) is one call whatever it costs; work in worker processes is not counted; the loaders,
  which run for a fixed time, are not counted.

The stages after training (one eval over a growing test set; collect, the figures, the comparison and the
report over a generated record set of growing runs) are `fakeid.benchmark.scale_commands`'; their points are
fitted here with the rest, each against its own size (images, runs) and extrapolated to the paper's.
"""

from __future__ import annotations

import json
import math
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from fakeid.benchmark import scale_commands
from fakeid.benchmark.scale_commands import load_average
from fakeid.core.configs import SCALE_STAGES, SCALE_TREE_STAGES
from fakeid.core.errors import FakeidError
from fakeid.data.layout import HOLDOUT, LABEL_DIRS, PAPER_MIXING_ORDER, TRAIN_GENERATOR, UNSEEN_GENERATOR

PAPER_TRAIN_PER_CLASS = 25_000  # per category and class: 11 categories x (25K real + 25K fake)
PAPER_TEST_PER_CLASS = 2_000  # per test set and class
PAPER_VAL_PER_CLASS = 2_000  # conf/data/paper.yaml val_per_class
CATEGORIES = (*PAPER_MIXING_ORDER, HOLDOUT)  # the paper's 11
# 15 test sets, both test layouts: progan/<11 categories>, stylegan2/{horse,ffhq}, and two flat generators
TEST_SETS = (
    *(f"{TRAIN_GENERATOR}/{category}" for category in CATEGORIES),
    f"{UNSEEN_GENERATOR}/horse",
    f"{UNSEEN_GENERATOR}/ffhq",
    "biggan",
    "cyclegan",
)
IMAGE_SIZE = 256
FIELD = 2 * IMAGE_SIZE  # each class folder's field: (FIELD - IMAGE_SIZE + 1)^2 distinct crops
JPEG_QUALITY = {0: 75, 1: 95}  # by label
STAGES = SCALE_STAGES  # the schema's list (fakeid.core.configs), the default of `stages`
TREE_STAGES = SCALE_TREE_STAGES  # those timed on the generated tree; the others are fakeid.benchmark.scale_commands'
# those whose calls `calls=true` counts: a loader runs for a fixed time, so its count measures the clock
COUNTED_STAGES = tuple(stage for stage in TREE_STAGES if not stage.startswith("loader_"))
CHECK_SPECTRA_PER_CLASS = 200  # check.yaml spectra_per_class
LOADER_SECONDS = 3.0  # timed seconds per loader rate, after one untimed epoch


# --- generation (not timed) ----------------------------------------------------------------------------
def counts_at(fraction: float) -> tuple[int, int]:
    """(train images per category and class, test images per set and class) at a fraction of the paper's."""
    if not 0 < fraction <= 1:
        raise FakeidError(f"sizes: {fraction} is not a fraction in (0, 1] of the paper's per-class counts")
    return max(8, round(PAPER_TRAIN_PER_CLASS * fraction)), max(4, round(PAPER_TEST_PER_CLASS * fraction))


def paper_files() -> int:
    """Files of the paper's whole tree (train + test), the size the fits are extrapolated to."""
    return 2 * (len(CATEGORIES) * PAPER_TRAIN_PER_CLASS + len(TEST_SETS) * PAPER_TEST_PER_CLASS)


def write_class_folder(folder: Path, count: int, label: int, seed: int, size: int = IMAGE_SIZE) -> None:
    """`count` distinct size x size JPEGs, each a crop of one field (one texture per folder keeps it cheap)."""
    from fakeid.synth.quick import quick_pixels  # fakeid.synth imports torch: not in a stage's process

    folder.mkdir(parents=True, exist_ok=True)
    field = quick_pixels(np.random.default_rng(seed), 2 * size, bool(label))
    span = size + 1
    if count > span * span:
        raise FakeidError(f"{folder}: {count} images is more than the {span * span} distinct crops of its field")
    for index in range(count):
        top, left = divmod(index * 7919 % (span * span), span)  # a stride coprime with span^2: all distinct
        crop = field[top : top + size, left : left + size]
        Image.fromarray(crop).save(folder / f"{index:05d}.jpg", quality=JPEG_QUALITY[label])


def generate_tree(src: Path, fraction: float, seed: int = 0, size: int = IMAGE_SIZE) -> dict[str, int]:
    """The extracted CNNDetection trees under `src` at `fraction` of the paper's counts; the counts written."""
    train, test = counts_at(fraction)
    folders = [(src / "progan_train" / category, train) for category in CATEGORIES]
    folders += [(src / "CNN_synth_testset" / name, test) for name in TEST_SETS]
    for number, (folder, count) in enumerate(folders):
        for label, class_dir in enumerate(LABEL_DIRS):
            write_class_folder(folder / class_dir, count, label, seed * 10_000 + 2 * number + label, size)
    return {"train_per_class": train, "test_per_class": test, "files": 2 * sum(c for _, c in folders)}


# --- stages (each returns the work to time, after its imports) --------------------------------------------
def usable_cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def first_category_selection(root: Path):
    """The training selection of the first category's two class folders (every file)."""
    from fakeid.data.layout import category_sets
    from fakeid.data.selection import Selection

    image_set = category_sets(root, "train", [PAPER_MIXING_ORDER[0]], TRAIN_GENERATOR)[PAPER_MIXING_ORDER[0]]
    selection = Selection("train")
    for folder in (image_set.real, image_set.fake):
        selection.paths += list(folder.images)
        selection.labels += [folder.label] * len(folder.images)
    return selection


def loader_rates(root: Path, cache_dir: Path | None, size: int, seconds: float) -> Callable[[], dict]:
    from fakeid.benchmark.loader import loader_images_per_s
    from fakeid.core.threads import one_torch_thread
    from fakeid.data.datamodule import CategoryMixDataModule

    def rates() -> dict:
        selection = first_category_selection(root)
        result: dict[str, Any] = {"images": len(selection.paths)}
        for name, workers in (("one_core", 0), ("all_cores", usable_cpus())):
            module = CategoryMixDataModule(
                str(root),
                image_size=size,
                batch_size=32,
                num_workers=workers,
                cache=cache_dir is not None,
                cache_dir=str(cache_dir) if cache_dir else None,
            )
            loader = module.loader(selection, train=True)
            with one_torch_thread():
                result[f"{name}_images_per_s"] = loader_images_per_s(loader, seconds)
            result[f"{name}_workers"] = workers
            del loader
        # the time the fits use: one epoch over these files on one core (the rates themselves should be flat)
        result["epoch_one_core_s"] = result["images"] / result["one_core_images_per_s"]
        return result

    return rates


def stage_work(
    name: str, src: Path, root: Path, work: Path, fraction: float, size: int, loader_seconds: float = LOADER_SECONDS
) -> Callable[[], dict]:
    """The stage's imports happen here; the callable returned is what is timed."""
    train, test = counts_at(fraction)
    if name == "prepare":  # what `python -m fakeid.prepare source=cnndetection` runs, without Hydra
        from fakeid.ingest.cnndetection import prepare_cnndetection

        return lambda: {"report_lines": len(prepare_cnndetection(src, root).splitlines())}
    if name in ("check_headers", "check", "check_spectra"):  # what `python -m fakeid.check` runs
        from fakeid.audit import spectra
        from fakeid.audit.report import audit

        def check() -> dict:
            found = audit(
                root,
                categories=PAPER_MIXING_ORDER,
                holdout=(HOLDOUT,),
                train_generator=TRAIN_GENERATOR,
                decode=name != "check_headers",
                workers=1,  # check.yaml's default
            )
            if name == "check_spectra":
                spectra.data_spectra(root, CHECK_SPECTRA_PER_CLASS)
            return {"exit_code": found.exit_code}

        return check
    if name == "plan":
        from fakeid.data.datamodule import CategoryMixDataModule

        module = CategoryMixDataModule(
            str(root),
            train_per_class=train,
            val_per_class=max(2, round(PAPER_VAL_PER_CLASS * fraction)),
            test_per_class=test,
            image_size=size,
            num_workers=usable_cpus(),
        )

        def plan() -> dict:
            data_plan = module.plan()
            return {"train_files": len(data_plan.train.paths), "test_files": sum(len(t.paths) for t in data_plan.tests)}

        return plan
    if name == "fingerprint":
        from fakeid.data.fingerprint import root_identity

        return lambda: {"fingerprint": root_identity(root)["fingerprint"]}
    if name == "cache_build":
        from fakeid.data.cache import ensure_folder_cache

        def build() -> dict:
            selection = first_category_selection(root)
            folders = sorted({path.parent for path in selection.paths})
            for folder in folders:
                ensure_folder_cache(folder, size, work / "cache", usable_cpus())
            cache_bytes = sum(file.stat().st_size for file in (work / "cache").glob("*.npy"))
            return {"images": len(selection.paths), "cache_bytes": cache_bytes}

        return build
    if name == "loader_jpeg":
        return loader_rates(root, None, size, loader_seconds)
    if name == "loader_cache":
        return loader_rates(root, work / "cache", size, loader_seconds)
    raise FakeidError(f"stages: unknown stage {name!r}; expected some of {', '.join(TREE_STAGES)}")


def rss_kib() -> int:
    """This process's peak RSS so far, KiB (Linux's ru_maxrss unit)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def memory_status(field: str) -> int | None:
    """`VmRSS` or `VmHWM` of /proc/self/status, KiB (None off Linux)."""
    try:
        lines = Path("/proc/self/status").read_text().splitlines()
    except OSError:
        return None
    found = [line.split()[1] for line in lines if line.startswith(f"{field}:")]
    return int(found[0]) if found else None


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and of its reaped children (pool and loader workers): on a
    shared machine far steadier than wall seconds, which count the time other processes held the cores."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def reset_peak() -> bool:
    """Set the process's peak RSS (VmHWM) back to its current RSS (Linux's clear_refs 5), so that the peak after a
    stage is the stage's own, not its imports' (torch's import alone peaks above what most stages hold)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def counted_calls(task: Callable[[], dict]) -> tuple[dict, int]:
    """Run `task`, counting the Python and builtin calls it makes in this process (threads it starts included).
    A profile hook slows the task several times over: a counted stage's seconds are not its time."""
    calls = 0

    def profile(frame, event: str, arg) -> None:  # sys.setprofile's signature
        nonlocal calls
        if event in ("call", "c_call"):
            calls += 1

    before = sys.getprofile(), threading.getprofile()  # a profiler already running gets its hooks back
    threading.setprofile(profile)
    sys.setprofile(profile)
    try:
        extra = task()
    finally:
        sys.setprofile(before[0])
        threading.setprofile(before[1])
    return extra, calls


def run_stage(
    name: str,
    src: Path,
    root: Path,
    work: Path,
    fraction: float,
    size: int,
    loader_seconds: float = LOADER_SECONDS,
    calls: bool = False,
) -> dict[str, Any]:
    """Import, then time one stage in this process: seconds, peak RSS and its growth over the RSS it started
    with (loader worker processes and the cache build's workers are not counted: each is a process apart);
    with `calls`, a stage of COUNTED_STAGES also counts its calls (and is slowed by the counting)."""
    work.mkdir(parents=True, exist_ok=True)
    task = stage_work(name, src, root, work, fraction, size, loader_seconds)
    counted = calls and name in COUNTED_STAGES
    exact = reset_peak() and memory_status("VmHWM") is not None
    before = (memory_status("VmRSS") if exact else None) or rss_kib()  # exact: /proc answers (checked above)
    started, cpu_started = time.perf_counter(), cpu_seconds()
    extra, count = counted_calls(task) if counted else (task(), None)
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu_started
    peak = (memory_status("VmHWM") if exact else None) or rss_kib()
    result = {"seconds": seconds, "cpu_s": cpu, "peak_mib": peak / 1024, "growth_mib": (peak - before) / 1024}
    return result | ({"calls": count} if count is not None else {}) | extra


def child_main() -> None:
    """A stage in a process of its own (`run_isolated`): arguments as JSON in argv[1], the result as the last line."""
    args = json.loads(sys.argv[1])
    result = run_stage(
        args["name"],
        Path(args["src"]),
        Path(args["root"]),
        Path(args["work"]),
        args["fraction"],
        args["size"],
        args["loader_seconds"],
        args["calls"],
    )
    print(json.dumps(result))


def run_isolated(
    name: str,
    src: Path,
    root: Path,
    work: Path,
    fraction: float,
    size: int,
    loader_seconds: float = LOADER_SECONDS,
    calls: bool = False,
) -> dict[str, Any]:
    """`run_stage` in a fresh interpreter, so that its peak RSS is its own; also its start-up and import time."""
    args = {"name": name, "src": str(src), "root": str(root), "work": str(work), "fraction": fraction, "size": size}
    args |= {"loader_seconds": loader_seconds, "calls": calls}
    command = [sys.executable, "-c", "from fakeid.benchmark.scale import child_main; child_main()", json.dumps(args)]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "TQDM_DISABLE": "1"})
    wall = time.perf_counter() - started
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise FakeidError(f"stage {name} at size {fraction}: exit {done.returncode}: {tail}")
    return {**json.loads(lines[-1]), "process_wall_s": wall}


# --- fits -----------------------------------------------------------------------------------------------
def fit_power(sizes: Sequence[float], values: Sequence[float]) -> dict[str, float] | None:
    """Least squares of log(value) on log(size): value ~ scale * size^exponent (None under 2 positive points)."""
    points = [(math.log(s), math.log(v)) for s, v in zip(sizes, values, strict=True) if s > 0 and v > 0]
    if len({x for x, _ in points}) < 2:
        return None
    x, y = np.array(points).T
    exponent, intercept = np.polyfit(x, y, 1)
    return {"exponent": float(exponent), "log_scale": float(intercept)}


def extrapolate(fit: dict[str, float] | None, size: float) -> float | None:
    return None if fit is None else math.exp(fit["log_scale"] + fit["exponent"] * math.log(size))


MEMORY_FLOOR_MIB = 8.0  # a growth under this at every size is noise of the allocator, not data held


def paper_size(stage: str) -> int:
    """What a stage's fit is extrapolated to: the paper's files (the tree's stages), its 2K + 2K images of one
    test set (eval), its 165 runs (collect, the figures, the report)."""
    return paper_files() if stage in TREE_STAGES else scale_commands.paper_size(stage)


UNITS = {"eval": "images"} | {stage: "runs" for stage in scale_commands.RECORD_STAGES}  # else files


def fits(measured: Sequence[dict[str, Any]], stages: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Per stage: the time and memory exponents over the measured sizes and their values at the paper's size
    (`files` of a point is its size: files of the tree, images of the eval's set, runs of the record set)."""
    result = {}
    for stage in stages:
        target = paper_size(stage)
        rows = [(point["files"], point["stages"][stage]) for point in measured if stage in point["stages"]]
        if not rows:
            continue
        files = [n for n, _ in rows]
        # what is fitted: a loader's epoch on one core (not its fixed timer), else a command's CPU seconds above
        # its start-up, else the CPU seconds (steadier than wall seconds on a shared machine), else the wall
        # seconds (a result written before cpu_s was)
        seconds = [r.get("epoch_one_core_s", r.get("above_cpu_s", r.get("cpu_s", r["seconds"]))) for _, r in rows]
        time_fit = fit_power(files, seconds)
        growth = [max(r["growth_mib"], 0.0) for _, r in rows]
        memory_fit = fit_power(files, growth) if max(growth, default=0) >= MEMORY_FLOOR_MIB else None
        counts = [r["calls"] for _, r in rows if "calls" in r]
        calls_fit = fit_power(files, counts) if len(counts) == len(rows) else None
        result[stage] = {
            "unit": UNITS.get(stage, "files"),
            "files": files,
            "seconds": seconds,
            "wall_s": [r["seconds"] for _, r in rows],
            "peak_mib": [r["peak_mib"] for _, r in rows],
            "growth_mib": growth,
            "time_exponent": None if time_fit is None else time_fit["exponent"],
            "memory_exponent": None if memory_fit is None else memory_fit["exponent"],
            **({"calls": counts, "calls_exponent": calls_fit["exponent"]} if calls_fit else {}),
            "paper_files": target,
            "paper_seconds": extrapolate(time_fit, target),
            "paper_growth_mib": extrapolate(memory_fit, target) if memory_fit else max(growth, default=0.0),
        }
    return result


# --- the whole benchmark ----------------------------------------------------------------------------------
def measure_size(
    work: Path,
    fraction: float,
    stages: Sequence[str],
    isolate: bool,
    size: int,
    loader_seconds: float = LOADER_SECONDS,
    calls: bool = False,
) -> dict[str, Any]:
    """Generate the tree at `fraction`, run every stage on it, remove it."""
    base = work / f"size-{fraction:g}"
    if base.exists():
        shutil.rmtree(base)
    src, root, scratch = base / "src", base / "root", base / "work"
    generated = time.perf_counter()
    counts = generate_tree(src, fraction, 0, size)
    point: dict[str, Any] = {"fraction": fraction, **counts, "generate_s": time.perf_counter() - generated}
    point["stages"] = {}
    runner = run_isolated if isolate else run_stage
    try:
        for stage in stages:
            load = load_average()
            point["stages"][stage] = {
                **runner(stage, src, root, scratch, fraction, size, loader_seconds, calls),
                "load_average": load,
            }
            print(f"fakeid.bench_scale: {fraction:g} {stage}: {point['stages'][stage]['seconds']:.2f} s", flush=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return point


def bench_scale(
    work: Path,
    fractions: Sequence[float],
    stages: Sequence[str] = STAGES,
    isolate: bool = True,
    size: int = IMAGE_SIZE,
    reference: dict | None = None,
    loader_seconds: float = LOADER_SECONDS,
    progress: Callable[[dict[str, Any]], None] | None = None,
    eval_sizes: Sequence[int] = (250, 500, 1000, 2000),
    record_seeds: Sequence[int] = (1, 2, 4),
    record_per_class: int = scale_commands.PAPER_EVAL_PER_CLASS,
    calls: bool = False,
) -> dict[str, Any]:
    """Every stage on the tree at every fraction (the smallest first), then the eval at every size of its set and
    the record stages at every size of the record set; the fits, and the machine's state. With `calls`, each
    stage of COUNTED_STAGES also counts its calls (its seconds are then the counted run's, slowed)."""
    unknown = [stage for stage in stages if stage not in STAGES]
    if unknown:
        raise FakeidError(f"stages: unknown stage {unknown[0]!r}; expected some of {', '.join(STAGES)}")
    if "loader_cache" in stages and "cache_build" not in stages:
        raise FakeidError("stages: loader_cache reads the cache that cache_build writes; list both")
    scale_commands.check_stages(stages)
    for fraction in fractions:
        counts_at(fraction)  # a bad size is one line before anything is written
    tree = [stage for stage in stages if stage in TREE_STAGES]
    result: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "cpus": usable_cpus(),
        "image_size": size,
        "isolated": isolate,
        "loader_seconds": loader_seconds,
        "calls": calls,
        "reference": reference,
        "sizes": [],
    }
    for fraction in sorted(fractions) if tree else []:
        result["sizes"].append(measure_size(Path(work), fraction, tree, isolate, size, loader_seconds, calls))
        result["fits"] = fits(result["sizes"], tree)
        if progress is not None:
            progress(result)  # a long run keeps what it measured so far

    def keep(so_far: dict[str, Any]) -> None:
        result.update(so_far)
        measured = result["sizes"] + result.get("eval_sizes", []) + result.get("record_sizes", [])
        result["fits"] = fits(measured, stages)
        if progress is not None:
            progress(result)

    keep(
        scale_commands.measure_commands(
            Path(work) / "commands",
            stages,
            eval_sizes,
            record_seeds,
            record_per_class,
            TEST_SETS,
            size,
            write_class_folder,
            lambda line: print(f"fakeid.bench_scale: {line}", flush=True),
            keep,
        )
    )
    return result


def reference_images(seconds: float, reference: dict | None) -> float | None:
    """`seconds` in the reference unit of `fakeid.bench` (images of its one-thread loop measured in the same
    session): CPU seconds of one core are one-thread reference seconds."""
    return None if reference is None else seconds * float(reference["one_thread_images_per_s"])


def fit_texts(fit: dict[str, Any], reference: dict | None = None) -> tuple[str, str, str]:
    """A stage's time exponent, memory exponent and time at the paper's size (and in reference images), as
    written."""
    time_exponent = "n/a" if fit["time_exponent"] is None else f"{fit['time_exponent']:.2f}"
    memory_exponent = "flat" if fit["memory_exponent"] is None else f"{fit['memory_exponent']:.2f}"
    paper = "n/a" if fit["paper_seconds"] is None else f"{fit['paper_seconds']:,.0f} s"
    in_reference = None if fit["paper_seconds"] is None else reference_images(fit["paper_seconds"], reference)
    if in_reference is not None:
        paper += f" ({in_reference:,.0f} ref. images)"
    return time_exponent, memory_exponent, paper


def summary_lines(result: dict[str, Any]) -> list[str]:
    lines = []
    for stage, fit in result["fits"].items():
        time_exponent, memory_exponent, paper = fit_texts(fit, result.get("reference"))
        counted = f", calls {fit['calls_exponent']:.2f}" if "calls_exponent" in fit else ""
        lines.append(
            f"fakeid.bench_scale: {stage:<14} time exponent {time_exponent}, memory {memory_exponent}{counted}; at "
            f"the paper's {fit['paper_files']:,} {fit.get('unit', 'files')}: {paper}, "
            f"{fit['paper_growth_mib']:,.0f} MiB held"
        )
    return lines


def markdown_table(result: dict[str, Any]) -> str:
    """The fits as the table of BENCHMARKS.md ("Paper scale"): one row per stage."""
    rows = [
        "| stage | sizes measured (files; eval: images; records: runs) | seconds fitted (CPU; a loader's one-core "
        "epoch; a command's CPU above its start-up) | wall seconds | growth of RSS (MiB) | time exponent "
        "| memory exponent | at the paper's size |",
        "|---|---|---|---|---|---:|---:|---|",
    ]
    for stage, fit in result["fits"].items():
        time_exponent, memory_exponent, paper = fit_texts(fit, result.get("reference"))
        rows.append(
            f"| {stage} | {', '.join(f'{n:,}' for n in fit['files'])} | "
            f"{', '.join(f'{s:.2f}' for s in fit['seconds'])} | {', '.join(f'{s:.2f}' for s in fit['wall_s'])} | "
            f"{', '.join(f'{g:.0f}' for g in fit['growth_mib'])} | "
            f"{time_exponent} | {memory_exponent} | {paper}, {fit['paper_growth_mib']:,.0f} MiB |"
        )
    return "\n".join(rows)
