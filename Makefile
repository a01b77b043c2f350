# The two README commands. Both bootstrap .venv themselves, so a fresh clone needs nothing but Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
FLASK := $(BIN)/flask --app app

.PHONY: run test install install-dev translations lint audit bench crash clean

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

# Security audit (CI runs it after the tests): bandit over our code, every finding fixed or justified where it
# stands (`# nosec <id> # why`), then pip-audit over the installed environment. --strict makes a package the
# advisory service cannot look up fail the audit instead of passing unaudited; when that happens (the service
# unreachable, or a registry mirror without PyPI's JSON API) the target says so and fails, unless
# AUDIT_OFFLINE_OK=1 turns it into a warning. No pip-audit finding is ignored: a vulnerable pin is upgraded.
audit: install-dev
	@# bandit warns about every other node of a statement carrying a `# nosec`: that noise is dropped, findings stay.
	@$(BIN)/bandit -q -r compliance marketplace -c pyproject.toml 2>$(VENV)/bandit.err; status=$$?; \
	grep -v 'nosec encountered' $(VENV)/bandit.err >&2; rm -f $(VENV)/bandit.err; exit $$status
	@out=$$($(BIN)/pip-audit --strict --skip-editable --progress-spinner off 2>&1); status=$$?; \
	if [ $$status -eq 0 ]; then echo "$$out"; \
	elif echo "$$out" | grep -q "could not be audited"; then \
		echo "$$out" | grep -m1 "could not be audited" >&2; \
		echo "pip-audit: the advisory service could not look up the dependencies (unreachable, or a mirror without PyPI's JSON API): dependencies NOT audited" >&2; \
		[ -n "$(AUDIT_OFFLINE_OK)" ] || exit 1; \
	else echo "$$out"; exit $$status; fi

# The benchmarks, in order, each printing its figures against a baseline measured in the same run and writing
# bench/results/<name>.json; bench/summary.py ends with one line per benchmark (figure, baseline, ratio, target).
# - scan (bench/scan_bench.py; SIZE_MB=1024 make bench for the 1 GB figure) against grep -cP;
# - certificate log (bench/proof_bench.py: 100,000 certificates, proofs at 10^3, 10^5, 10^6 leaves;
#   PROOF_ARGS=--quick for the small run) against reading one node;
# - catalog search (bench/catalog_bench.py) on SQLite and, when DATABASE_URL is set or PostgreSQL answers on
#   127.0.0.1, on PostgreSQL (CATALOG_ARGS=--keep reuses the loaded catalogs; the 10^6 load takes about 26 min;
#   CATALOG_PG=0 skips the PostgreSQL part), against the raw SQL replay;
# - HTTP (bench/http_bench.py: listing API and pages) and delivery (bench/delivery_bench.py: consent-gated records)
#   under gunicorn -w 2 driven by wrk, against a hello-world Flask app under the same settings; on PostgreSQL too
#   when DATABASE_URL is set (a scratch database, dropped);
# - registration (bench/registration_bench.py) through the services, against its bare commits.
# HTTP_ARGS, DELIVERY_ARGS, REGISTRATION_ARGS pass options (--quick for a few seconds each; --help for the rest).
SIZE_MB ?= 200
PROOF_ARGS ?=
CATALOG_SIZES_SQLITE ?= 10000,100000
CATALOG_SIZES_PG ?= 10000,100000,1000000
CATALOG_ARGS ?=
CATALOG_PG ?= 1
HTTP_ARGS ?=
DELIVERY_ARGS ?=
REGISTRATION_ARGS ?=
bench: install
	@# wrk (Debian's package) drives the HTTP benches: installed here when running as root, as .ci/run does.
	@command -v wrk >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
		else echo "wrk not found: install it with 'sudo apt-get install wrk', then run make bench again" >&2; exit 1; fi; }
	$(BIN)/python bench/scan_bench.py --size-mb $(SIZE_MB)
	$(BIN)/python bench/proof_bench.py $(PROOF_ARGS)
	$(BIN)/python bench/catalog_bench.py --db sqlite --sizes $(CATALOG_SIZES_SQLITE) $(CATALOG_ARGS)
ifeq ($(CATALOG_PG),0)
	@echo "CATALOG_PG=0: the catalog bench on PostgreSQL is skipped (the summary shows its last figures, if any)"
else
	$(BIN)/python bench/catalog_bench.py --db postgresql --sizes $(CATALOG_SIZES_PG) \
		$(if $(DATABASE_URL),,--skip-unavailable) $(CATALOG_ARGS)
endif
	$(BIN)/python bench/http_bench.py $(HTTP_ARGS)
	$(BIN)/python bench/delivery_bench.py $(DELIVERY_ARGS)
	$(BIN)/python bench/registration_bench.py $(REGISTRATION_ARGS)
	$(BIN)/python bench/summary.py

# Crash consistency (tests/crash/harness.py): writers with idempotency keys under gunicorn, kill -9 at random moments,
# restart, verify; one JSON summary, non-zero on any lost or duplicated write or failed check.
# CRASH_ARGS="--db postgresql" runs it on a scratch PostgreSQL database.
CRASH_ROUNDS ?= 50
CRASH_ARGS ?=
crash: install-dev
	$(BIN)/python -m tests.crash.harness --rounds $(CRASH_ROUNDS) $(CRASH_ARGS)

clean:
	rm -rf $(VENV) instance/exchange.db*
