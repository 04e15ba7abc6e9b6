# Everything needs only Python 3.11, Node 20 and npm (and apt-get, for Chromium in `make test`).
# The virtualenv lives in .venv; node_modules/ holds the frontend's build and test tools.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
WITH_VENV := PATH="$(CURDIR)/$(BIN):$$PATH"

.PHONY: demo test lint build chromium bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# npm ci first: `pip install -e .` then builds the extension (hatch-jupyter-builder) with it.
$(VENV)/.deps-stamp: pyproject.toml package.json package-lock.json | $(BIN)/python
	npm ci --no-audit --no-fund --loglevel=error
	$(BIN)/pip install -q -e ".[test,demo]"
	$(WITH_VENV) jupyter-builder develop --overwrite . >/dev/null  # JupyterLab serves widgets/labextension live
	touch $@

## make build: bundle the runtime (esbuild) and the JupyterLab extension (jupyter-builder)
build: $(VENV)/.deps-stamp
	$(WITH_VENV) npm run --silent build >/dev/null

## make demo: set up, then start JupyterLab on the example notebooks
demo: build
	$(BIN)/jupyter lab --notebook-dir=examples $(if $(filter 0,$(shell id -u)),--allow-root)

chromium:
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

lint: $(VENV)/.deps-stamp
	$(BIN)/ruff check widgets tests bench
	$(BIN)/ruff format --check widgets tests bench
	$(BIN)/mypy
	npm run --silent typecheck

## make test: set up, then every check and test: vitest, then pytest (unit, kernel, browser)
test: build chromium lint
	npm test --silent
	$(BIN)/pytest tests

## make bench: the benchmarks against ipywidgets and anywidget, in one run (prints tables)
bench: build chromium
	$(BIN)/pip install -q -e ".[bench]"
	$(BIN)/python bench/core.py
	$(BIN)/python bench/browser.py
	$(BIN)/python bench/heap.py
	$(BIN)/python bench/reload.py --profile
	$(BIN)/python bench/drag.py

clean:
	rm -rf $(VENV) node_modules lib widgets/labextension build dist *.egg-info
