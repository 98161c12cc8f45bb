# Everything a fresh machine needs goes through these targets: `make demo`, `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
APT_INSTALL := sh -c '[ "$$(id -u)" = 0 ] && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$$@" || { echo "please install: $$*" >&2; exit 1; }' --

JS_DEPS := js/node_modules/.package-lock.json

.PHONY: venv chromium test lint bench demo clean js

venv: $(STAMP)

$(STAMP): pyproject.toml
	@# Debian's python3 lacks ensurepip until python3-venv is installed.
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || $(APT_INSTALL) python3-venv
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

# Playwright cannot download browsers here; use one that works or install Debian's.
chromium: venv
	@$(PY) -m jivo_widget.testing.chromium --ensure

# js/node_modules holds the pinned axe-core that the facade's accessibility test injects.
test: venv chromium $(JS_DEPS)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check jivo_widget tests benchmarks examples
	$(VENV)/bin/ruff format --check jivo_widget tests benchmarks examples
	$(VENV)/bin/mypy

# The JavaScript shipped into pages, minified from the readable js/src/ by the terser pinned in
# js/package-lock.json. Run it after editing js/src/ and commit the result:
# tests/assets/test_js_assets.py rebuilds from scratch and fails if the shipped bytes differ.
js: $(JS_DEPS)
	node js/build.mjs jivo_widget/assets

$(JS_DEPS): js/package.json js/package-lock.json
	cd js && npm ci --no-audit --no-fund --ignore-scripts

bench: venv
	$(PY) -m benchmarks

# The demo serves the mocked widget to your own browser: it needs no Chromium of its own.
demo: venv
	$(VENV)/bin/jivo-widget demo --config examples/demo/jivo.toml

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache js/node_modules
