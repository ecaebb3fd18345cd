SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PYTHON ?= python3
LOG = printf '[make %(%H:%M:%S)T] %s\n' -1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help run test fuzz bench-faults clean

help:
	@echo 'make run    start the dev server on 127.0.0.1:$${PORT:-5000} with demo data'
	@echo '            COOP_DEMO=0 make run: no demo; the first page is the set-up (/setup)'
	@echo 'make test   lint + full test suite with PostgreSQL, Redis and Chromium (root)'
	@echo '            extra pytest args: make test ARGS="-k foo"; PYTEST_WORKERS=N'
	@echo 'make fuzz   schemathesis over the API of a real server, each role, deeper than CI'
	@echo '            FUZZ_EXAMPLES=100 FUZZ_MAX_TIME=600 (per role); reports in fuzz-report/'
	@echo 'make bench-faults  load and faults: 200 users on PostgreSQL (worker killed, database'
	@echo '            restarted), 50 on SQLite; own throwaway servers (root); ARGS="--only sqlite"'
	@echo 'make clean  drop the install stamps so the next run reinstalls'

# Re-running venv on an existing dir only fills in what is missing (e.g. pip).
$(VENV)/bin/pip:
	@$(LOG) "create $(VENV)"
	$(PYTHON) -m venv $(VENV)

# Stamps: reinstall only when pyproject.toml changes.
$(VENV)/.stamp-app: pyproject.toml | $(VENV)/bin/pip
	@$(LOG) "pip install -e ."
	$(VENV)/bin/python -m pip install -q -e .
	@touch $@

$(VENV)/.stamp-test: pyproject.toml | $(VENV)/bin/pip
	@$(LOG) "pip install -e '.[test]'"
	$(VENV)/bin/python -m pip install -q -e '.[test]'
	@touch $@ $(VENV)/.stamp-app

$(VENV)/.stamp-bench: pyproject.toml | $(VENV)/bin/pip
	@$(LOG) "pip install -e '.[bench]'"
	$(VENV)/bin/python -m pip install -q -e '.[bench]'
	@touch $@ $(VENV)/.stamp-app

run: $(VENV)/.stamp-app
	@scripts/pdf-system-packages.sh
	@export COOP_ENV=development; \
	$(LOG) "flask db upgrade" && $(VENV)/bin/flask --app coop db upgrade && \
	if [ "$${COOP_DEMO:-1}" != 0 ]; then \
	  $(LOG) "flask demo load" && $(VENV)/bin/flask --app coop demo load || exit; \
	else $(LOG) "COOP_DEMO=0: no demo; open /setup to create the street and its admin"; fi && \
	$(LOG) "worker (task queue) and flask run on 127.0.0.1:$${PORT:-5000}" && \
	{ $(VENV)/bin/python -m jobs.worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; } && \
	$(VENV)/bin/flask --app coop run --host 127.0.0.1 --port $${PORT:-5000}

test: $(VENV)/.stamp-test
	scripts/test.sh $(ARGS)

fuzz: $(VENV)/.stamp-test
	scripts/fuzz.sh

bench-faults: $(VENV)/.stamp-bench
	$(VENV)/bin/python bench/faults.py $(ARGS)

clean:
	rm -f $(VENV)/.stamp-app $(VENV)/.stamp-test $(VENV)/.stamp-bench
