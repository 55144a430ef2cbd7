# Two commands: `make demo` and `make test`. Both set everything up from scratch.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/codemill demo --output demo-out

lint: $(STAMP)
	$(BIN)/ruff check codemill tests

test: $(STAMP) lint
	scripts/ensure-chromium.sh
	$(BIN)/python -m pytest -q

# Benchmarks on the shared corpus (built by ../shared/bench/make_corpus.py on first use).
# Peers run in their own venv (bench/setup_peers.sh), never in codemill's. Results: bench-results/.
bench: $(STAMP)
	$(BIN)/python bench/engine.py --corpus full --workers 2
	$(BIN)/python bench/clean.py --corpus 10pct --quick
	bash bench/setup_peers.sh
	$(BIN)/python bench/dedup.py --corpus full
	$(BIN)/python bench/annotate.py --quick

clean:
	rm -rf $(VENV) demo-out .pytest_cache .ruff_cache
