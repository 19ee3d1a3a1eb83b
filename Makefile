# Two commands on a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test install install-test lint bench-audit bench-serving bench-drift bench-startup bench-explain bench-predlog clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install -q -e .

install-test: $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'

demo: install
	$(BIN)/pilotdeck demo

test: install-test
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports --no-logo
	$(BIN)/pytest

bench-audit: install
	$(BIN)/python benchmarks/audit/run.py

bench-predlog: install
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python benchmarks/predlog/run.py

bench-serving: install
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python benchmarks/serving/run.py

bench-drift: install
	$(BIN)/python benchmarks/drift/run.py

bench-startup: install
	$(BIN)/python benchmarks/startup/run.py

bench-explain: install
	$(BIN)/python benchmarks/explain/run.py

clean:
	rm -rf $(VENV) .pilotdeck build src/*.egg-info
