#!/usr/bin/env bash
# The wheel works without this checkout: build it, install it with --target into a scratch folder, and run the
# console scripts from another working directory with only that folder on the path (the venv supplies the
# dependencies). A config that did not travel inside the package (fakeid/conf) fails here, not on a user's machine.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="$PWD/.venv/bin/python"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
# built from a copy of the tracked files, so that no build/ folder or untracked file of this checkout gets in
mkdir "$scratch/src"
git ls-files -z | tar --null -T - -cf - | tar -xf - -C "$scratch/src"
"$PY" -m pip wheel --no-deps --no-build-isolation -q -w "$scratch/dist" "$scratch/src" >/dev/null
"$PY" -m pip install --no-deps --no-compile -q --target "$scratch/site" "$scratch"/dist/fakeid-*.whl
cd "$scratch"
export PYTHONPATH="$scratch/site" OMP_NUM_THREADS=1
bin="$scratch/site/bin"
"$PY" -c "import fakeid, sys; f = fakeid.__file__; sys.exit(0 if f.startswith('$scratch/site/') else f'fakeid came from {f}')"
"$PY" -c "import fakeid; assert (fakeid.CONF_DIR / 'train.yaml').is_file(), fakeid.CONF_DIR"
"$bin/fakeid-synth" out="$scratch/data" preset=tiny seed=0 >/dev/null
"$bin/fakeid-train" data=tiny data.root="$scratch/data" model=demo model.name=test_resnet trainer.max_epochs=1 \
  logger=none callbacks=checkpoint_only trainer.enable_progress_bar=false paths.outputs="$scratch/outputs" hydra.run.dir="$scratch/run" >/dev/null 2>&1 \
  || { echo "wheel-check: fakeid-train failed" >&2; exit 1; }
grep -q '"status": "ok"' "$scratch/run/metrics.json"
"$bin/fakeid-eval" run="$scratch/run" paths.outputs="$scratch/outputs" hydra.run.dir="$scratch/eval" >/dev/null 2>&1 || { echo "wheel-check: fakeid-eval failed" >&2; exit 1; }
grep -q '"status": "ok"' "$scratch/eval/metrics.json"
"$bin/fakeid-predict" --help >/dev/null
echo "wheel-check: the wheel's fakeid-synth, fakeid-train, fakeid-eval and fakeid-predict --help work from $scratch"
