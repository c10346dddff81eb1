# Two commands: `make demo` runs the whole system, `make test` runs every check.
# Both set up what they need: Debian packages (as root), a virtual environment, Python packages.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEBIAN_PACKAGES := postgresql snmp cups-ipp-utils dbus nginx-light chromium systemd testssl.sh
# Japanese glyphs for the console's browser tests and screenshots.
DEBIAN_PACKAGES += fonts-ipafont-gothic
STAMP_DEBIAN := $(VENV)/.debian-packages
STAMP_PYTHON := $(VENV)/.python-packages
DURATION ?=
FUZZ_CASES ?= 1000
# Two test processes: much of a test's time is waiting on other processes (centers,
# agents, snmpsim, PostgreSQL, a browser), which the other process fills. A module's
# tests that share a fixture stay in one process (tests/conftest.py, `--dist loadgroup`).
TEST_WORKERS ?= 2

.PHONY: demo test lint typecheck unit integration e2e fuzz scan bench setup clean screenshots

setup: $(STAMP_DEBIAN) $(STAMP_PYTHON)

$(STAMP_DEBIAN): Makefile
	@missing=""; for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		if [ "$$(id -u)" != 0 ]; then echo "run as root (or install:$$missing) first" >&2; exit 1; fi; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	@mkdir -p $(VENV) && touch $@

$(STAMP_PYTHON): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $@

demo: setup
	$(BIN)/remotecare demo $(if $(DURATION),--duration $(DURATION))

lint: setup
	$(BIN)/ruff check src tests $(wildcard bench)
	$(BIN)/ruff format --check src tests $(wildcard bench)

typecheck: setup
	$(BIN)/mypy

unit: setup
	$(BIN)/pytest -q tests/unit

integration: setup
	$(BIN)/pytest -q tests/integration

e2e: setup
	$(BIN)/pytest -q tests/e2e

test: setup lint typecheck
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadgroup tests

# The device API's schema fuzz with at least FUZZ_CASES cases (`make test` sends fewer).
fuzz: setup
	REMOTECARE_FUZZ_CASES=$(FUZZ_CASES) $(BIN)/pytest -q tests/integration/test_fuzz_device_api.py

# testssl.sh against both ports of a test center (about a minute and a half).
scan: setup
	REMOTECARE_TLS_SCAN=1 $(BIN)/pytest -q tests/e2e/test_testssl.py

bench: setup
	$(BIN)/python bench/ingest.py

# PNGs of the console's main pages in English and Japanese, for the README.
screenshots: setup
	REMOTECARE_SCREENSHOTS=docs/screenshots $(BIN)/pytest -q tests/e2e/test_console_screenshots.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
