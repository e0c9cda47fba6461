#!/usr/bin/env bash
# Fig 3: accuracy on unseen-generator test sets vs dropout ratio: the same runs as Fig 2 (experiment
# `dropout`); re-running the sweep trains nothing new when Fig 2's jobs are finished.
exec "$(dirname "$0")/run_figure.sh" fig3 "${EXPERIMENT:-dropout}" "$@"
