# Partnerbot: `make run` runs the bot, `make test` runs every check. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run console test lint typecheck bench i18n clean

setup: $(STAMP)

# Reinstall only when the dependency list changes.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: setup
	$(BIN)/python -m bot run

console: setup
	$(BIN)/python -m bot console

test: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: setup
	$(BIN)/python -m benchmarks.run_all

# Babel's pybabel extracts the strings of the code (babel.cfg) into the template, then merges
# it into every catalog, keeping translations; then the check lists what is untranslated.
POT := locales/messages.pot
i18n: setup
	$(BIN)/pybabel -q extract -F babel.cfg -o $(POT) --no-default-keywords -k _ -k N_ \
		-k plural:1,2 --sort-output --no-location -w 100 --project Partnerbot --version 1 \
		--copyright-holder Partnerbot --msgid-bugs-address - .
	$(BIN)/pybabel -q update -i $(POT) -d locales -D messages --ignore-obsolete \
		--no-fuzzy-matching --ignore-pot-creation-date -w 100
	$(BIN)/python -m tools.catalogs check || true

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .import_linter_cache
