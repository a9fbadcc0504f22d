# wraparound — the two commands are `make demo` and `make test` (README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
# The demo and the browser tests serve over plain http on 127.0.0.1, with DEBUG on.
DEV_ENV := DEBUG=true

.PHONY: help install system-libs demo serve test test-unit test-e2e lint format static migrate seed clean chromium messages

help:
	@echo "make demo   install, build static assets, migrate, load the small demo network, serve on :$(PORT)"
	@echo "make test   install what tests need and run the whole suite (unit, integration, browser)"
	@echo "make lint   ruff (lint + format check) and mypy"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

system-libs:
	@bash scripts/ensure-system-libs

install: system-libs $(VENV)/.installed node_modules/.installed

static: install
	$(DEV_ENV) $(BIN)/python manage.py collectstatic --noinput --verbosity 0

migrate: install
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput

seed: migrate
	$(DEV_ENV) $(BIN)/python manage.py seed_demo --profile small --seed 1

serve:
	$(DEV_ENV) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

demo: install static migrate seed serve

chromium:
	@bash scripts/ensure-chromium

# The unit and integration tests run on every core (pytest-xdist, one database per worker); the
# browser tests after them, in one process (one live server, one Chromium).
TEST_WORKERS ?= auto

test: install chromium
	$(BIN)/python -m pytest -m "not e2e" -n $(TEST_WORKERS)
	$(BIN)/python -m pytest -m e2e e2e

test-unit: install
	$(BIN)/python -m pytest -m "not e2e" -n $(TEST_WORKERS)

test-e2e: install chromium
	$(BIN)/python -m pytest e2e

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(DEV_ENV) $(BIN)/mypy .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The Spanish catalog (wraparound/locale/es): extract new strings, then compile. Translate the
# new entries of django.po between the two steps (test_translations.py fails until every one is).
messages: install
	$(DEV_ENV) $(BIN)/python manage.py makemessages -l es --ignore=.venv --ignore=node_modules --ignore=var
	$(DEV_ENV) $(BIN)/python manage.py compilemessages -l es --ignore=.venv --ignore=node_modules

clean:
	rm -rf $(VENV) node_modules var/static
