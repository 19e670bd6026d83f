# Each target creates the virtual environment it needs; only python3 is required.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
# make run HOST=0.0.0.0 PORT=8080; workers and everything else: gunicorn.conf.py and the SHOEFIT_* settings.
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test bench clean

# Serving needs the package and gunicorn; the tests and benchmarks add their tools on top of the same venv.
$(VENV)/.serving: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[serve]'
	touch $@

$(VENV)/.dev: $(VENV)/.serving
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

run: $(VENV)/.serving
	$(VENV)/bin/gunicorn -c gunicorn.conf.py --bind $(HOST):$(PORT) wsgi:app

test: $(VENV)/.dev
	$(PY) -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.dev
	$(PY) bench/bench_recommend.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
