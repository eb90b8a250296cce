# DORA Hub: `make run` serves the app, `make test` runs the suite. Only python3 (3.11+) and make
# are needed on the machine; everything else is installed into .venv from requirements.lock.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test lint format worker beat install migrate demo lock clean

$(STAMP): requirements.lock pyproject.toml cli/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e ./cli
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py ensure_admin
	$(BIN)/python manage.py seed_demo --if-empty

run: demo
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Real Celery on Redis: export REDIS_URL (and DATABASE_URL) first.
worker: install
	$(BIN)/celery -A config.celery_app worker --loglevel=INFO --concurrency=2

beat: install
	$(BIN)/celery -A config.celery_app beat --loglevel=INFO

# Re-pin requirements.lock from pyproject.toml (run after changing dependencies).
lock:
	rm -rf /tmp/dorahub-lock && $(PYTHON) -m venv /tmp/dorahub-lock
	/tmp/dorahub-lock/bin/pip install --quiet ".[dev]"
	/tmp/dorahub-lock/bin/pip freeze --exclude dorahub > requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
