#!/usr/bin/env bash
# Shared by the per-figure recipes: run an experiment's sweep (finished jobs are skipped), collect its
# results into one CSV, and draw one figure. Grid values live only in conf/experiment/<experiment>.yaml.
#   sweeps/run_figure.sh FIGURE EXPERIMENT [--plot-only | --sweep-only] [hydra overrides...]
# --sweep-only: run the sweep and leave collect and plot to the caller; a sweep with failed jobs still collects
# and plots here, so that its failures are listed before it fails.
# Several figures' sweeps in one process, the second's jobs in the worker processes the first started (with
# launcher=parallel), then each figure from its runs:
#   python -m fakeid.train '+experiment=categories,dropout' launcher=parallel data.root=ROOT; sweeps/fig1.sh --plot-only; sweeps/fig2.sh --plot-only
# Environment: PY (the interpreter, default .venv/bin/python), LAUNCHER (local|submitit_local|slurm),
# FAKEID_OUTPUTS (where runs land, as in conf/paths/default.yaml; default outputs).
set -euo pipefail
figure=$1 experiment=$2
shift 2
PY=${PY:-.venv/bin/python}
outputs=${FAKEID_OUTPUTS:-outputs}
sweep=$outputs/sweeps/$experiment
mode=all
if [[ ${1:-} == --plot-only || ${1:-} == --sweep-only ]]; then
  mode=${1#--}
  shift
fi
if [[ $mode != plot-only ]]; then
  # a sweep with failed jobs exits 1 after listing them; still collect and plot what finished, then fail
  "$PY" -m fakeid.train +experiment="$experiment" launcher="${LAUNCHER:-local}" "$@" || status=$?
fi
if [[ $mode == sweep-only && ${status:-0} == 0 ]]; then
  exit 0
fi
"$PY" -m fakeid.collect sweeps="$sweep" out="$sweep/results.csv"
"$PY" -m fakeid.figures figure="$figure" csv="$sweep/results.csv" out="$outputs/figures"
exit "${status:-0}"
