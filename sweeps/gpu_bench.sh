#!/usr/bin/env bash
# The GPU figures of BENCHMARKS.md ("One GPU"), in one go on a machine with one CUDA device (about 10 min on
# an H100): fakeid.bench at 256 px in bf16 with channels_last, eager and with torch.compile, then a short real
# `trainer=gpu` run on synthetic 256 px data while nvidia-smi samples utilisation and memory. Prints one
# summary (img/s, GPU busy fraction, peak memory) and leaves every JSON and log in OUT_DIR.
#   sweeps/gpu_bench.sh            (or: make bench-gpu)
# Environment: PY (default .venv/bin/python), OUT_DIR (default outputs/bench-gpu), EPOCHS (default 3).
set -euo pipefail
PY=${PY:-.venv/bin/python}
out=${OUT_DIR:-outputs/bench-gpu}
epochs=${EPOCHS:-3}
mkdir -p "$out"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$out/gpu.csv"
uptime | tee "$out/load.txt"

echo "== 1/3 fakeid.bench, 256 px, bf16-mixed, channels_last, eager" >&2
"$PY" -m fakeid.bench device=cuda size=256 precision=bf16-mixed channels_last=true \
  out="$out/bench_eager.json" > /dev/null 2> "$out/bench_eager.log"
echo "== 2/3 the same with torch.compile (model.compile=true)" >&2
"$PY" -m fakeid.bench device=cuda size=256 precision=bf16-mixed channels_last=true compile=true \
  parts=[train,eval] out="$out/bench_compile.json" > /dev/null 2> "$out/bench_compile.log"

echo "== 3/3 a real trainer=gpu run on synthetic 256 px data ($epochs epochs)" >&2
# rendered at 64 px (rendering 256 px images on the CPU would take longer than the run) and enlarged to 256 px
# by the loader, decoded once into the cache: the GPU sees 256 px batches either way
data=$out/data64
[[ -f $data/dataset.json ]] || "$PY" -m fakeid.synth out="$data" preset=tiny image_size=64 \
  train_per_class=300 test_per_class=16 seed=0 overwrite=true progress=false
nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader,nounits -lms 200 > "$out/smi.csv" &
smi=$!
trap 'kill $smi 2>/dev/null || true' EXIT
started=$(date +%s.%N)
"$PY" -m fakeid.train data=demo data.root="$data" data.image_size=256 data.train_per_class=2560 \
  data.val_per_class=256 data.test_per_class=16 data.batch_size=64 data.eval_batch_size=256 data.num_workers=8 \
  data.cache=true trainer=gpu trainer.max_epochs="$epochs" logger=none \
  paths.outputs="$out/train_outputs" hydra.run.dir="$out/train_run" > "$out/train.log" 2>&1
ended=$(date +%s.%N)
kill $smi 2>/dev/null || true

"$PY" - "$out" "$started" "$ended" "$epochs" <<'PY'
"""Summary of the three measurements (what BENCHMARKS.md records)."""
import json
import sys
from pathlib import Path

from fakeid.runs.record import read_record

out, started, ended, epochs = Path(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
print("card:", (out / "gpu.csv").read_text().splitlines()[-1])
for name in ("bench_eager", "bench_compile"):
    result = json.loads((out / f"{name}.json").read_text())
    train = result["train"]
    print(f"{name}: train {train['lightning']['images_per_s']:.0f} img/s"
          f" (interleaved: Lightning {train['interleaved']['lightning']['images_per_s']:.0f},"
          f" plain loop {train['interleaved']['plain']['images_per_s']:.0f}),"
          f" GPU busy {train['lightning']['gpu_busy_fraction']:.3f}, Lightning overhead"
          f" {train['lightning_overhead_pct']:+.1f}% [{train['lightning_overhead_pct_min']:+.1f}, "
          f"{train['lightning_overhead_pct_max']:+.1f}], eval {result['eval']['images_per_s']:.0f} img/s,"
          f" peak GPU {train['peak_gpu_mib']:.0f} MiB")
record = read_record(out / "train_run", strict=True)
train_images = record.data["train"]["n_real"] + record.data["train"]["n_fake"]
samples = [line.split(",") for line in (out / "smi.csv").read_text().splitlines() if line.count(",") == 1]
busy = [float(u) for u, _ in samples]
print(f"trainer=gpu run: status {record.status}, {train_images} training images x {epochs} epochs in"
      f" {ended - started:.0f} s end to end ({train_images * epochs / (ended - started):.0f} img/s incl. start-up,"
      f" validation and testing); nvidia-smi utilisation mean {sum(busy) / max(1, len(busy)) / 100:.2f} over"
      f" {len(busy)} samples, peak memory used {max((float(m) for _, m in samples), default=0):.0f} MiB")
PY
