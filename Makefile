# kafka-explorer: set-up, run, test, lint, bench. `make help` lists targets.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: help install jars run test lint bench soak clean

help:  ## list targets
	@grep -E '^[a-z]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

# the members' per-batch columns in C (tui/engine/consumer/columns.py falls back to Python without it)
COLUMNS_C := tui/engine/consumer/_columns.c
COLUMNS_SO := tui/engine/consumer/_columns$(shell $(PYTHON) -c "import sysconfig; print(sysconfig.get_config_var('EXT_SUFFIX'))")

$(COLUMNS_SO): $(COLUMNS_C) $(STAMP)
	@cc -O2 -fPIC -shared -Wall -I"$$($(BIN)/python -c "import sysconfig; print(sysconfig.get_paths()['include'])")" \
		$(COLUMNS_C) -o $@ \
		|| echo "note: the C column reader did not build; group members use the slower Python one"

install: $(STAMP) $(COLUMNS_SO)  ## create .venv and install kafka-explorer with its dev tools

jars: install  ## fetch the default Apache Kafka jars (4.4.0) with Maven into the user cache
	$(BIN)/python -c "from tui.lab.jars import ensure_jars; print(ensure_jars(print))"

run: jars  ## open the explorer on the local lab cluster (starts it if needed)
	$(BIN)/kafka-explorer

test: jars  ## run the whole test suite (starts its own lab clusters)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install  ## ruff, mypy and the import contracts
	$(BIN)/ruff check tui tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: jars  ## run the benchmarks (print ratios)
	$(BIN)/python bench/run_all.py

soak: jars  ## every bundled scenario 3 times on labs it starts, pass rates (SOAK_ARGS="--nodes 1")
	$(BIN)/python bench/soak.py $(SOAK_ARGS)

clean:  ## remove the virtual environment
	rm -rf $(VENV)
