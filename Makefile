# Two commands on a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Feast (the `features` extra) pins pandas<3: its tests, and the pandas-sensitive ones
# again, run in a second venv with pandas 2 (README "Feature store").
FVENV := .venv-features
FBIN := $(FVENV)/bin

SHOTS := artifacts/screenshots

.PHONY: demo test test-features screenshots install install-test install-features bench-features lint bench-audit bench-serving bench-drift bench-startup bench-explain bench-quality bench-predlog bench-rollout clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# An editable install leaves pilotdeck's bytecode to the first import, which
# PYTHONDONTWRITEBYTECODE (set on some machines) then forbids: every start
# would recompile ~300 modules (~0.3 s). Compile it here, as a wheel install does.
install: $(BIN)/python
	$(BIN)/pip install -q -e .
	$(BIN)/python -m compileall -q src/pilotdeck > /dev/null

install-test: $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	$(BIN)/python -m compileall -q src/pilotdeck > /dev/null

$(FBIN)/python:
	$(PY) -m venv $(FVENV)
	$(FBIN)/python -m pip install -q --upgrade pip

install-features: $(FBIN)/python
	$(FBIN)/pip install -q -e '.[test,features]'
	$(FBIN)/python -m compileall -q src/pilotdeck > /dev/null

# The demo uses the feature store too, so it runs where Feast is installed.
demo: install-features
	$(FBIN)/pilotdeck demo

test: install-test
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports --no-logo
	# Two workers (a file stays on one worker: its fixtures are shared); the tests
	# that measure time or load the machine on purpose then run alone.
	$(BIN)/pytest -n 2 --dist loadfile -m "not serial"
	$(BIN)/pytest -m serial
	$(MAKE) test-features

# The feature store and the pandas-sensitive tests under pandas 2 (budget: 3 minutes).
test-features: install-features
	$(FBIN)/pytest --features -m "feast or pandas" -k "not spark"

# The dashboard's browser test (headless Chromium, Debian's `chromium`) screenshots every
# page for every role into $(SHOTS); the main pages are copied into docs/screenshots.
screenshots: install-test
	[ -x /usr/bin/chromium ] || (apt-get update -qq && apt-get install -y -qq chromium)
	$(BIN)/pytest -q -p no:randomly -m browser tests/e2e/test_dashboard.py
	mkdir -p docs/screenshots
	cp $(SHOTS)/admin-portfolio.png docs/screenshots/portfolio.png
	cp $(SHOTS)/platform-engineer-pilot-rollout-paused.png docs/screenshots/pilot.png
	cp $(SHOTS)/governance-board-governance.png docs/screenshots/governance.png
	cp $(SHOTS)/admin-platform.png docs/screenshots/platform.png
	cp $(SHOTS)/admin-programme.png docs/screenshots/programme.png

bench-features: install-features
	$(FBIN)/python benchmarks/features/run.py

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

bench-quality: install
	$(BIN)/python benchmarks/quality/run.py

bench-rollout: install
	$(BIN)/python benchmarks/rollout/run.py

clean:
	rm -rf $(VENV) $(FVENV) .pilotdeck build src/*.egg-info
