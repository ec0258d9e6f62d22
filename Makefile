# The two commands: `make run` (demo on http://127.0.0.1:8000) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEV := DEBUG=true

.PHONY: run test lint format assets bench bench-load fuzz install worker beat clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

install: $(BIN)/.installed node_modules/.installed

assets: node_modules/.installed
	npm run --silent build

run: install assets
	$(DEV) $(BIN)/python manage.py migrate --verbosity 0
	$(DEV) $(BIN)/python manage.py seed_demo --scale small --if-empty
	$(DEV) $(BIN)/python manage.py runserver 127.0.0.1:8000

test: install assets
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(DEV) $(BIN)/python manage.py makemigrations --check --dry-run
	$(DEV) $(BIN)/python manage.py spectacular --validate --fail-on-warn --file /dev/null

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Seeds a throwaway PostgreSQL database and prints figures as JSON lines (SCALE=coventry by default).
bench: install
	$(BIN)/python bench/run.py --scale $(or $(SCALE),coventry)

# gunicorn as in production under wrk's concurrent load: requests/s, p50/p99 and the share of a trivial view's.
bench-load: install
	$(BIN)/python bench/load.py --scale $(or $(SCALE),coventry)

# The background processes, as docker-compose runs them (need REDIS_URL).
worker: install
	$(BIN)/celery -A ocit worker --loglevel INFO --concurrency 2

beat: install
	$(BIN)/celery -A ocit beat --loglevel INFO --schedule /tmp/ocit-celerybeat-schedule

clean:
	rm -rf $(VENV) node_modules ocit/static staticfiles db.sqlite3

# schemathesis against a live server as each role (a throwaway PostgreSQL database; EXAMPLES per operation).
fuzz: install
	$(BIN)/python -m tests.fuzz --examples $(or $(EXAMPLES),30)
