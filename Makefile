# Everything a fresh machine needs goes through these targets: `make demo`, `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
APT_INSTALL := sh -c '[ "$$(id -u)" = 0 ] && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$$@" || { echo "please install: $$*" >&2; exit 1; }' --

JS_DEPS := js/node_modules/.package-lock.json

.PHONY: venv venv-django6 venv-async chromium test test-thorough lint bench demo clean js

venv: $(STAMP)

# Django 6 (its built-in CSP) needs Python >= 3.12: a second virtualenv, in which
# tests/integrations/test_django.py runs the Django integration's suite again. The first Python
# 3.12+ found is used: $(PYTHON_DJANGO6), pyenv's versions, then python3.14..python3.12.
VENV_DJANGO6 ?= .venv-django6
STAMP_DJANGO6 := $(VENV_DJANGO6)/.installed
FIND_PY312 := for p in $(PYTHON_DJANGO6) $$HOME/.pyenv/versions/3.1[2-4]*/bin/python3 \
	$$(command -v python3.14 python3.13 python3.12 2>/dev/null); do \
	"$$p" -c 'import sys, venv; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
	&& { echo "$$p"; break; }; done

venv-django6: $(STAMP_DJANGO6)

$(STAMP_DJANGO6): pyproject.toml Makefile
	@py="$$($(FIND_PY312))"; \
	if [ -z "$$py" ]; then echo "Django 6 needs Python >= 3.12: none found (set PYTHON_DJANGO6)" >&2; exit 1; fi; \
	echo "$$py -m venv $(VENV_DJANGO6)"; "$$py" -m venv $(VENV_DJANGO6)
	$(VENV_DJANGO6)/bin/python -m pip install -q --upgrade pip
	$(VENV_DJANGO6)/bin/python -m pip install -q -e '.[testing,django]' 'django>=6' \
		'pytest-django>=4.9' 'django-csp>=4.0' 'pytest-timeout>=2' 'hypothesis>=6'
	touch $(STAMP_DJANGO6)

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

# jivo_mock in async suites: pytest-playwright-asyncio refuses to load beside pytest-playwright,
# so tests/testing/test_other_runners.py runs its async suite in a virtualenv of its own.
VENV_ASYNC ?= .venv-async
STAMP_ASYNC := $(VENV_ASYNC)/.installed

venv-async: $(STAMP_ASYNC)

$(STAMP_ASYNC): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV_ASYNC)
	$(VENV_ASYNC)/bin/python -m pip install -q --upgrade pip
	$(VENV_ASYNC)/bin/python -m pip install -q -e '.[testing-async,server]' 'pytest-timeout>=2'
	touch $(STAMP_ASYNC)

# js/node_modules holds the pinned axe-core that the facade's accessibility test injects.
# One pytest worker per core (pytest-xdist): most tests wait on Chromium, servers and
# subprocesses, so two workers on two cores take about half the time. The slowest tests are
# listed at the end, to see where the time goes.
# --dist loadgroup: the tests marked xdist_group("NAME") run in one worker, so services they
# share per session (Redis and a Celery worker) start once.
PYTEST_ARGS ?= -n auto --dist loadgroup --durations=25

test: venv venv-django6 venv-async chromium $(JS_DEPS)
	$(PY) -m pytest $(PYTEST_ARGS)

# The exactly-once property test with 50 drawn batches instead of make test's 2 (≈ 2-4 min).
test-thorough: venv chromium $(JS_DEPS)
	JIVO_WIDGET_PROPERTY_BATCHES=50 $(PY) -m pytest --timeout=1800 tests/assets/test_exactly_once.py

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

# The demo serves the mocked widget to your own browser: it needs no Chromium of its own. It
# links to the four example shops (Django, Flask, FastAPI, static site) on ports 8001-8004.
demo: venv
	$(PY) examples/demo/run_all.py

clean:
	rm -rf $(VENV) $(VENV_DJANGO6) $(VENV_ASYNC) build dist .pytest_cache .mypy_cache .ruff_cache js/node_modules
