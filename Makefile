# The README's two commands: `make demo` and `make test`. Each does the whole,
# idempotent setup first (venv, Python deps, npm deps, contracts), then its job.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := .keel/setup

.PHONY: demo test setup lint bench clean

demo: setup
	$(BIN)/keel demo

test: setup
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/pytest -q

setup: $(STAMP)/python $(STAMP)/npm
	$(BIN)/keel contracts build

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
	$(BIN)/python bench/routing.py
	$(BIN)/python bench/settlement_gas.py
	$(BIN)/python bench/auction.py
	$(BIN)/python bench/backtest.py
	$(BIN)/python bench/dp.py
	$(BIN)/python bench/hedging.py

clean:
	rm -rf $(VENV) node_modules build .keel
