# The two commands a fresh machine needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell sha256sum pyproject.toml | cut -c1-12)

.PHONY: demo test install chromium lint format clean-demo workers messages

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev,demo]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

## Set up, migrate the SQLite database in ./var, load the demo center and serve it on :8000.
demo: $(STAMP)
	$(BIN)/homecoming migrate
	$(BIN)/homecoming demo
	@echo
	@echo "Open http://127.0.0.1:8000/ and log in with one of the accounts above."
	$(BIN)/homecoming serve --host 127.0.0.1 --port 8000

## Debian's Chromium drives the browser tests (Playwright cannot download its own here); the
## sqlite3 command is one the docs show (docs/ledger.md), and the suite runs every such command;
## GNU gettext builds the translation catalogs (`make messages`, tests/core/test_translatable.py).
## axe-core, the accessibility checker the browser tests load into each page, is the exact
## version tests/browser/package-lock.json pins, installed from the npm registry by `npm ci`
## (Debian's npm when node's is missing); nothing is downloaded while the tests run.
AXE := tests/browser/node_modules/axe-core/axe.min.js

chromium: $(AXE)
	@{ command -v chromium && command -v sqlite3 && command -v msgfmt; } >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium, sqlite3 and gettext for the tests..."; \
	  apt-get update -q >/dev/null && apt-get install -y -q chromium sqlite3 gettext >/dev/null; }

$(AXE): tests/browser/package.json tests/browser/package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
	  echo "Installing Debian's npm for the tests..."; \
	  apt-get update -q >/dev/null && apt-get install -y -q npm >/dev/null; }
	npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
	touch $@

## Set up the same way, then run the whole suite (SQLite unless DATABASE_URL says otherwise),
## one worker per core up to four (tests/conftest.py keeps tests sharing a fixture together).
WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 1); echo $$(( n < 4 ? n : 4 )))
test: $(STAMP) chromium
	$(BIN)/pytest -n $(WORKERS) --dist loadgroup

## How many test workers `make test` starts (.ci/run's PostgreSQL run starts as many).
workers:
	@echo $(WORKERS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	PYTHONPATH=src $(BIN)/lint-imports --no-logo

format: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

## The English catalog, src/homecoming/locale/en, after words in a template change (the suite
## fails until it is run). A translation starts as a copy of it in locale/<code>: see
## docs/operations.md, "The center's language".
## Every language under locale/ is refreshed and compiled; the header's creation time is left
## out, so a catalog changes only when its strings do.
messages: $(STAMP)
	cd src/homecoming && HOMECOMING_DATA_DIR=$(CURDIR)/var ../../$(BIN)/homecoming manage \
	  makemessages --all --no-obsolete --add-location file
	sed -i '/^"POT-Creation-Date: /d' src/homecoming/locale/*/LC_MESSAGES/django.po
	cd src/homecoming && HOMECOMING_DATA_DIR=$(CURDIR)/var ../../$(BIN)/homecoming manage \
	  compilemessages

## The demo's SQLite database; the record itself cannot be deleted from inside the app.
clean-demo:
	rm -rf var
