#!/usr/bin/env bash
# Published detectors beside a fakeid sweep (docs/published.md): every checkpoint recognised in WEIGHTS becomes a
# run folder (python -m fakeid.published weights=DIR), then those runs and the sweep's are evaluated on DATA's test
# sets, clean and under the JPEG/blur grid (conf/experiment/baselines.yaml; finished evaluations are skipped),
# collected into one results.csv, drawn (Fig R: each run's metrics by perturbation) and reported (the report's
# section "Published detectors": each detector's mean accuracy and AP per level, and the detectors' paired
# comparisons at each level, also written as report/published/<level>/vs-<detector>/compare.csv and .md).
# The comparisons pair runs on the same test images: when SWEEP's runs tested on a sample, pass the same
# data.test_per_class=N to both evaluations (the overrides below).
#   sweeps/baselines.sh DATA WEIGHTS [SWEEP] [hydra overrides for fakeid.eval...]
# Environment: PY (default .venv/bin/python), FAKEID_OUTPUTS (default outputs), CLIP (UniversalFakeDetect's
# CLIP tower file, when it is not in WEIGHTS).
set -euo pipefail
data=$1
weights=$2
sweep=${3:-}
shift 2
[ $# -gt 0 ] && shift
PY=${PY:-.venv/bin/python}
outputs=${FAKEID_OUTPUTS:-outputs}
runs=$outputs/baselines/published
"$PY" -m fakeid.published weights="$weights" out="$runs" overwrite=true ${CLIP:+clip_weights="$CLIP"}
"$PY" -m fakeid.eval +experiment=baselines sweep="$runs" data.root="$data" "$@"
evals="$outputs/evals/baselines/published"
if [ -n "$sweep" ]; then
  "$PY" -m fakeid.eval +experiment=baselines sweep="$sweep" data.root="$data" "$@"
  evals="$evals,$outputs/evals/baselines/$(basename "$sweep")"
fi
"$PY" -m fakeid.collect sweeps="[$evals]" out="$outputs/baselines/results.csv"
"$PY" -m fakeid.figures figure=all csv="[$outputs/baselines/results.csv]" out="$outputs/figures/baselines"
"$PY" -m fakeid.report sweeps="[$evals]" out="$outputs/baselines/report" overwrite=true
