# Two commands: `make run` serves the platform on SQLite with demo data; `make test` runs everything.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Drivers served by the in-memory fake: without the lab the demo's NETCONF switch is simulated.
FAKE_DRIVERS ?= netconf
# `make run` plays the demo network live: trap and syslog collectors, the poller every 30 s on
# simulated agents, and a fault script (ossbss.demo.live).
LIVE ?= OSSBSS_DEMO_LIVE=1 OSSBSS_SNMP_TRAP_ENABLED=1 OSSBSS_SYSLOG_ENABLED=1 \
	OSSBSS_POLLER_ENABLED=1 OSSBSS_POLLER_INTERVAL_SECONDS=30
STAMP := $(VENV)/.installed-stamp

.PHONY: install lab-install lab run test lint unit bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The real peers (FreeRADIUS, netconfd behind OpenSSH) from Debian, for the lab and the tests.
lab-install:
	scripts/install-lab.sh

# FreeRADIUS on the configured database and the NAS simulator, on loopback; `ossbss lab down` stops them.
lab: install lab-install
	$(BIN)/ossbss lab up

run: install
	$(BIN)/ossbss db upgrade
	OSSBSS_FAKE_DRIVERS=$(FAKE_DRIVERS) $(BIN)/ossbss demo load --if-empty
	OSSBSS_PORT=$(PORT) $(BIN)/ossbss demo logins
	OSSBSS_FAKE_DRIVERS=$(FAKE_DRIVERS) $(LIVE) $(BIN)/ossbss serve --port $(PORT)

lint: install
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/mypy
	$(BIN)/lint-imports

unit: install
	$(BIN)/pytest

# The whole suite on SQLite, then again on a throwaway PostgreSQL cluster.
test: lint lab-install
	$(BIN)/pytest
	scripts/with-postgres.sh $(BIN)/pytest

bench: install
	$(BIN)/python bench/tmf_api.py

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
