# The README's two commands: `make run` and `make test`. Both set everything up from nothing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCALES := bot/locale

.PHONY: run test lint typecheck pytest install i18n bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP) i18n

# Compiles the gettext catalogs (.po → .mo) that the bot loads at run time.
i18n: $(STAMP)
	$(BIN)/pybabel compile --domain messages --directory $(LOCALES) --use-fuzzy --statistics 2>/dev/null || true

run: install
	$(BIN)/python -m bot db upgrade
	$(BIN)/python -m bot data load --demo
	$(BIN)/python -m bot run

lint: $(STAMP)
	$(BIN)/ruff check bot notificaciones tests bench
	$(BIN)/ruff format --check bot notificaciones tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: install
	$(BIN)/python -m pytest

test: lint typecheck pytest

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) mies_conecta.db*
