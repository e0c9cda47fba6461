#!/usr/bin/env bash
# Fig 2: accuracy on unseen content vs dropout ratio (experiment `dropout`).
exec "$(dirname "$0")/run_figure.sh" fig2 "${EXPERIMENT:-dropout}" "$@"
