#!/usr/bin/env bash
# Re-evaluate every ok run of a finished training sweep over an eval experiment's perturbation levels
# (conf/experiment/$EXPERIMENT.yaml; finished evaluations are skipped), collect the evaluations and draw
# Fig R and the format-bias table.
#   EXPERIMENT=robustness sweeps/robustness.sh SWEEP_DIR [hydra overrides for fakeid.eval...]
# Environment: PY (default .venv/bin/python), FAKEID_OUTPUTS (default outputs).
set -euo pipefail
sweep=$1
shift
PY=${PY:-.venv/bin/python}
outputs=${FAKEID_OUTPUTS:-outputs}
experiment=${EXPERIMENT:-robustness}
evals=$outputs/evals/$experiment/$(basename "$sweep")
"$PY" -m fakeid.eval +experiment="$experiment" sweep="$sweep" "$@"
"$PY" -m fakeid.collect sweeps="[$evals]" out="$evals/results.csv"
"$PY" -m fakeid.figures figure=all csv="[$evals/results.csv]" out="$outputs/figures/$experiment"
