# Grassroots data-collection platform (基层数据归集平台). Every target honours DATABASE_URL from the environment.
#   make run    set up (if needed), create the demo users, serve http://127.0.0.1:8000 with its worker
#   make test   the whole test suite (SQLite by default, PostgreSQL when DATABASE_URL points at it)
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# Townships that get generated sample villages and grids (is_sample=True) so a demo has grids to upload for.
SAMPLE_TOWNSHIPS ?= 370602001,370602002,370602003
PYTEST_ARGS ?=

.PHONY: run setup test lint format venv fixtures demo-users worker clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

## setup: the idempotent part of run: venv, requirements, migrate, fixtures
setup: $(STAMP)
	$(PY) manage.py migrate --no-input
	$(MAKE) --no-print-directory fixtures

## fixtures: reference data, every command idempotent
fixtures: $(STAMP)
	$(PY) manage.py load_regions
	$(PY) manage.py generate_sample_villages --townships $(SAMPLE_TOWNSHIPS) --villages 5 --grids 3
	$(PY) manage.py load_catalog
	$(PY) manage.py load_rules
	$(PY) manage.py load_reports

## demo-users: one demo user per role; passwords are printed once, when a user is created
demo-users: $(STAMP)
	$(PY) manage.py create_demo_users

## run: setup, demo users, static files, then the web server and the background worker; Ctrl-C stops both
run: setup demo-users
	$(PY) manage.py collectstatic --no-input --verbosity 0
	$(PY) manage.py serve --host $(HOST) --port $(PORT)

## test: the whole suite; a run that collects no test at all (pytest exit 5) is a failure, not a pass
test: $(STAMP)
	@$(PY) -m pytest $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests (exit 5): treated as a failure" >&2; fi; \
	exit $$status

## lint: ruff, and the one-way dependencies between apps (import-linter, contract in pyproject.toml)
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## worker: only the background worker (for extra workers next to `serve`, see docs/deployment.md)
worker: setup
	$(PY) manage.py worker

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
