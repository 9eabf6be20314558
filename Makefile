# Fresh machine: `make demo` runs the main job, `make test` runs the tests.
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

demo: install
	OMP_NUM_THREADS=1 $(BIN)/dynafold predict --method md --out dynafold_predictions

.PHONY: install test demo
