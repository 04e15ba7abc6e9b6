# Everything needs only Python 3.11, Node 20 and npm (and apt-get, for Chromium in `make test`).
# The virtualenv lives in .venv; node_modules/ holds the frontend's build and test tools.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
WITH_VENV := PATH="$(CURDIR)/$(BIN):$$PATH"
# A second, smaller environment: the oldest JupyterLab and Notebook the extension supports (the
# ranges in package.json), with the last ipykernel before subshells. It reuses the built frontend.
OLDEST := .venv-oldest
OLDEST_PINS := "jupyterlab==4.0.3" "notebook==7.0.0" "ipykernel==6.29.5" "pytest>=8" "playwright>=1.50"
OLDEST_TESTS := $(OLDEST)/bin/pytest -m oldest tests/e2e/test_widgets_in_browser.py tests/e2e/test_versions.py tests/e2e/test_saved_notebook.py

.PHONY: demo test test-oldest lint build chromium bench clean

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

## make test: set up, then every check and test: vitest, pytest (unit, kernel, browser), then test-oldest
test: build chromium lint $(OLDEST)/.deps-stamp
	npm test --silent
	$(BIN)/pytest tests
	$(OLDEST_TESTS)

# SKIP_JUPYTER_BUILDER: the editable install does not build the frontend again; JupyterLab then
# serves the one `make build` made (widgets/labextension), linked as `jupyter-builder develop` does.
$(OLDEST)/.deps-stamp: Makefile pyproject.toml | build
	test -x $(OLDEST)/bin/python || $(PYTHON) -m venv $(OLDEST)
	$(OLDEST)/bin/python -m pip install -q --upgrade pip
	SKIP_JUPYTER_BUILDER=1 $(OLDEST)/bin/pip install -q $(OLDEST_PINS) -e .
	rm -rf $(OLDEST)/share/jupyter/labextensions/widgets-labextension
	ln -s $(CURDIR)/widgets/labextension $(OLDEST)/share/jupyter/labextensions/widgets-labextension
	touch $@

## make test-oldest: the browser tests marked `oldest`, on the oldest supported JupyterLab and Notebook
test-oldest: build chromium $(OLDEST)/.deps-stamp
	$(OLDEST_TESTS)

## make bench: the benchmarks against ipywidgets and anywidget, in one run (prints tables)
bench: build chromium
	$(BIN)/pip install -q -e ".[bench]"
	$(BIN)/python bench/core.py
	$(BIN)/python bench/browser.py
	$(BIN)/python bench/heap.py
	$(BIN)/python bench/reload.py --profile
	$(BIN)/python bench/drag.py
	$(BIN)/python bench/controls.py

clean:
	rm -rf $(VENV) $(OLDEST) node_modules lib widgets/labextension build dist *.egg-info
