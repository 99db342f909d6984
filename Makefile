# `make run` and `make test` do all set-up on a fresh machine that has only Python.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test lint bench-inbox bench-publish bench-month-end clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m dext_connections.devstack run

test: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m dext_connections.devstack test $(PYTEST_ARGS)

lint: $(STAMP)
	$(PY) -m ruff check .

bench-inbox: $(STAMP)
	$(PY) -m dext_connections.devstack bench bench/inbox.py

bench-publish: $(STAMP)
	$(PY) -m dext_connections.devstack bench bench/publish.py

# MONTH_END_ITEMS=2000 MONTH_END_CLIENTS=20 make bench-month-end: a smaller run (RATE_LIMIT_TIME_SCALE, default 0.5)
bench-month-end: $(STAMP)
	$(PY) -m dext_connections.devstack bench bench/month_end.py

clean:
	rm -rf $(VENV) .local
