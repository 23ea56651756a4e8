PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test bench warmup clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# The main job: every bundled photo through a Gaussian blur into out/, with a summary.
run: $(STAMP)
	$(VENV)/bin/imgkit warmup
	$(VENV)/bin/imgkit blur fixtures/photos --sigma 2 -o out/ --overwrite --summary

test: $(STAMP)
	$(VENV)/bin/pytest -q

bench: $(STAMP)
	$(VENV)/bin/imgkit bench --markdown BENCHMARKS.md

clean:
	rm -rf $(VENV) out
