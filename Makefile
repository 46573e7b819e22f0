# Two commands on a fresh machine: `make run` (every model on its sample data) and `make test`.
# Each creates the virtual environment .venv and installs what it needs from PyPI.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
MODELS := $(basename $(notdir $(wildcard models/*.py)))
OUT ?= out

.PHONY: run test venv library clean $(MODELS)

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

library: $(STAMP)
	$(PY) benchmarks/library_table.py
	$(PY) benchmarks/library_table.py --nlp

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache
