# Rota: make run (web, worker and scheduler with demo data), make test, make lint, make bench.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: install test-deps run test lint format bench migrate seed clean

$(VENV)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("Rota needs Python 3.11+") if sys.version_info < (3, 11) else None'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	touch $@

install: $(VENV)/.installed

# The feed tests also read feeds with ical.js under Node.js (tests/js, pinned by its lock file).
# npm ci writes node_modules/.package-lock.json, so this reruns only when the lock changes.
JS_DEPS := tests/js/node_modules/.package-lock.json

$(JS_DEPS): tests/js/package.json tests/js/package-lock.json
	@command -v npm >/dev/null || { echo "make test needs Node.js 20+ with npm (apt-get install nodejs npm)" >&2; exit 1; }
	npm ci --prefix tests/js --prefer-offline --no-audit --no-fund --loglevel=error

test-deps: install $(JS_DEPS)

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo --if-empty

run: seed
	@echo ""
	@echo "Rota is starting on http://localhost:$(PORT)/"
	@echo "  portal   http://localhost:$(PORT)/"
	@echo "  admin    http://localhost:$(PORT)/admin/"
	@echo "  API      http://localhost:$(PORT)/api/v1/   (docs: http://localhost:$(PORT)/api/docs/)"
	@echo "  mail     var/mail/   (alice.martin's demo reminder arrives about a minute after start-up)"
	@$(PY) manage.py seed_demo --print-logins
	@mkdir -p var/broker/queue var/broker/control
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" ROTA_PORT=$(PORT) ROTA_SITE_URL=$${ROTA_SITE_URL:-http://localhost:$(PORT)} \
		$(VENV)/bin/honcho -f Procfile.dev start

test: test-deps
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) tests/js/node_modules db.sqlite3 staticfiles .pytest_cache .ruff_cache
