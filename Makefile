# Two commands for a fresh machine with Python 3.11+:
#   make serve   install, migrate, load demo data, serve GraphiQL on http://127.0.0.1:8000/graphql
#   make test    install and run the whole test suite (SQLite; PostgreSQL/Redis when configured)
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Exact versions from the lock files (requirements*.txt, made from pyproject.toml by `make lock`);
# the project itself is installed without resolving anything again.
$(VENV)/.installed: pyproject.toml requirements-test.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-test.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

install: $(VENV)/.installed

serve: install
	DEBUG=true $(BIN)/python -m manage migrate
	DEBUG=true $(BIN)/python -m manage seed-demo
	DEBUG=true $(BIN)/python -m uvicorn app:app --host $(HOST) --port $(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# ruff (lint + format check) and import-linter (layers, no cycles)
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# The schema change policy: graphql-inspector (npm, pinned in tools/schema-check) fails on a
# breaking change of schema.graphql against schema/released.graphql, the last released schema.
SCHEMA_CHECK = tools/schema-check
$(SCHEMA_CHECK)/node_modules/.installed: $(SCHEMA_CHECK)/package-lock.json
	cd $(SCHEMA_CHECK) && npm ci --no-audit --no-fund --silent
	touch $@

schema-check: $(SCHEMA_CHECK)/node_modules/.installed
	cd $(SCHEMA_CHECK) && npx --no-install graphql-inspector diff ../../schema/released.graphql ../../schema.graphql

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/python bench/graphql_vs_bare.py

# Re-resolve the lock files after changing pyproject.toml's dependencies (uses uv, from PyPI).
lock: | $(BIN)/python
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 -q -o requirements.txt --custom-compile-command "make lock"
	$(BIN)/uv pip compile pyproject.toml --extra test --universal --python-version 3.11 -q -o requirements-test.txt --custom-compile-command "make lock"

migrations: install
	$(BIN)/python -m manage makemigrations

.PHONY: install serve test lint schema-check format lock bench migrations
