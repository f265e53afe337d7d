# Two entry points that work on a fresh machine: `make demo` and `make test`.
# Each creates the virtual environment .venv and installs the package into it first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_OUT ?= outputs/demo

# Debian packages the tests need: R's survival and MatchIt (reference implementations), Chromium
# (opens the HTML report headless) and poppler-utils (pdftoppm/pdftotext read the PDF report).
SYSTEM_PACKAGES := r-cran-survival r-cran-matchit chromium poppler-utils

.PHONY: demo test lint bench clean system-packages

$(BIN)/ij-eval: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

demo: $(BIN)/ij-eval
	$(BIN)/ij-eval demo --out $(DEMO_OUT)

test: $(BIN)/ij-eval system-packages
	$(BIN)/python -m pytest -q

system-packages:
	@{ Rscript -e 'library(survival); library(MatchIt)' && command -v chromium && command -v pdftoppm; } >/dev/null 2>&1 || { \
	  echo "installing the Debian packages the tests use: $(SYSTEM_PACKAGES)"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $(SYSTEM_PACKAGES); }

lint: $(BIN)/ij-eval
	$(BIN)/ruff check .

bench: $(BIN)/ij-eval
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) outputs
