# The README's two commands: `make demo` and `make test`. Each does the whole,
# idempotent setup first (venv, Python deps, npm deps, Postgres binaries, contracts), then its job.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := .keel/setup
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get

.PHONY: demo test setup postgres chromium lint bench clean

demo: setup
	$(BIN)/keel demo

test: setup
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/pytest -q

setup: $(STAMP)/python $(STAMP)/npm postgres chromium
	$(BIN)/keel contracts build

# The Postgres server binaries (initdb, postgres) that the storage tests and bench/orderbook_load.py
# start their own throwaway server from (keel/db/localpg.py). No server is configured or started
# here. Debian's package when missing (apt-get update only if the first try fails); silent when
# already there. KEEL_PG_BIN points at another bin/ folder instead.
postgres:
	@ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || [ -x "$$KEEL_PG_BIN/postgres" ] \
	  || { command -v postgres && command -v initdb; } >/dev/null 2>&1 \
	  || { echo "setup: installing Debian's postgresql (server binaries for the storage tests)"; \
	       $(APT) install -y -qq postgresql >/dev/null 2>&1 \
	       || { $(APT) update -qq >/dev/null && $(APT) install -y -qq postgresql >/dev/null; }; }

# Debian's chromium, which the explorer's browser test drives headless through Playwright
# (executable_path=/usr/bin/chromium: Playwright downloads no browser). Silent when already there.
chromium:
	@[ -x /usr/bin/chromium ] \
	  || { echo "setup: installing Debian's chromium (the explorer's browser test)"; \
	       $(APT) install -y -qq chromium >/dev/null 2>&1 \
	       || { $(APT) update -qq >/dev/null && $(APT) install -y -qq chromium >/dev/null; }; }

$(STAMP)/python: pyproject.toml
	@mkdir -p $(STAMP)
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -e '.[dev]'
	@touch $@

$(STAMP)/npm: package.json package-lock.json
	@mkdir -p $(STAMP)
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

bench: setup
	$(BIN)/python bench/orderbook_load.py
	$(BIN)/python bench/routing.py
	$(BIN)/python bench/routing_worst.py
	$(BIN)/python bench/settlement_gas.py
	$(BIN)/python bench/auction.py
	$(BIN)/python bench/backtest.py
	$(BIN)/python bench/dp.py
	$(BIN)/python bench/hedging.py

clean:
	rm -rf $(VENV) node_modules build .keel
