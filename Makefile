# Rota: make run (web, worker and scheduler with demo data), make test, make lint, make bench.
# make coverage runs the tests with branch coverage and fails under the floor in pyproject.toml.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# The address the web server listens on. The demo runs with DEBUG on and published passwords,
# so only this machine can reach it unless you choose otherwise (HOST=0.0.0.0).
HOST ?= 127.0.0.1
PYTEST_ARGS ?=

.PHONY: install test-deps run test coverage schemathesis lint format bench migrate seed clean

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

# The sign-in tests run a real OpenID Connect provider (oidc-provider) under Node.js (tests/oidc).
OIDC_DEPS := tests/oidc/node_modules/.package-lock.json

$(OIDC_DEPS): tests/oidc/package.json tests/oidc/package-lock.json
	@command -v npm >/dev/null || { echo "make test needs Node.js 20+ with npm (apt-get install nodejs npm)" >&2; exit 1; }
	npm ci --prefix tests/oidc --prefer-offline --no-audit --no-fund --loglevel=error

test-deps: install $(JS_DEPS) $(OIDC_DEPS)

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo --if-empty

run: seed
	@echo ""
	@echo "Rota is starting on http://$(HOST):$(PORT)/   (listening on $(HOST) only; HOST=0.0.0.0 make run opens it to the network)"
	@echo "  portal   http://$(HOST):$(PORT)/"
	@echo "  admin    http://$(HOST):$(PORT)/admin/"
	@echo "  API      http://$(HOST):$(PORT)/api/v1/   (docs: http://$(HOST):$(PORT)/api/docs/)"
	@echo "  mail     var/mail/"
	@$(PY) manage.py demo_reminder --if-needed
	@$(PY) manage.py seed_demo --print-logins
	@case "$(HOST)" in 127.*|localhost|::1) ;; *) echo "WARNING: listening on $(HOST) with DEBUG on and the demo passwords above: anyone who can reach this machine can sign in as admin.";; esac
	@mkdir -p var/broker/queue var/broker/control
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" ROTA_HOST=$(HOST) ROTA_PORT=$(PORT) ROTA_SITE_URL=$${ROTA_SITE_URL:-http://localhost:$(PORT)} \
		$(VENV)/bin/honcho -f Procfile.dev start

test: test-deps
	$(PY) -m pytest $(PYTEST_ARGS)

# The suite measuring branch coverage of the application ([tool.coverage] in pyproject.toml):
# it fails when the total falls under fail_under. CI's SQLite leg runs this.
coverage: test-deps
	$(PY) -m pytest --cov --cov-report=term $(PYTEST_ARGS)

# Generated requests for every operation of /api/schema/, as a staff manager of the demo
# organisation: no 5xx, and every status, content type and body as documented (a few minutes).
schemathesis: install
	$(PY) -m pytest -m schemathesis tests/portal/test_schemathesis.py -p no:cacheprovider $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) tests/js/node_modules tests/oidc/node_modules db.sqlite3 staticfiles .pytest_cache .ruff_cache .coverage
