# DORA Hub: `make run` serves the app, `make test` runs the suite. Only python3 (3.11+) and make
# are needed on the machine; everything else is installed into .venv from the hashed locks:
# requirements/base.lock is what production installs, requirements/dev.lock adds the tools.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test lint format worker beat install migrate demo lock clean

$(STAMP): requirements/base.lock requirements/dev.lock pyproject.toml cli/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/dev.lock
	$(BIN)/python -m pip install --quiet --no-deps -e ./cli
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py ensure_admin
	$(BIN)/python manage.py seed_demo --if-empty

# The server prints, last, the URL, the admin user and its one-time password (first run) and
# where the docs are; it creates the admin in the serving process so the password is never stored.
run: migrate
	$(BIN)/python manage.py seed_demo --if-empty
	$(BIN)/python manage.py serve $(HOST):$(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Real Celery on Redis: export REDIS_URL (and DATABASE_URL) first.
worker: install
	$(BIN)/celery -A config.celery_app worker --loglevel=INFO --concurrency=2

beat: install
	$(BIN)/celery -A config.celery_app beat --loglevel=INFO

# Re-pin the locks from pyproject.toml after changing dependencies: pins already in a lock are
# kept, new ones resolved, every file hashed; dev.lock keeps base.lock's versions.
# `make lock LOCK_ARGS=--upgrade` moves every pin to the newest release allowed.
LOCK_ARGS ?=
LOCK_VENV := /tmp/dorahub-lock
PIP_COMPILE := $(LOCK_VENV)/bin/pip-compile --quiet --generate-hashes --strip-extras \
	--no-emit-index-url --no-emit-find-links $(LOCK_ARGS)
lock:
	rm -rf $(LOCK_VENV) && $(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet pip-tools==7.6.2
	$(PIP_COMPILE) --output-file requirements/base.lock pyproject.toml
	$(PIP_COMPILE) --extra dev --constraint requirements/base.lock \
		--output-file requirements/dev.lock pyproject.toml

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
