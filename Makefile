# Everything needs only Python 3.11, Node 20 and npm; the virtualenv lives in .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench setup clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.test-stamp: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[test]"
	touch $@

$(VENV)/.demo-stamp: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[demo]"
	touch $@

setup: $(VENV)/.test-stamp $(VENV)/.demo-stamp

## make demo: set up, then start JupyterLab on the example notebooks
demo: $(VENV)/.demo-stamp
	$(BIN)/jupyter lab --notebook-dir=examples

lint: $(VENV)/.test-stamp
	$(BIN)/ruff check widgets tests bench
	$(BIN)/ruff format --check widgets tests bench
	$(BIN)/mypy

## make test: set up, then run every check and test (ends with pytest's summary)
test: lint
	$(BIN)/pytest tests

## make bench: the benchmarks against ipywidgets and anywidget (prints tables)
bench: $(VENV)/.test-stamp
	$(BIN)/pip install -q -e ".[bench]"
	$(BIN)/python bench/core.py

clean:
	rm -rf $(VENV) build dist *.egg-info
