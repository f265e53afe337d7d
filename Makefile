# Two entry points that work on a fresh machine: `make demo` and `make test`.
# Each creates the virtual environment .venv and installs the package into it first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_OUT ?= outputs/demo

# The reference implementations some tests check against: R's survival and MatchIt (Debian packages).
R_ORACLES := r-cran-survival r-cran-matchit

.PHONY: demo test lint bench clean oracles

$(BIN)/ij-eval: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

demo: $(BIN)/ij-eval
	$(BIN)/ij-eval demo --out $(DEMO_OUT)

test: $(BIN)/ij-eval oracles
	$(BIN)/python -m pytest -q

oracles:
	@Rscript -e 'library(survival); library(MatchIt)' >/dev/null 2>&1 || { \
	  echo "installing the R reference implementations used by the tests: $(R_ORACLES)"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $(R_ORACLES); }

lint: $(BIN)/ij-eval
	$(BIN)/ruff check .

bench: $(BIN)/ij-eval
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) outputs
