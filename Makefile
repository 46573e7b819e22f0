# Two commands on a fresh machine: `make run` (every model on its sample data) and `make test`.
# Each creates the virtual environment .venv and installs what it needs from PyPI.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
MODELS := $(basename $(notdir $(wildcard models/*.py)))
OUT ?= out

BENCH_STAMP := $(VENV)/.bench-installed
PAO_PY := benchmarks/.venv-pao/bin/python
BENCH_ARGS ?=

.PHONY: run test docs lint venv library bobilib bench bench-quick grids clean $(MODELS)

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	@for name in $(MODELS); do \
		echo "=== $$name ==="; \
		$(PY) -m pybilevel solve models/$$name.py --data data/$$name --out $(OUT)/$$name || exit 1; \
	done

$(MODELS): $(STAMP)
	$(PY) -m pybilevel solve models/$@.py --data data/$@ --out $(OUT)/$@

test: $(STAMP)
	$(PY) -m pytest -q -n 2

# The documentation site (Sphinx, docs/about.md) into docs/_build/html; any warning fails the build.
DOCS_STAMP := $(VENV)/.docs-installed

$(DOCS_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e ".[test,docs]"
	touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	$(PY) -m sphinx -W --keep-going -b html docs docs/_build/html

# Unused names and import order (ruff, rules in pyproject.toml) over the package, tests, benchmarks and tools.
LINT_STAMP := $(VENV)/.lint-installed

$(LINT_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e ".[lint]"
	touch $(LINT_STAMP)

lint: $(LINT_STAMP)
	$(VENV)/bin/ruff check .

library: $(STAMP)
	$(PY) benchmarks/library_table.py
	$(PY) benchmarks/library_table.py --nlp
	$(PY) benchmarks/library_table.py --nonconvex

# MibS/BOBILib instances (MPS + AUX) from ../shared/data/bilevel_instances against BOBILib's optima, see docs/mibs.md.
bobilib: $(STAMP)
	$(PY) benchmarks/bobilib.py $(BENCH_ARGS)

# Benchmarks against PAO (not part of run/test): tables and plot in benchmarks/results/, see docs/performance.md.
$(BENCH_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e ".[test,bench]"
	touch $(BENCH_STAMP)

$(PAO_PY):
	bash benchmarks/setup_pao.sh

bench: $(BENCH_STAMP) $(PAO_PY)
	PYTHONPATH=$(CURDIR) $(PY) benchmarks/bench.py --tag bench --plot docs/performance.png $(BENCH_ARGS)

bench-quick: $(BENCH_STAMP) $(PAO_PY)
	PYTHONPATH=$(CURDIR) $(PY) benchmarks/bench.py --sizes 100 1000 --time-limit 20 --timeout 120 \
		--pao-timeout 120 --reference-time-limit 60 --tag quick $(BENCH_ARGS)

# The strategic bidding grids (data/strategic_bidding*/) converted from pandapower's MATPOWER cases;
# pandapower lives in its own environment .venv-grids, never in .venv (data/strategic_bidding/README.md).
GRIDS_PY := .venv-grids/bin/python

$(GRIDS_PY):
	$(PYTHON) -m venv .venv-grids
	$(GRIDS_PY) -m pip install --quiet pandapower==3.5.6

grids: $(GRIDS_PY)
	$(GRIDS_PY) data/strategic_bidding/convert.py

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache docs/_build
