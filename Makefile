# Quick start: `make run` and `make test` each create .venv and install what they need.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CONFIG ?= config.example.yaml

.PHONY: install run test lint format clean

install: $(STAMP)

$(STAMP): pyproject.toml requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt -e .
	touch $(STAMP)

run: install
	$(BIN)/tollway serve --config $(CONFIG)

test: install
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check lambda tests
	$(BIN)/mypy

format: install
	$(BIN)/ruff format lambda tests
	$(BIN)/ruff check --fix lambda tests

clean:
	rm -rf $(VENV) .tollway .pytest_cache .mypy_cache .ruff_cache
