PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
LOCK   := requirements.lock
# The newest releases pyproject allows, for make test-latest; uv resolves the lock for make lock.
LATEST := .venv-latest
OLDEST := .venv-oldest
LOCKER := .venv-lock
UV     := uv==0.13.9
# pyproject's [build-system] requires, one a line: resolved into the lock beside the dependencies
BUILD_REQUIRES = $(PYTHON) -c 'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"], sep="\n")'

.PHONY: run test test-server test-latest test-oldest lock bench fuzz clean

# The application's environment is exactly the lock: every package pinned with its hashes
# (the build backend too, so nothing is fetched unchecked: it is installed first, from the lock,
# and builds the one package published only as source, pyvips, without an isolated environment
# that would fetch setuptools unchecked). A changed lock or pyproject builds
# the venv anew, so nothing the lock no longer names is left in it.
$(STAMP): $(LOCK) pyproject.toml
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	awk '/^setuptools==/{p=1} p{print} p && !/\\$$/{exit}' $(LOCK) > $(VENV)/build-backend.txt
	$(PY) -m pip install --quiet --require-hashes --no-deps -r $(VENV)/build-backend.txt
	$(PY) -m pip install --quiet --require-hashes --no-deps --no-build-isolation -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# The main job: every bundled photo through a Gaussian blur into out/ (a summary line at the
# end), then the same operation compared with OpenCV: differences and speed, photo by photo.
run: $(STAMP)
	$(VENV)/bin/imgkit warmup
	$(VENV)/bin/imgkit blur fixtures/photos --sigma 2 -o out/ --overwrite
	$(VENV)/bin/imgkit compare blur fixtures/photos --sigma 2

test: $(STAMP)
	$(VENV)/bin/imgkit --version
	$(VENV)/bin/pytest -q

# The same suite on the newest releases that pyproject's ranges admit, resolved afresh on
# every run (what `pip install imgkit` gives a user today), in a venv of its own.
test-latest:
	test -x $(LATEST)/bin/python || $(PYTHON) -m venv $(LATEST)
	$(LATEST)/bin/python -m pip install --quiet --upgrade pip
	$(LATEST)/bin/python -m pip install --quiet --upgrade --upgrade-strategy eager -e '.[test]'
	$(LATEST)/bin/imgkit --version
	$(LATEST)/bin/pytest -q

# The same suite on the oldest releases pyproject's lower bounds admit (uv's lowest-direct
# resolution), so the bounds stay true; the venv is made anew each time, so nothing newer lingers.
# Its Numba cache is kept apart: Numba rewrites a cache index made by another Numba version.
test-oldest: $(LOCKER)/bin/uv
	$(PYTHON) -m venv --clear $(OLDEST)
	$(BUILD_REQUIRES) | $(LOCKER)/bin/uv pip compile --quiet pyproject.toml - --extra test --resolution lowest-direct \
	      --python-version $$($(OLDEST)/bin/python -c 'import platform; print(platform.python_version())') -o $(OLDEST)/requirements.txt
	$(OLDEST)/bin/python -m pip install --quiet -r $(OLDEST)/requirements.txt
	$(OLDEST)/bin/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(OLDEST)/bin/imgkit --version
	NUMBA_CACHE_DIR=$(OLDEST)-numba-cache $(OLDEST)/bin/pytest -q

$(LOCKER)/bin/uv:
	$(PYTHON) -m venv $(LOCKER)
	$(LOCKER)/bin/python -m pip install --quiet '$(UV)'

# Refresh the lock: pyproject's dependencies, the test and bench extras and the build backend, resolved for
# every platform and Python that pyproject admits, with the hashes of every file.
lock: $(LOCKER)/bin/uv
	$(BUILD_REQUIRES) | $(LOCKER)/bin/uv pip compile --quiet pyproject.toml - --extra test --extra bench --universal --generate-hashes \
	      --python-version $$($(PYTHON) -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["requires-python"].lstrip(">="))') \
	      --custom-compile-command 'make lock' -o $(LOCK)

# Every operation on three photos (BENCHMARKS.md: the table, its targets and misses), the chain in-process
# and end to end, start-up, and whole batches against a cv2 script and libvips (pyvips: the bench extra,
# in the lock, so the venv has it). About 20 minutes on an idle 2-core machine.
bench: $(STAMP)
	$(VENV)/bin/imgkit bench --markdown BENCHMARKS.md --all-ops --chain "resize --scale 0.5 | blur --sigma 2 | canny --low 50 --high 150" --end-to-end

# Mutated images, arrays and detection files through imgkit's readers, in a child process bounded
# in memory (2 GiB) and time (10 s an input), for FUZZ_SECONDS; findings in tests/fuzz/findings/.
FUZZ_SECONDS ?= 1800
fuzz: $(STAMP)
	$(PY) tests/fuzz/fuzz.py --seconds $(FUZZ_SECONDS)

clean:
	rm -rf $(VENV) $(LATEST) $(OLDEST) $(OLDEST)-numba-cache $(LOCKER) out

# The suite again with a resident server (imgkit server start): every command line the tests run
# goes through it; the summary says how many calls it served.
test-server: $(STAMP)
	IMGKIT_TEST_SERVER=1 $(VENV)/bin/pytest -q --numprocesses=0   # one server, one process: its summary counts every call
