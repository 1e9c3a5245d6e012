# The README's commands. Each target sets up what it needs: a venv in .venv with the pinned
# requirements and the project installed editable (which registers its Airflow provider, the
# `audiocodes` connection type), created when missing or when requirements.txt / constraints.txt /
# pyproject.toml change.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
export PYTHONPATH := $(CURDIR)

.PHONY: venv chromium demo test lint format lock clean bench bench-small

$(VENV)/.installed: requirements.txt constraints.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "needs $(PYTHON) (set PYTHON=...)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

venv: $(VENV)/.installed  ## only create .venv with the pinned requirements and the project (editable)

demo: $(VENV)/.installed  ## run the sync and daily DAGs through a few simulated days
	$(PY) scripts/demo.py

# The browser test drives Debian's Chromium; test tools never download a browser of their own.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  sudo=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
	  $$sudo apt-get update -q && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }

test: $(VENV)/.installed chromium  ## the whole test suite
	$(PY) -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.installed  ## the sync benchmark: 10k, 100k and 1M users; results in bench/results/
	$(PY) -m bench

bench-small: $(VENV)/.installed  ## the benchmark at CI size (1,500 users), results in test-output/bench/
	$(PY) -m bench --sizes 1500 --naive-sizes 1500 --airflow-size 0 --repeat 1 --out test-output/bench

lint: $(VENV)/.installed  ## ruff lint and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

lock: $(VENV)/.installed  ## re-pin every dependency after changing requirements.txt
	$(PY) -m pip install --quiet uv
	grep -v '^-c' requirements.txt | $(VENV)/bin/uv pip compile --python-version 3.11 - -o constraints.txt

clean:
	rm -rf .demo test-output
