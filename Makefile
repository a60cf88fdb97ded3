# Convoca — the two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
STAMP := $(VENV)/.installed
CATALOGS := app/translations
PO := $(wildcard $(CATALOGS)/*/LC_MESSAGES/messages.po)
MO := $(PO:.po=.mo)

.PHONY: run serve test lint format bench clean translations update-translations lighthouse

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  echo "Installing python3-venv (needs apt)…"; \
	  apt-get update -qq && apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); }

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

# Compiled catalogs are build products, made from the .po files on every setup.
%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile --statistics -i $< -o $@

translations: $(MO)

## update-translations: extract new strings and merge them into every catalog
update-translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output -o $(CATALOGS)/messages.pot .
	$(BIN)/pybabel update -i $(CATALOGS)/messages.pot -d $(CATALOGS) --no-fuzzy-matching

## run: set everything up and serve the demo at http://127.0.0.1:5000 (mail to instance/mail/)
run: $(STAMP) translations
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	@echo "Email goes to instance/mail/*.eml (no MAIL_SERVER set). Ctrl-C stops everything."
	@trap 'kill 0' EXIT INT TERM; \
	  $(FLASK) send-mail --loop & \
	  $(FLASK) run --host 127.0.0.1 --port 5000

## serve: production server (gunicorn, several workers); needs SECRET_KEY and DATABASE_URL.
## Run the mail worker beside it: `flask --app wsgi send-mail --loop` (see docs/deploy.md).
serve: $(STAMP) translations
	CONVOCA_ENV=production $(FLASK) db upgrade
	CONVOCA_ENV=production $(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

# Debian's Chromium for the browser tests (Playwright drives it; it never downloads a browser).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	DEBIAN_FRONTEND=noninteractive apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

# Debian's Redis for the tests of shared rate limits (they start their own server, never the
# system service).
REDIS_SERVER := /usr/bin/redis-server
$(REDIS_SERVER):
	DEBIAN_FRONTEND=noninteractive apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server

# Debian's Dovecot for the tests of `receive-mail --imap` (they start their own server on
# 127.0.0.1). The package would also start a system IMAP server on every interface: stopped.
DOVECOT := /usr/sbin/dovecot
$(DOVECOT):
	DEBIAN_FRONTEND=noninteractive apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd
	-systemctl disable --now dovecot.service dovecot.socket 2>/dev/null

# Lighthouse for tests/browser/test_lighthouse.py: Node.js from Debian when there is no npm,
# then the pinned npm package under build/ (it drives the same Debian Chromium).
LIGHTHOUSE := build/lighthouse/node_modules/.bin/lighthouse
LIGHTHOUSE_VERSION := 12.8.2
$(LIGHTHOUSE):
	@command -v npm >/dev/null || { \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; }
	npm install --prefix build/lighthouse --no-audit --no-fund --loglevel=error \
	  lighthouse@$(LIGHTHOUSE_VERSION)

## lighthouse: the public pages' Lighthouse scores on a phone (see docs/quality.md)
lighthouse: $(STAMP) translations $(CHROMIUM) $(LIGHTHOUSE)
	$(BIN)/pytest tests/browser/test_lighthouse.py

## test: lint, format check, then the whole suite on SQLite and on a throwaway PostgreSQL
test: $(STAMP) translations $(CHROMIUM) $(LIGHTHOUSE) $(REDIS_SERVER) $(DOVECOT)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	scripts/test-suite.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# wrk puts the load on the servers the page benchmark starts.
WRK := /usr/bin/wrk
$(WRK):
	DEBIAN_FRONTEND=noninteractive apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk

## bench: measurements recorded in docs/performance.md
bench: $(STAMP) translations $(WRK)
	@trap 'scripts/pg-cluster.sh stop' EXIT && $(BIN)/python -m bench

clean:
	-scripts/pg-cluster.sh stop
	rm -rf $(VENV) build .pytest_cache .coverage htmlcov
