# The README's commands. Each target sets up what it needs: a venv in .venv with the pinned
# development requirements (requirements-dev.txt, which includes the runtime set requirements.txt) and
# the project installed editable (which registers its Airflow provider, the `audiocodes` connection
# type), created when missing or when the requirements, constraints.txt or pyproject.toml change.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
# include/ holds the package `number_inventory`; the root holds devtools/, scripts/, bench/ and tests/.
export PYTHONPATH := $(CURDIR)/include:$(CURDIR)

.PHONY: venv chromium demo airflow test lint format lock clean bench bench-small bench-10m bench-export docs docs-build

$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "needs $(PYTHON) (set PYTHON=...)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

venv: $(VENV)/.installed  ## only create .venv with the pinned dev requirements and the project (editable)

demo: $(VENV)/.installed  ## run the sync and daily DAGs through a few simulated days
	$(PY) -m scripts.demo

# A local Airflow 3 on PostgreSQL (LocalExecutor) with the bundled devices, the connections and Variables
# stored, the DAGs unpaused and the demo's inventory: the UI on :$(AIRFLOW_PORT), Ctrl-C stops, state in
# .airflow/ (a second run resumes; AIRFLOW_ARGS=--reset starts afresh).
AIRFLOW_PORT ?= 8080
airflow: $(VENV)/.installed  ## a local Airflow UI with everything configured (see docs: Local Airflow)
	$(PY) -m deploy.local_airflow --port $(AIRFLOW_PORT) $(AIRFLOW_ARGS)

# The browser test drives Debian's Chromium; test tools never download a browser of their own.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  sudo=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
	  $$sudo apt-get update -q && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }

test: $(VENV)/.installed chromium  ## the whole test suite
	$(PY) -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.installed  ## the sync benchmark: 10k, 100k and 1M users (1M also through a scheduler); results in bench/results/
	$(PY) -m bench

# Ten million users over four devices, beside 1M for the linear-growth ratios, the idiomatic peer and the
# scheduler: every figure of issue 15 in one run, ~12 min here and ~30 GB of disk while it runs; results in
# bench/results/ (see bench/README.md). Kept out of CI.
bench-10m: $(VENV)/.installed  ## the sync benchmark at 1M and 10M users, with the peer and the scheduler at 1M (issue 15's targets)
	$(PY) -m bench --sizes 1000000,10000000 --naive-sizes "" --peer-sizes 1000000 --airflow-size 0 --repeat 1

# The CSV export (issue 25): rows/s and peak memory at 1M rows; 10M: $(PY) -m bench.export --rows 10000000
bench-export: $(VENV)/.installed  ## the CSV export's rows/s and peak memory at 100k and 1M rows
	$(PY) -m bench.export --rows 100000,1000000

bench-small: $(VENV)/.installed  ## the benchmark at CI size (1,500 users), results in test-output/bench/
	$(PY) -m bench --sizes 1500 --naive-sizes 1500 --airflow-size 0 --scheduler-size 0 --repeat 1 --out test-output/bench

lint: $(VENV)/.installed  ## ruff lint and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# The documentation site (mkdocs.yml, docs/): served while you edit, or built strictly as CI does (a broken
# link, a missing anchor or a page left out of nav fails). NO_MKDOCS_2_WARNING silences Material's banner.
docs: $(VENV)/.installed  ## serve the documentation site on http://127.0.0.1:8000
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs serve --dev-addr 127.0.0.1:8000

docs-build: $(VENV)/.installed  ## build the documentation site strictly into site/
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --site-dir site

format: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# One lock for both sets: requirements-dev.txt (which includes requirements.txt) resolved together, so
# the runtime set installs at the versions the tests ran with. Versions already in constraints.txt are
# kept unless a requirement forces a change (uv treats the old file as preferences). Compiled from
# copies without the `-c constraints.txt` line, which would hold every version where it is.
lock: $(VENV)/.installed  ## re-pin every dependency after changing requirements*.txt
	@tmp=$$(mktemp -d) && grep -v '^-c' requirements.txt > $$tmp/requirements.txt \
	  && grep -v '^-c' requirements-dev.txt > $$tmp/requirements-dev.txt \
	  && cd $$tmp && $(abspath $(VENV))/bin/uv pip compile --quiet --python-version 3.11 \
	     --custom-compile-command "make lock" requirements-dev.txt -o $(CURDIR)/constraints.txt; \
	  status=$$?; rm -rf $$tmp; exit $$status

clean:
	rm -rf .demo .airflow test-output site
