# Two commands on a fresh clone: `make demo` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench bench-tournament clean

# Stable-Baselines3 (dev extra) needs torch; a CPU build is all the tests need. Pin it first so
# pip does not pick a multi-GB CUDA build. Override with TORCH= (empty) if you already have torch.
TORCH ?= torch==2.13.0

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -c 'import torch' 2>/dev/null || [ -z "$(TORCH)" ] || $(BIN)/python -m pip install --quiet '$(TORCH)'
	$(BIN)/python -m pip install --quiet -e '.[dev,ray]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/arena demo

lint: $(STAMP)
	$(BIN)/ruff check arena tests benchmarks agents

test: lint
	$(BIN)/python -m pytest -n 2 -q

bench: $(STAMP)
	$(BIN)/python benchmarks/throughput.py

bench-tournament: $(STAMP)
	$(BIN)/python benchmarks/tournament_throughput.py

clean:
	rm -rf $(VENV) arena-results .pytest_cache
