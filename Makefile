# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

LOCALES := en es pt_BR fr sw ar
CATALOGS := $(foreach l,$(LOCALES),i18n/translations/$(l)/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGS:.po=.mo)

.PHONY: run test test-fast lint format clean i18n bench

# The virtualenv is rebuilt when pyproject.toml changes.
$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# Compiled catalogs are build products: made from the committed .po files when needed.
i18n/translations/%/LC_MESSAGES/messages.mo: i18n/translations/%/LC_MESSAGES/messages.po $(BIN)/.installed
	$(BIN)/pybabel compile -d i18n/translations -l $*

# Extract interface strings, merge them into every catalog, compile.
i18n: $(BIN)/.installed
	$(BIN)/pybabel extract -F i18n/babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		--project Pathways -o i18n/messages.pot .
	$(BIN)/pybabel update -i i18n/messages.pot -d i18n/translations --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d i18n/translations

run: $(BIN)/.installed $(COMPILED)
	$(FLASK) db upgrade
	$(FLASK) surveys load
	@echo
	@echo "  Pathways is running. The intake survey: http://$(HOST):$(PORT)/s/intake"
	@echo
# The background jobs' worker (exports, sends from the admin area) runs beside the
# server, on the SQLite queue in the instance folder, and stops when the server does.
	$(FLASK) jobs worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host $(HOST) --port $(PORT)

# The layers (docs/architecture.md, .importlinter) and the types are checked before the suite.
test: $(BIN)/.installed $(COMPILED)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The suite without the tests marked slow or browser: for the edit-test loop.
test-fast: $(BIN)/.installed $(COMPILED)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -m "not slow and not browser" $(PYTEST_ARGS)

# Load and fault checks, then the submission benchmark, on loopback (needs PostgreSQL);
# prints a table and writes bench/results.md. Takes a few minutes.
bench: $(BIN)/.installed $(COMPILED)
	$(BIN)/python -m bench $(BENCH_ARGS)
	$(BIN)/python -m bench.export --write
	$(BIN)/python -m bench.anonymisation --write

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(BIN)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis .ruff_cache *.egg-info
