# The two commands of the README: `make run` (the app, embedded) and `make test` (the whole suite).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test test-fast lint venv dev-venv system-deps bench clean

$(BIN)/activate:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

venv: $(BIN)/activate
	$(BIN)/pip install -q -r requirements.txt

dev-venv: $(BIN)/activate
	$(BIN)/pip install -q -r requirements-dev.txt

run: venv
	$(BIN)/python app.py

system-deps:
	bash scripts/system-deps.sh

lint: dev-venv
	$(BIN)/ruff check .
	$(BIN)/mypy data layers streams dashboard app.py
	$(BIN)/lint-imports

# The documentation site (docs/, mkdocs.yml) into site/; --strict: a broken link or anchor fails it.
.PHONY: docs
docs: dev-venv
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

test: system-deps dev-venv lint docs
	$(BIN)/pytest

# The pure tests only: no PostgreSQL, Redis, RTSP or Chromium (their addresses lead nowhere here).
test-fast: dev-venv
	IOC_TEST_POSTGRES_URL=postgresql+psycopg://nobody@127.0.0.1:9/none IOC_TEST_REDIS_URL=redis://127.0.0.1:9/0 \
	IOC_TEST_CPU_BURNERS=0 $(BIN)/pytest -m "not integration" -q -p no:cacheprovider

bench: dev-venv
	$(BIN)/python bench/overview_queries.py

clean:
	rm -rf $(VENV) var site .pytest_cache .mypy_cache .ruff_cache
