# Two entry points that work on a fresh machine: `make demo` and `make test`.
# Each creates the virtual environment .venv and installs the package into it first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_OUT ?= outputs/demo

.PHONY: demo test lint bench clean

$(BIN)/ij-eval: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

demo: $(BIN)/ij-eval
	$(BIN)/ij-eval demo --out $(DEMO_OUT)

test: $(BIN)/ij-eval
	$(BIN)/python -m pytest -q

lint: $(BIN)/ij-eval
	$(BIN)/ruff check .

bench: $(BIN)/ij-eval
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) outputs
