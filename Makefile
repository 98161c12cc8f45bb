# Everything a fresh machine needs goes through these targets: `make demo`, `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: venv chromium test lint bench demo clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

# Playwright cannot download browsers here; use one that works or install Debian's.
chromium: venv
	@$(PY) -m jivo_widget.testing.chromium --ensure

test: venv chromium
	$(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check jivo_widget tests benchmarks examples
	$(VENV)/bin/ruff format --check jivo_widget tests benchmarks examples
	$(VENV)/bin/mypy

bench: venv chromium
	$(PY) -m benchmarks

demo: venv chromium
	$(VENV)/bin/jivo-widget demo

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
