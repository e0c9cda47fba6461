#!/usr/bin/env bash
# Fig A and Fig R by augmentation: run the augmentation x categories sweep (finished jobs are skipped), the
# robustness grid on its checkpoints (finished evaluations are skipped), collect both, draw Fig A from the
# training runs and Fig R (with the format-bias table, when the grid has format levels) from the evaluations.
# Grid values live only in conf/experiment/$EXPERIMENT.yaml and conf/experiment/$EVAL_EXPERIMENT.yaml.
#   sweeps/figA.sh [--plot-only] [hydra overrides for fakeid.train...]
# Environment: EXPERIMENT (default augment), EVAL_EXPERIMENT (default robustness), EVAL_ARGS (overrides for
# fakeid.eval, space-separated), PY (default .venv/bin/python), LAUNCHER, FAKEID_OUTPUTS (default outputs).
set -euo pipefail
PY=${PY:-.venv/bin/python}
outputs=${FAKEID_OUTPUTS:-outputs}
experiment=${EXPERIMENT:-augment}
eval_experiment=${EVAL_EXPERIMENT:-robustness}
sweep=$outputs/sweeps/$experiment
evals=$outputs/evals/$eval_experiment/$experiment
figures=$outputs/figures/$experiment
read -r -a eval_args <<< "${EVAL_ARGS:-}"
if [[ ${1:-} == --plot-only ]]; then
  shift
else
  # a sweep with failed jobs exits 1 after listing them: evaluate and plot what finished, then fail
  "$PY" -m fakeid.train +experiment="$experiment" launcher="${LAUNCHER:-local}" "$@" || status=$?
  "$PY" -m fakeid.eval +experiment="$eval_experiment" sweep="$sweep" \
    ${eval_args[@]+"${eval_args[@]}"} || status=$?
fi
"$PY" -m fakeid.collect sweeps="$sweep" out="$sweep/results.csv"
"$PY" -m fakeid.collect sweeps="[$evals]" out="$evals/results.csv"
"$PY" -m fakeid.figures figure=figA csv="$sweep/results.csv" out="$figures"
"$PY" -m fakeid.figures figure=all csv="[$evals/results.csv]" out="$figures"
exit "${status:-0}"
