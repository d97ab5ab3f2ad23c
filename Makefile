# The two commands of the README: `make run` (the app, embedded) and `make test` (the whole suite).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint venv dev-venv system-deps bench clean

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

test: system-deps dev-venv lint
	$(BIN)/pytest

bench: dev-venv
	$(BIN)/python bench/overview_queries.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
