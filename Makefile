# Grassroots data-collection platform. Every target honours DATABASE_URL from the environment.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run setup test lint format venv fixtures demo-users worker clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

## setup: the idempotent part of run: venv, requirements, migrate, fixtures
setup: $(STAMP)
	$(PY) manage.py migrate --no-input
	$(PY) manage.py load_regions
	$(PY) manage.py load_catalog

## run: setup, demo users (passwords printed once), then the web server and the background worker; Ctrl-C stops both
run: setup
	$(PY) manage.py collectstatic --no-input --verbosity 0
	$(PY) manage.py create_demo_users
	$(PY) manage.py serve --host $(HOST) --port $(PORT)

## test: the whole test suite (SQLite by default; PostgreSQL when DATABASE_URL points at it)
test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

worker: setup
	$(PY) manage.py db_worker

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
