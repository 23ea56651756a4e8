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

# The main job: every bundled photo through a Gaussian blur into out/ (a summary line at the
# end), then the same operation compared with OpenCV: differences and speed, photo by photo.
run: $(STAMP)
	$(VENV)/bin/imgkit warmup
	$(VENV)/bin/imgkit blur fixtures/photos --sigma 2 -o out/ --overwrite
	$(VENV)/bin/imgkit compare blur fixtures/photos --sigma 2

test: $(STAMP)
	$(VENV)/bin/pytest -q

bench: $(STAMP)
	$(VENV)/bin/imgkit bench --markdown BENCHMARKS.md

clean:
	rm -rf $(VENV) out
