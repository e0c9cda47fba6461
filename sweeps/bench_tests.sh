#!/usr/bin/env bash
# `make test` and `make test-fast` timed in the reference unit of fakeid.bench (BENCHMARKS.md): the reference
# loop is measured before and after the two, and each suite's wall time is given in seconds and in reference
# images: wall seconds x the parallel reference rate (cores x the one-thread rate, as `make test` runs one
# one-thread pytest worker per core), the images the reference loop trains on this machine in that time, a
# count that a faster or slower machine leaves the same for the same work. Not the all-threads rate: on a
# shared 2-core machine under load it collapses ten-fold while the one-thread rate holds (BENCHMARKS.md).
#   sweeps/bench_tests.sh          (or: make bench-tests)
# Environment: PY (default .venv/bin/python), OUT (default outputs/tests_timing.json); the suites' output goes
# to OUT's folder as tests_timing_test.log and tests_timing_test-fast.log. Exits non-zero if a suite failed.
set -uo pipefail
PY=${PY:-.venv/bin/python}
out=${OUT:-outputs/tests_timing.json}
dir=$(dirname "$out")
mkdir -p "$dir"
now() { "$PY" -c "import time; print(time.time())"; }

"$PY" -m fakeid.bench parts=[reference] out="$dir/tests_reference_before.json" > /dev/null || exit 1
times=()
for target in test test-fast; do
  echo "== make $target (log: $dir/tests_timing_$target.log)" >&2
  started=$(now)
  ${MAKE:-make} --no-print-directory "$target" > "$dir/tests_timing_$target.log" 2>&1
  code=$?
  times+=("$target" "$started" "$(now)" "$code")
done
"$PY" -m fakeid.bench parts=[reference] out="$dir/tests_reference_after.json" > /dev/null || exit 1

"$PY" - "$out" "$dir/tests_reference_before.json" "$dir/tests_reference_after.json" "${times[@]}" <<'PY'
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

from fakeid.core.atomic import write_json_atomically

out, before, after, *rest = sys.argv[1:]
references = {name: json.loads(Path(path).read_text()) for name, path in (("before", before), ("after", after))}
before_reference = references["before"]["reference"]
rate = before_reference["threads"]["all_threads"] * before_reference["one_thread_images_per_s"]
result = {
    "reference": {
        name: {key: bench["reference"][key] for key in ("one_thread_images_per_s", "all_threads_images_per_s", "threads")}
        for name, bench in references.items()
    },
    "parallel_reference_images_per_s": rate,
    "reference_images_basis": "wall_s x cores x reference.before.one_thread_images_per_s",
    "machine": references["before"]["machine"],
    "load_average_start": references["before"]["load_average_start"],
    "load_average_end": references["after"]["load_average_end"],
}
failed = False
for index in range(0, len(rest), 4):
    target, started, ended, code = rest[index : index + 4]
    wall = float(ended) - float(started)
    result[f"make {target}"] = {
        "started": datetime.fromtimestamp(float(started), timezone.utc).isoformat(timespec="seconds"),
        "wall_s": round(wall, 1),
        "reference_images": round(wall * rate),
        "exit_status": int(code),
    }
    failed |= int(code) != 0
    print(f"make {target}: {wall:.0f} s = {wall * rate:.0f} reference images (exit {code})")
write_json_atomically(Path(out), result)
print(f"wrote {out}")
sys.exit(1 if failed else 0)
PY
