# prebill: `make demo` installs, loads the demo portfolio and serves it; `make test` runs every check.
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
PG_URL  ?= postgresql://postgres@127.0.0.1:5432/prebill
WORKERS ?= 2
PORT    ?= 8000

.PHONY: install demo serve browser test test-sqlite test-postgres lint bench clean messages

install: $(STAMP)

$(STAMP): pyproject.toml
	scripts/ensure-pango.sh
	test -x $(BIN)/python || python3 -m venv $(VENV)
	test -x $(BIN)/uv || $(BIN)/pip install -q uv
	$(BIN)/uv pip install -q --python $(BIN)/python -e '.[dev]'
	touch $(STAMP)

demo: install
	$(BIN)/prebill migrate
	$(BIN)/prebill demo --address 127.0.0.1:$(PORT)
	$(BIN)/prebill serve --address 127.0.0.1:$(PORT) --pa-simulator

serve: install
	$(BIN)/prebill serve --address 127.0.0.1:$(PORT)

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/lint-imports --no-cache

browser:
	scripts/ensure-chromium.sh

test-sqlite: install browser
	scripts/ensure-redis.sh
	$(BIN)/pytest -n $(WORKERS)

test-postgres: install browser
	scripts/ensure-postgres.sh
	scripts/ensure-redis.sh
	PREBILL_DATABASE_URL=$(PG_URL) $(BIN)/pytest -n $(WORKERS)

test: lint test-sqlite test-postgres

bench: install
	$(BIN)/python benchmarks/floor_bench.py
	$(BIN)/python benchmarks/monthly_run.py
	$(BIN)/python benchmarks/documents.py
	$(BIN)/python benchmarks/invoices_page.py
	$(BIN)/python benchmarks/pre_invoice_page.py

clean:
	rm -rf $(VENV) var build src/*.egg-info

# French catalog: extract the strings, then translate in src/prebill/locale/fr/LC_MESSAGES/django.po
# and compile; the compiled .mo is committed so that installs need no gettext.
messages: install
	cd src/prebill && ../../$(BIN)/python -m django makemessages -l fr --settings=prebill.config.settings -i "demo/*" --no-obsolete
	cd src/prebill && ../../$(BIN)/python -m django compilemessages --settings=prebill.config.settings
