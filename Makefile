# datamill: `make demo` runs the demo on a fresh machine, `make test` runs the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv demo test test-slow test-all check bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: venv
	$(BIN)/datamill demo --dir demo_output

test: venv
	$(BIN)/pytest -q -m "not slow"

test-slow: venv
	$(BIN)/pytest -q -m slow

test-all: venv
	$(BIN)/pytest -q

check: venv
	$(BIN)/ruff check src tests bench examples
	$(BIN)/ruff format --check src tests bench examples
	$(BIN)/mypy src

bench: venv
	$(BIN)/python bench/bench_core.py
	$(BIN)/python bench/bench_checkpoint.py
	$(BIN)/python bench/bench_monitor.py
	$(BIN)/python bench/bench_ledger.py
	$(BIN)/python bench/bench_ray.py
	$(BIN)/python bench/bench_peers.py
	$(BIN)/python bench/bench_dashboard.py
	$(BIN)/python bench/bench_ops.py

clean:
	rm -rf $(VENV) demo_output bench/out .pytest_cache .mypy_cache .ruff_cache
