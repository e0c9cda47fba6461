#!/usr/bin/env bash
# Shared by the per-figure recipes: run an experiment's sweep (finished jobs are skipped), collect its
# results into one CSV, and draw one figure. Grid values live only in conf/experiment/<experiment>.yaml.
#   sweeps/run_figure.sh FIGURE EXPERIMENT [--plot-only] [hydra overrides...]
# Environment: PY (the interpreter, default .venv/bin/python), LAUNCHER (local|submitit_local|slurm),
# FAKEID_OUTPUTS (where runs land, as in conf/paths/default.yaml; default outputs).
set -euo pipefail
figure=$1 experiment=$2
shift 2
PY=${PY:-.venv/bin/python}
outputs=${FAKEID_OUTPUTS:-outputs}
sweep=$outputs/sweeps/$experiment
if [[ ${1:-} == --plot-only ]]; then
  shift
else
  # a sweep with failed jobs exits 1 after listing them; still collect and plot what finished, then fail
  "$PY" -m fakeid.train +experiment="$experiment" launcher="${LAUNCHER:-local}" "$@" || status=$?
fi
"$PY" -m fakeid.collect sweeps="$sweep" out="$sweep/results.csv"
"$PY" -m fakeid.figures figure="$figure" csv="$sweep/results.csv" out="$outputs/figures"
exit "${status:-0}"
