# fakeid: `make help` lists the targets. Every target sets up .venv from pyproject.toml the first time.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
LAUNCHER ?= local
DEMO_LAUNCHER ?= parallel
ARGS ?=
LOGGER ?=
TRACKED := $(if $(LOGGER),logger=$(LOGGER))
DATA ?=
DEMO_DATA := outputs/data/demo
EVALS ?= outputs/evals/robustness/dropout
export PY LAUNCHER

.DEFAULT_GOAL := help
.PHONY: help venv test test-fast lint docs demo baselines compare plan stats-simulation figures fig1 fig2 fig3 fig1-plot fig2-plot fig3-plot figR-plot demo-figures \
	demo-figures-categories demo-figures-dropout docs-demo demo-baselines \
	demo-report \
	bench bench-tests bench-gpu bench-scale clean-demo robustness robustness-demo format-shortcut figA figA-plot demo-augment

help: ## list the targets
	@grep -hE '^[a-zA-Z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'
	@echo "  variables: DATA=ROOT (real data for fig1-3)  LAUNCHER=local|parallel|submitit_local|slurm  ARGS='hydra overrides'"
	@echo "             LOGGER=mlflow|wandb|tensorboard (the sweeps' logger, docs/tracking.md)"
	@echo "             EVALS=DIR (an evaluation folder of fakeid.eval, for figR-plot; default $(EVALS))"

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -e '.[dev]'
	touch $(INSTALLED)

venv: $(INSTALLED) ## create .venv and install fakeid with its dev extra

# Two pytest workers, one torch thread each (two workers of two threads each oversubscribe 2 cores badly);
# --dist loadfile keeps a file's tests (and its module fixtures, the slurm tests' order) on one worker.
test: $(INSTALLED) ## run the tests (CPU, tiny generated data; 2 workers; the 15 slowest are listed at the end)
	OMP_NUM_THREADS=1 $(PY) -m pytest -n 2 --dist loadfile --durations=15

lint: $(INSTALLED) ## ruff (pyflakes, pycodestyle, import order, bugbear, blind excepts, the formatter's check), mypy and the import layers (CI runs it first)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(VENV)/bin/lint-imports

docs: $(INSTALLED) ## the documentation site -> site/ (mkdocs --strict: a broken link or a YAML key without a comment fails)
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict -d site

# The edit-run loop, under a minute on the 2-core sandbox (BENCHMARKS.md): the unit tests not marked slow, on
# two one-thread workers. --dist load, not loadfile: no unit test file keeps an order or a costly module fixture.
# The end-to-end tests (tests/e2e: every command as typed, the report, notebooks, the browser) run in make test.
test-fast: $(INSTALLED) ## the unit tests not marked slow (no model trained, 2 workers; tests/e2e runs in make test): the edit-run loop
	OMP_NUM_THREADS=1 $(PY) -m pytest tests/unit -m "not slow" -n 2 --dist load

$(DEMO_DATA)/dataset.json: | $(INSTALLED)
	$(PY) -m fakeid.synth out=$(DEMO_DATA) preset=demo seed=0 overwrite=true

# The demo's timing (outputs/demo_timing.json, fakeid.demo_timing): the reference unit is measured first
# (about 30-60 s, not counted in the demo's wall time), then the clock starts.
DEMO_REFERENCE := outputs/demo_reference.json
DEMO_STARTED := outputs/.demo_started
DEMO_MARKS := outputs/.demo_marks
NOW := $(PY) -c "import time; print(time.time())"
MARK = echo "$(1) $$(date +%s.%N)" >> $(DEMO_MARKS)

demo: $(INSTALLED) $(DEMO_DATA)/dataset.json ## the whole study on the embedded synthetic benchmark -> outputs/figures/fig{1,2,3} (2 jobs at a time)
	$(PY) -m fakeid.bench parts=[reference] out=$(DEMO_REFERENCE) > /dev/null
	$(NOW) > $(DEMO_STARTED)
	rm -f $(DEMO_MARKS)
	$(PY) -m fakeid.train '+experiment=demo_categories,demo_dropout' launcher=$(DEMO_LAUNCHER) $(TRACKED) $(ARGS) || \
		{ EXPERIMENT=demo_categories sweeps/fig1.sh --plot-only; EXPERIMENT=demo_dropout sweeps/fig2.sh --plot-only; exit 1; }
	$(call MARK,sweeps)
	$(MAKE) --no-print-directory -j2 demo-report
	$(call MARK,collect_figures_report)
	$(PY) -m fakeid.demo_timing started=$$(cat $(DEMO_STARTED)) reference=$(DEMO_REFERENCE) marks=$(DEMO_MARKS) out=outputs/demo_timing.json

# After the demo's two sweeps (one fakeid.train command; when a job failed, both sweeps are collected and
# plotted before make demo stops): per sweep one figures process that collects it (sweeps=DIR: its results.csv,
# as fakeid.collect writes it) and draws all of that sweep's figures and tables (figure=[...]: one start-up, one
# read of the table and of each scores.csv, the bootstrap replicates shared; the comparisons, the planner and the
# calibration figure go to outputs/figures/NAME/SWEEP), the two sweeps side by side on the two cores; then the
# report, which copies the figures and takes the comparisons the figures step made from exactly its rows and keys
# (drawn=, fakeid.analysis.figures.provenance) instead of making them again. Three processes, two deep; it used
# to be eleven, each paying 3-6 s of imports, and a report that redrew Figs 1-3 and recomputed both comparisons.
# `make -j2 demo-report` runs the whole graph.
DEMO_SWEEPS := outputs/sweeps
# The planner runs on the demo's own categories sweep at the size of its headline difference (sheep accuracy,
# n=10 vs n=1, about +0.2): how many seeds the demo needs; docs/figures.md renders its answer
# (conf/experiment/demo_categories.yaml). Each comparison takes the default baseline, its sweep's smallest level
# (n=1, dropout 0.0), as the report's section does: the report then takes it from the figures step's record.
DEMO_CATEGORIES_FIGURES := 'figure=[fig1,compare,plan]' 'per_figure={plan:{baseline:1,effect:0.2}}'
DEMO_DROPOUT_FIGURES := 'figure=[fig2,fig3,fig3_deconvgan,calibration,compare]'

demo-figures: demo-figures-categories demo-figures-dropout ## the demo's collects and figures, from its sweeps' runs (make demo runs it)

demo-figures-categories: $(INSTALLED)
	$(PY) -m fakeid.figures $(DEMO_CATEGORIES_FIGURES) sweeps=[$(DEMO_SWEEPS)/demo_categories] out=outputs/figures

demo-figures-dropout: $(INSTALLED)
	$(PY) -m fakeid.figures $(DEMO_DROPOUT_FIGURES) sweeps=[$(DEMO_SWEEPS)/demo_dropout] out=outputs/figures

# The report of both sweeps, with the comparisons and the calibration figure; it reuses each sweep's results.csv
# (collect_study) and the figures drawn from the same rows.
demo-report: demo-figures ## the demo's report -> outputs/report (after the demo's sweeps; make demo runs it)
	$(PY) -m fakeid.report sweeps=[$(DEMO_SWEEPS)/demo_categories,$(DEMO_SWEEPS)/demo_dropout] out=outputs/report overwrite=true \
		figures=[outputs/figures/compare/demo_dropout,outputs/figures/compare/demo_categories,outputs/figures/calibration/demo_dropout] \
		drawn=[outputs/figures]

demo-baselines: $(INSTALLED) $(DEMO_DATA)/dataset.json ## NPR beside Xception on the embedded benchmark (same budget, 3 seeds), their paired comparison -> outputs/figures/compare/demo_baselines and a report -> outputs/report_demo_baselines (apart from demo)
	$(PY) -m fakeid.train +experiment=demo_baselines launcher=$(DEMO_LAUNCHER) $(ARGS) || status=$$?; \
	$(PY) -m fakeid.collect sweeps=outputs/sweeps/demo_baselines out=outputs/sweeps/demo_baselines/results.csv && \
	$(MAKE) --no-print-directory compare SWEEP=outputs/sweeps/demo_baselines BASELINE=legacy_xception ARGS= && \
	$(PY) -m fakeid.report sweeps=[outputs/sweeps/demo_baselines] out=outputs/report_demo_baselines overwrite=true \
		'title="NPR beside Xception on the embedded benchmark (make demo-baselines)"' && \
	exit $${status:-0}

docs-demo: $(INSTALLED) ## after `make demo`: its CSVs -> docs/demo/, the docs' demo pictures redrawn from them, the docs' numbers rewritten
	$(PY) tools/mkdocs_hooks.py demo outputs

fig1: $(INSTALLED) ## Fig 1 on real data (DATA=ROOT): run the categories sweep (finished jobs skipped), collect, plot
	sweeps/fig1.sh $(if $(DATA),data.root=$(DATA)) $(TRACKED) $(ARGS)

fig2: $(INSTALLED) ## Fig 2 on real data (DATA=ROOT): run the dropout sweep, collect, plot
	sweeps/fig2.sh $(if $(DATA),data.root=$(DATA)) $(TRACKED) $(ARGS)

fig3: $(INSTALLED) ## Fig 3 on real data: the dropout sweep's unseen-generator sets (runs the sweep if needed)
	sweeps/fig3.sh $(if $(DATA),data.root=$(DATA)) $(TRACKED) $(ARGS)

figures: fig1 fig2 fig3 ## Figs 1-3 on real data

fig1-plot: $(INSTALLED) ## collect and plot Fig 1 only, from the sweep's outputs
	sweeps/fig1.sh --plot-only

fig2-plot: $(INSTALLED) ## collect and plot Fig 2 only
	sweeps/fig2.sh --plot-only

fig3-plot: $(INSTALLED) ## collect and plot Fig 3 only
	sweeps/fig3.sh --plot-only

figA: $(INSTALLED) ## Fig A on real data (DATA=ROOT): augmentation x categories sweep, robustness grid on its weights, Fig A + Fig R
	sweeps/figA.sh $(if $(DATA),data.root=$(DATA)) $(TRACKED) $(ARGS)

figA-plot: $(INSTALLED) ## collect and plot Fig A and Fig R only, from the augment sweep's and its evaluation's outputs
	sweeps/figA.sh --plot-only

demo-augment: $(INSTALLED) $(DEMO_DATA)/dataset.json ## Fig A and Fig R by augmentation on the embedded benchmark -> outputs/figures/demo_augment (apart from demo)
	LAUNCHER=$(DEMO_LAUNCHER) EXPERIMENT=demo_augment EVAL_EXPERIMENT=robustness_demo_augment sweeps/figA.sh $(ARGS)

SWEEP ?=
BASELINE ?=
JPEG_DATA := outputs/data/demo_jpeg75

compare: $(INSTALLED) ## paired comparison of a collected SWEEP=DIR's levels vs BASELINE=VALUE -> outputs/figures/compare/NAME
	@test -n "$(SWEEP)" || { echo "make compare SWEEP=outputs/sweeps/NAME BASELINE=VALUE"; exit 2; }
	$(PY) -m fakeid.figures figure=compare csv=$(SWEEP)/results.csv $(if $(BASELINE),baseline=$(BASELINE)) \
		out=outputs/figures/compare/$(notdir $(SWEEP)) $(ARGS)

plan: $(INSTALLED) ## seeds and test images a sweep needs, from a collected pilot SWEEP=DIR vs BASELINE=VALUE (EFFECT=0.05) -> outputs/figures/plan/NAME
	@test -n "$(SWEEP)" || { echo "make plan SWEEP=outputs/sweeps/NAME BASELINE=VALUE [EFFECT=0.05]"; exit 2; }
	$(PY) -m fakeid.figures figure=plan csv=$(SWEEP)/results.csv $(if $(BASELINE),baseline=$(BASELINE)) \
		$(if $(EFFECT),effect=$(EFFECT)) out=outputs/figures/plan/$(notdir $(SWEEP)) $(ARGS)

stats-simulation: $(INSTALLED) ## the comparison's false-positive and power simulation -> outputs/figures/simulation, its CSV to docs/data (2-8 min on 2 cores)
	$(PY) -m fakeid.figures figure=simulate n_boot=1000 sim_sweeps=1000 out=outputs/figures/simulation $(ARGS)
	mkdir -p docs/data && cp outputs/figures/simulation/simulation.csv docs/data/simulation.csv

robustness: $(INSTALLED) ## re-evaluate every ok run of SWEEP=DIR under JPEG, blur, resize and format-matching -> Fig R
	@test -n "$(SWEEP)" || { echo "make robustness SWEEP=outputs/sweeps/NAME"; exit 2; }
	EXPERIMENT=robustness sweeps/robustness.sh "$(SWEEP)" $(ARGS)

robustness-demo: $(INSTALLED) ## Fig R and the format-bias table on the demo's dropout sweep (run `make demo` first)
	EXPERIMENT=robustness_demo sweeps/robustness.sh outputs/sweeps/demo_dropout $(ARGS)

WEIGHTS ?=
CLIP ?=

baselines: $(INSTALLED) ## published checkpoints found in WEIGHTS=DIR (and SWEEP=DIR's runs) on DATA=ROOT, clean and under JPEG/blur -> outputs/baselines/ (results.csv, report/)
	@test -n "$(DATA)" -a -n "$(WEIGHTS)" || { echo "make baselines DATA=ROOT WEIGHTS=DIR [SWEEP=DIR] [CLIP=FILE]"; exit 2; }
	CLIP="$(CLIP)" sweeps/baselines.sh "$(DATA)" "$(WEIGHTS)" "$(SWEEP)" $(ARGS)

$(JPEG_DATA)/dataset.json: | $(INSTALLED)
	$(PY) -m fakeid.synth out=$(JPEG_DATA) preset=demo seed=0 jpeg_quality=75 overwrite=true

format-shortcut: $(INSTALLED) $(JPEG_DATA)/dataset.json ## train on JPEG reals / PNG fakes, test original vs format-matched
	$(PY) -m fakeid.train +experiment=format_shortcut launcher=$(LAUNCHER) $(ARGS)
	EXPERIMENT=format_check sweeps/robustness.sh outputs/sweeps/format_shortcut

figR-plot: $(INSTALLED) ## collect an evaluation folder (EVALS=DIR) and draw Fig R and the format-bias table
	$(PY) -m fakeid.collect sweeps=$(EVALS) out=$(EVALS)/results.csv
	$(PY) -m fakeid.figures figure=figR csv=$(EVALS)/results.csv out=outputs/figures
	$(PY) -m fakeid.figures figure=formatbias csv=$(EVALS)/results.csv out=outputs/figures

bench: $(INSTALLED) ## the reference unit, loader, train-step and eval throughput as JSON (outputs/bench.json)
	$(PY) -m fakeid.bench $(ARGS)

# The reference unit first (as make demo), then every stage at each size; SCALE_ARGS='sizes=[...]' etc. The trees
# are generated under /tmp/fakeid-bench-scale and removed after each size (4 % of the paper: about 1 GB at most);
# so are the eval's set (2K + 2K JPEGs) and the record sets (16 runs x 15 sets x 4K scores: about 70 MB).
SCALE_ARGS ?=
bench-scale: $(INSTALLED) ## time prepare, check, plan, fingerprint, cache, loaders, eval, collect, figures and report at growing sizes; fit each stage's growth -> outputs/bench_scale.json
	$(PY) -m fakeid.bench parts=[reference] out=outputs/bench_scale_reference.json > /dev/null
	$(PY) -m fakeid.bench_scale reference=outputs/bench_scale_reference.json $(SCALE_ARGS)

bench-tests: $(INSTALLED) ## time `make test` and `make test-fast` in the reference unit -> outputs/tests_timing.json
	PY=$(PY) sweeps/bench_tests.sh

clean-demo: ## remove the demo data, sweeps and figures (outputs/ keeps other runs)
	rm -rf $(DEMO_DATA) outputs/sweeps/demo_categories outputs/sweeps/demo_dropout outputs/sweeps/demo_augment \
		outputs/evals/robustness_demo_augment outputs/figures
	rm -f $(DEMO_REFERENCE) $(DEMO_STARTED) $(DEMO_MARKS) outputs/demo_timing.json

bench-gpu: $(INSTALLED) ## the GPU figures of BENCHMARKS.md on one CUDA device (sweeps/gpu_bench.sh -> outputs/bench-gpu)
	PY=$(PY) sweeps/gpu_bench.sh
