# Fresh machine: `make demo` runs the main job, `make test` runs every test (as CI does),
# `make test-fast` skips the slow ones (training runs, long sampling) for the edit loop.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

$(BIN)/dynafold: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e ".[test]"
	touch $(BIN)/dynafold

install: $(BIN)/dynafold

test: install
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest -q

test-fast: install
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest -q -m "not slow"

demo: install
	$(BIN)/dynafold predict --method md --out dynafold_predictions

.PHONY: install test test-fast demo
