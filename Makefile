# Set-up and everyday jobs. Every target creates the virtualenv first if it is missing.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: venv test test-fast demo validate images bench clean

$(STAMP): pyproject.toml requirements/lock.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -c requirements/lock.txt -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

## the whole test suite, end-to-end and Docker tests included, on TEST_JOBS workers (pytest-xdist;
## loadgroup with no groups: one test per unit, handed out in the suite's order, longest first;
## gradings several tests read are shared between workers: SharedResults in tests/conftest.py)
TEST_JOBS ?= 2
test: venv
	$(BIN)/python -m pytest -n $(TEST_JOBS) --dist loadgroup --no-loadscope-reorder

## unit tests only (about 5 minutes on 2 cores)
test-fast: venv
	$(BIN)/python -m pytest tests/unit

## publish the skew exercise, score the untouched starter and the reference solution
demo: venv
	$(BIN)/grader demo

## calibration of every exercise (starter, reference, known partial fixes)
validate: venv
	$(BIN)/grader validate

## benchmarks: sandbox backends and image builds (not tests; prints figures)
bench: venv
	$(BIN)/python bench/bench_sandbox.py
	$(BIN)/python bench/bench_batch.py
	$(BIN)/python bench/bench_similarity.py
	$(BIN)/python bench/bench_cluster.py
	$(BIN)/python bench/bench_candidate_tests.py

clean:
	rm -rf $(VENV) runs build *.egg-info
