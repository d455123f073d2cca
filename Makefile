# base_ops developer tasks (GNU make). Every target bootstraps what it needs.
#
#   make run        set up, migrate, seed the demo data, print logins, serve
#   make logins     reprint the demo logins with current TOTP codes
#   make test       unit/integration tests (SQLite, or TEST_DATABASE_URL if set)
#   make test-pg    the same tests on PostgreSQL (PG_TEST_URL)
#   make e2e        browser tests (Playwright + /usr/bin/chromium)
#   make bench      benchmarks in tests/perf (PostgreSQL, PG_BENCH_URL; seeds province scale once)
#   make load       load + faults: own PostgreSQL, Redis, gunicorn, locust (tests/load; LOAD_ARGS="--duration 90")
#   make lint       ruff;  make typecheck: mypy
#   make clean      remove .venv, the SQLite databases and caches
#
# Extra pytest options: make test PYTEST_ARGS="-x -k login"

PYTHON      ?= python3
VENV        := .venv
BIN         := $(VENV)/bin
STAMP       := $(VENV)/.installed
HOST        ?= 127.0.0.1
PORT        ?= 5000
PYTEST_ARGS ?=
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
PG_BENCH_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/bench

export FLASK_APP := base_ops
# The venv's tools (flask, pybabel, pytest, ...) come first for every recipe and script.
export PATH := $(CURDIR)/$(BIN):$(PATH)
unexport VIRTUAL_ENV PYTHONHOME

FLASK  := $(BIN)/flask
PYTEST := $(BIN)/python -m pytest

# $(call run_pytest,ARGS[,ENV]) -- pytest exit code 5 (no tests collected) is a
# failure for test/test-pg/e2e; say so clearly instead of a bare "Error 5".
define run_pytest
	@echo "$(strip $(2) pytest $(1) $(PYTEST_ARGS))"
	@rc=0; $(2) $(PYTEST) $(1) $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "ERROR: pytest collected no tests ($(1))" >&2; fi; \
	exit $$rc
endef

UNIT_ARGS := -m 'not e2e and not perf'

.PHONY: venv translations db run logins test test-pg e2e bench load lint typecheck clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -e '.[dev]'
	@touch $@

translations: $(STAMP)
	@if [ -f scripts/i18n.sh ]; then bash scripts/i18n.sh compile; \
	else echo "note: scripts/i18n.sh not found, skipping translation compile"; fi

db: translations
	$(FLASK) db upgrade
	$(FLASK) seed demo

run: db
	@echo
	@echo "================================================================"
	@echo "  base_ops is starting at  http://$(HOST):$(PORT)"
	@echo "================================================================"
	@$(FLASK) seed demo-logins
	@echo "----------------------------------------------------------------"
	@echo "  TOTP codes change every 30 s; run 'make logins' to reprint them."
	@echo "  Stop the server with Ctrl+C."
	@echo "================================================================"
	@echo
	$(FLASK) run --host $(HOST) --port $(PORT)

logins: $(STAMP)
	@$(FLASK) seed demo-logins

test: translations
	$(call run_pytest,$(UNIT_ARGS))

test-pg: translations
	$(call run_pytest,$(UNIT_ARGS),TEST_DATABASE_URL='$(PG_TEST_URL)')

e2e: translations
	$(call run_pytest,tests/e2e -m e2e)

# The bench has its own PostgreSQL database (created, migrated and seeded at province scale on
# the first run, several minutes), never the `test` one: TEST_DATABASE_URL is unset for it.
bench: translations
	@rc=0; env -u TEST_DATABASE_URL PG_BENCH_URL='$(PG_BENCH_URL)' $(PYTEST) tests/perf -m perf -s $(PYTEST_ARGS) \
		|| rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "note: no benchmarks collected in tests/perf (nothing to run)"; exit 0; fi; \
	exit $$rc

# The load and fault scenario (issue 8): starts its own PostgreSQL cluster, Redis and gunicorn on free
# loopback ports, never the shared 5432/6379; tears everything down; exits non-zero if a check fails.
load: translations
	$(BIN)/python tests/load/run.py $(LOAD_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

clean:
	rm -rf $(VENV) instance/*.sqlite3 .pytest_cache .ruff_cache .mypy_cache
	find . -name __pycache__ -type d -prune -not -path './.git/*' -exec rm -rf {} +
