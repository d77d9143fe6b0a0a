# Two commands on a fresh clone: `make demo` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench bench-tournament build clean

# Stable-Baselines3 (dev extra) needs torch; a CPU build is all the tests need. Pin it first so
# pip does not pick a multi-GB CUDA build. Override with TORCH= (empty) if you already have torch.
TORCH ?= torch==2.13.0

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -c 'import torch' 2>/dev/null || [ -z "$(TORCH)" ] || $(BIN)/python -m pip install --quiet '$(TORCH)'
	$(BIN)/python -m pip install --quiet -e '.[dev,ray]'
	touch $(STAMP)

# The optional compiled hot path (arena/_speedups.py): rebuilt when a source is newer; without a
# C compiler it says so and the pure Python package runs, with the same results.
build: $(STAMP)
	$(BIN)/python -W ignore::RuntimeWarning -m arena._build --if-stale

demo: build
	$(BIN)/arena demo

# ruff, then the import contracts of pyproject.toml: the layers, pybullet only in arena.sim,
# pygame only in the drawing modules (see README "Layout")
lint: build
	$(BIN)/ruff check arena tests benchmarks agents
	$(BIN)/lint-imports --no-cache --no-logo

test: lint
	$(BIN)/python -m pytest -n 2 -q

bench: build
	$(BIN)/python benchmarks/throughput.py

bench-tournament: $(STAMP)
	$(BIN)/python benchmarks/tournament_throughput.py

clean:
	rm -rf $(VENV) arena-results .pytest_cache build
	find arena \( -name '*.so' -o -name '*.c' -o -name '.*.part' \) -delete  # the compiled speedups (python -m arena._build --clean)
