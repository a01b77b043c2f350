# The two README commands. Both bootstrap .venv themselves, so a fresh clone needs nothing but Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
FLASK := $(BIN)/flask --app app

.PHONY: run test install install-dev translations lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall only when the dependency list changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

# Prism, the Stripe API mock the payment tests start (tests/stripe_server.py), pinned in tests/stripe/package-lock.json.
# Reinstalled when the lock file changes. Without npm it is left out (those tests then skip), except under CI.
PRISM := tests/stripe/node_modules/.bin/prism
$(PRISM): tests/stripe/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix tests/stripe --no-audit --no-fund --loglevel=error && touch $@; \
	elif [ -n "$$CI" ]; then \
		echo "npm not found: CI needs Node.js and npm for the Stripe mock (Prism)" >&2; exit 1; \
	else \
		echo "npm not found: skipping Prism; the Stripe mock tests will be skipped" >&2; \
	fi

install: $(VENV)/.installed translations
install-dev: $(VENV)/.installed-dev $(PRISM) translations

translations: | $(BIN)/python
	@if [ -x $(BIN)/pybabel ] && [ -d translations ]; then $(BIN)/pybabel --quiet compile -d translations; fi

run: install
	$(FLASK) db upgrade
	$(FLASK) demo load
	$(BIN)/gunicorn --bind 127.0.0.1:$(PORT) --workers 2 --access-logfile - app:app

test: install-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/pytest

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# The benchmarks: the scan (bench/scan_bench.py; SIZE_MB=1024 make bench for the 1 GB figure), the
# certificate log (bench/proof_bench.py: 100,000 certificates, proofs at 10^3, 10^5, 10^6 leaves;
# PROOF_ARGS=--quick for the small run), then catalog search (bench/catalog_bench.py) on SQLite and, when
# DATABASE_URL is set or PostgreSQL answers on 127.0.0.1, on PostgreSQL (CATALOG_ARGS=--keep reuses the
# loaded catalogs; the 10^6 load takes a while).
SIZE_MB ?= 200
PROOF_ARGS ?=
CATALOG_SIZES_SQLITE ?= 10000,100000
CATALOG_SIZES_PG ?= 10000,100000,1000000
CATALOG_ARGS ?=
bench: install
	$(BIN)/python bench/scan_bench.py --size-mb $(SIZE_MB)
	$(BIN)/python bench/proof_bench.py $(PROOF_ARGS)
	$(BIN)/python bench/catalog_bench.py --db sqlite --sizes $(CATALOG_SIZES_SQLITE) $(CATALOG_ARGS)
	$(BIN)/python bench/catalog_bench.py --db postgresql --sizes $(CATALOG_SIZES_PG) \
		$(if $(DATABASE_URL),,--skip-unavailable) $(CATALOG_ARGS)

clean:
	rm -rf $(VENV) instance/exchange.db*
