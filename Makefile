# The README's two commands: `make run` and `make test`. Both set everything up from nothing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCALES := bot/locale
POT := $(LOCALES)/messages.pot
# One catalog per translated locale (Spanish is the source language and has none).
PO_FILES := $(wildcard $(LOCALES)/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)
NLU_DATA := bot/data/nlu
NLU_MODEL := $(NLU_DATA)/model.npz

.PHONY: run test lint typecheck pytest install i18n i18n-update bench clean chromium nlu-train nlu-eval

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP) i18n $(NLU_MODEL)

# The intent model (git-ignored) is built from the corpus and its settings; rebuilt when they change.
$(NLU_MODEL): $(wildcard $(NLU_DATA)/corpus/*.txt) $(NLU_DATA)/recogniser.toml $(wildcard bot/nlu/*.py) $(STAMP)
	$(BIN)/python -m bot nlu train

nlu-train: $(STAMP)
	$(BIN)/python -m bot nlu train

# Accuracy on the held-out split (per intent, confusion pairs, below-threshold rate).
nlu-eval: $(STAMP)
	$(BIN)/python -m bot nlu eval

# Compiles the gettext catalogs (.po → .mo, git-ignored) that the bot loads at run time.
# Fails on a broken .po (syntax, {placeholders}: bot/i18n_check.py); fuzzy entries are not compiled.
i18n: $(MO_FILES)

$(LOCALES)/%/LC_MESSAGES/messages.mo: $(LOCALES)/%/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/python -m bot.i18n_check $<
	$(BIN)/pybabel compile --domain messages --directory $(LOCALES) --locale $* --statistics

# Extracts every msgid (Python of bot/ and notificaciones/, text fields of bot/data/*.toml; see
# babel.cfg) into messages.pot and merges it into the English catalog (created the first time).
# Then translate the new (empty or fuzzy) entries of bot/locale/en/LC_MESSAGES/messages.po.
i18n-update: $(STAMP)
	mkdir -p $(LOCALES)
	$(BIN)/pybabel extract --mapping-file babel.cfg --keywords t --keywords tn:1,2 --keywords N_ \
		--add-comments TRANSLATORS: --no-location --sort-output --project "MIES Conecta" \
		--copyright-holder "MIES Conecta" --output-file $(POT) .
	$(BIN)/pybabel update --input-file $(POT) --output-dir $(LOCALES) --domain messages --locale en \
		--init-missing --ignore-obsolete --ignore-pot-creation-date
	$(MAKE) i18n

run: install
	$(BIN)/python -m bot db upgrade
	$(BIN)/python -m bot data load --demo
	$(BIN)/python -m bot run

lint: $(STAMP)
	$(BIN)/ruff check bot notificaciones tests bench
	$(BIN)/ruff format --check bot notificaciones tests bench
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy

# The browser tests (tests/e2e/test_panel_browser.py) drive the distribution's Chromium through
# Playwright (no browser download): installed here when missing, as root on Debian (CI), else
# the tests say how to install it and skip.
CHROMIUM ?= $(shell command -v chromium || echo /usr/bin/chromium)

chromium:
	@test -x "$(CHROMIUM)" || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
		|| echo "Chromium is missing: install it (apt-get install chromium) for the browser tests."; }

pytest: install chromium
	CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest

test: lint typecheck pytest

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) mies_conecta.db*
