# Entry points: make demo, make test, make test-calendar, make test-all, make bench, make lint.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-dev
PYVERSIONS := 3.10 3.11 3.12 3.13

# The suite at a far date on a DST-change day in Europe, the clock running on from there.
CALENDAR_DATE ?= 2031-03-30 01:30:00
FAKETIME_LIB ?= $(firstword $(wildcard /usr/lib/*/faketime/libfaketime.so.1 /usr/lib/faketime/libfaketime.so.1 /usr/local/lib/faketime/libfaketime.so.1))

.PHONY: venv demo test test-calendar lint typecheck pytest test-all bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

# The last 7 days (6 full days and today so far, UTC), daily, by rule type.
demo: $(STAMP)
	@$(VENV)/bin/genai-usage tokens --demo --since "$$($(PY) -c 'import datetime as d; print(d.datetime.now(d.timezone.utc).date() - d.timedelta(days=6))')" --interval day --group-by rule_type

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

typecheck: $(STAMP)
	$(VENV)/bin/mypy --strict _generated bench

pytest: $(STAMP)
	$(PY) -m pytest -q

test: lint typecheck pytest

# libfaketime's start-at mode ("@..."): the wall clock runs on from CALENDAR_DATE (the frozen
# mode would stop every sleep); why the monotonic clock stays real: test/calendar/sitecustomize.py.
test-calendar: $(STAMP)
	@if [ -z "$(FAKETIME_LIB)" ]; then echo "test-calendar: libfaketime not found: apt-get install faketime"; exit 1; fi
	LD_PRELOAD="$(FAKETIME_LIB)" FAKETIME="@$(CALENDAR_DATE)" FAKETIME_DONT_FAKE_MONOTONIC=1 \
	  PYTHONPATH="$(CURDIR)/test/calendar" $(PY) -m pytest -q -p no:cacheprovider

# Runs the suite on every Python 3.10-3.13 found (pyenv keeps them under ~/.pyenv/versions).
test-all:
	@missing=""; found=""; \
	for v in $(PYVERSIONS); do \
	  py=$$(ls -d $$HOME/.pyenv/versions/$$v.*/bin/python$$v 2>/dev/null | sort -V | tail -n 1); \
	  [ -n "$$py" ] || py=$$(command -v python$$v 2>/dev/null); \
	  if [ -z "$$py" ]; then missing="$$missing $$v"; continue; fi; \
	  echo "== Python $$v ($$py)"; \
	  $(MAKE) --no-print-directory pytest PYTHON=$$py VENV=.venv-$$v || exit 1; \
	  found="$$found $$v"; \
	done; \
	echo "test-all: ran on:$${found:- none}"; \
	if [ -n "$$missing" ]; then echo "test-all: missing Python versions:$$missing"; fi

bench: $(STAMP)
	$(PY) -m bench --write-docs

clean:
	rm -rf $(VENV) .venv-3.* build *.egg-info .mypy_cache .ruff_cache .pytest_cache
