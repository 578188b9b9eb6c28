# Entry points: make demo, make test, make test-all, make bench, make lint.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-dev
PYVERSIONS := 3.10 3.11 3.12 3.13

.PHONY: venv demo test lint typecheck pytest test-all bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/genai-usage tokens --demo --since 2026-11-01 --until 2026-11-08 --interval day --group-by rule_type

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

typecheck: $(STAMP)
	$(VENV)/bin/mypy --strict _generated

pytest: $(STAMP)
	$(PY) -m pytest -q

test: lint typecheck pytest

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
