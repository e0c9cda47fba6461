#!/usr/bin/env bash
# Fig 1: accuracy on unseen content vs the number of training categories (experiment `categories`).
exec "$(dirname "$0")/run_figure.sh" fig1 "${EXPERIMENT:-categories}" "$@"
