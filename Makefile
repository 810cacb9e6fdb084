# The two commands a newcomer needs: `make run` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1:8000

.PHONY: run test test-serial e2e lint format messages check-deploy migrate seed bench bench-lists bench-conn bench-move-in bench-safety bench-surveys bench-preventive bench-search clean

$(PY):
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is required")'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Re-install whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(PY)
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(PY)
	$(PIP) install --quiet -e ".[dev]"
	touch $(VENV)/.installed $@

migrate: $(VENV)/.installed
	$(MANAGE) migrate --no-input

seed: migrate
	$(MANAGE) seed_demo

run: seed
	$(MANAGE) runserver $(HOST)

# The whole suite. DATABASE_URL and REDIS_URL choose PostgreSQL and Redis (CI sets both);
# without them it runs on SQLite with in-process tasks and says what it skipped. It runs on
# every core (pytest-xdist, one test database per worker); PYTEST_ARGS="-n 0" runs it in one.
# Every run is in a new random order (pytest-randomly; the seed is printed first and last):
# PYTEST_ARGS="--randomly-seed=N" repeats an order, "-p no:randomly" runs files in order.
test: $(VENV)/.installed-dev
	$(VENV)/bin/pytest -n auto $(PYTEST_ARGS)

# The whole suite in one process and one database, in a random order: every test shares its
# database and its process with all the others (the flushing ones included), not with the
# share xdist happened to give its worker. Slower than `make test` on several cores; run it
# before a release or when a test fails only sometimes.
test-serial: $(VENV)/.installed-dev
	$(VENV)/bin/pytest -n 0 $(PYTEST_ARGS)

e2e: $(VENV)/.installed-dev
	$(VENV)/bin/pytest tests/e2e $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Re-extract both catalogues, compile them and list what still needs a Chinese translation.
# English msgstrs are filled from the (English) source strings.
messages: $(VENV)/.installed-dev
	$(PY) -m logistics.catalogues update
	$(MANAGE) compilemessages --ignore '.venv/*'
	$(PY) -m logistics.catalogues missing

check-deploy: $(VENV)/.installed
	DEBUG=false SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))') \
	  ALLOWED_HOSTS=portal.example.edu.cn REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/0} \
	  $(MANAGE) check --deploy --fail-level WARNING

# Every figure of issue 12 in one table, beside a bare-Django ceiling measured in the same run:
# seeds its own PostgreSQL database at campus scale (drops and recreates logistics_bench_campus),
# serves the portal and the ceiling with gunicorn (2 sync workers), loads both alternately with
# wrk (or a Python load generator where wrk is missing). BENCH_QUICK=1 to try it in a minute.
# Then every list page and list API at ten times the demo data against its time budget (fails
# on a list over budget), and, unless BENCH_QUICK is set, move-in day: 6,450 residents checked
# in by 20 desks.
bench: $(VENV)/.installed
	$(PY) bench/campus/run.py
	$(PY) bench/lists.py
	@if [ -z "$$BENCH_QUICK" ]; then BENCH_PORT=8773 $(PY) bench/move_in/run.py; fi

# Only the list pages and APIs at ten times the demo, against their budgets (about 30 s).
bench-lists: $(VENV)/.installed
	$(PY) bench/lists.py

# Move-in day at full scale (needs PostgreSQL; drops and recreates its own database).
bench-move-in: $(VENV)/.installed
	$(PY) bench/move_in/run.py

# The nightly safety-inspection job at 300 buildings, 20,000 rooms and 30,000 residents and at a
# tenth of that: time and query count (fails when the counts differ). Needs PostgreSQL; drops
# and recreates its own database (logistics_bench_safety).
bench-safety: $(VENV)/.installed
	$(PY) bench/safety_nightly.py

# The nightly satisfaction-survey job inviting a semester survey's 30,000 residents and the
# reporters of 1,000 repairs, and a tenth of that: time, queries per batch, nobody twice. Needs
# PostgreSQL; drops and recreates its own database (logistics_bench_surveys).
bench-surveys: $(VENV)/.installed
	$(PY) bench/surveys.py

# The nightly preventive-maintenance job at 20,000 rooms and 2,000 schedules (and a tenth):
# the same queries a batch at both sizes. Drops and recreates logistics_bench_preventive.
bench-preventive: $(VENV)/.installed
	$(PY) bench/preventive.py

# The staff's search at 30,000 and at 3,000 residents: time and queries per kind of query, the
# queries equal at both sizes. Drops and recreates logistics_bench_search.
bench-search: $(VENV)/.installed
	$(PY) bench/search.py

bench-conn: $(VENV)/.installed
	bash bench/conn_reuse/run.sh

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache
