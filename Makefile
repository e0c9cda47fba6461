# fakeid: `make help` lists the targets. Every target sets up .venv from pyproject.toml the first time.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
LAUNCHER ?= local
ARGS ?=
DATA ?=
DEMO_DATA := outputs/data/demo
export PY LAUNCHER

.DEFAULT_GOAL := help
.PHONY: help venv test test-fast demo figures fig1 fig2 fig3 fig1-plot fig2-plot fig3-plot demo-figures bench bench-gpu clean-demo

help: ## list the targets
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'
	@echo "  variables: DATA=ROOT (real data for fig1-3)  LAUNCHER=local|submitit_local|slurm  ARGS='hydra overrides'"

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -e '.[dev]'
	touch $(INSTALLED)

venv: $(INSTALLED) ## create .venv and install fakeid with its dev extra

test: $(INSTALLED) ## run the tests (CPU, tiny generated data; the 15 slowest are listed at the end)
	$(PY) -m pytest --durations=15

test-fast: $(INSTALLED) ## the tests not marked slow (no model is trained): the edit-run loop
	$(PY) -m pytest -m "not slow"

$(DEMO_DATA)/dataset.json: | $(INSTALLED)
	$(PY) -m fakeid.synth out=$(DEMO_DATA) preset=demo seed=0 overwrite=true

demo: $(INSTALLED) $(DEMO_DATA)/dataset.json ## the whole study on the embedded synthetic benchmark -> outputs/figures/fig{1,2,3}
	EXPERIMENT=demo_categories sweeps/fig1.sh $(ARGS)
	EXPERIMENT=demo_dropout sweeps/fig2.sh $(ARGS)
	EXPERIMENT=demo_dropout sweeps/fig3.sh --plot-only

fig1: $(INSTALLED) ## Fig 1 on real data (DATA=ROOT): run the categories sweep (finished jobs skipped), collect, plot
	sweeps/fig1.sh $(if $(DATA),data.root=$(DATA)) $(ARGS)

fig2: $(INSTALLED) ## Fig 2 on real data (DATA=ROOT): run the dropout sweep, collect, plot
	sweeps/fig2.sh $(if $(DATA),data.root=$(DATA)) $(ARGS)

fig3: $(INSTALLED) ## Fig 3 on real data: the dropout sweep's unseen-generator sets (runs the sweep if needed)
	sweeps/fig3.sh $(if $(DATA),data.root=$(DATA)) $(ARGS)

figures: fig1 fig2 fig3 ## Figs 1-3 on real data

fig1-plot: $(INSTALLED) ## collect and plot Fig 1 only, from the sweep's outputs
	sweeps/fig1.sh --plot-only

fig2-plot: $(INSTALLED) ## collect and plot Fig 2 only
	sweeps/fig2.sh --plot-only

fig3-plot: $(INSTALLED) ## collect and plot Fig 3 only
	sweeps/fig3.sh --plot-only

bench: $(INSTALLED) ## loader, train-step and eval throughput as JSON (outputs/bench.json)
	$(PY) -m fakeid.bench $(ARGS)

clean-demo: ## remove the demo data, sweeps and figures (outputs/ keeps other runs)
	rm -rf $(DEMO_DATA) outputs/sweeps/demo_categories outputs/sweeps/demo_dropout outputs/figures

bench-gpu: $(INSTALLED) ## the GPU figures of BENCHMARKS.md on one CUDA device (sweeps/gpu_bench.sh -> outputs/bench-gpu)
	PY=$(PY) sweeps/gpu_bench.sh
