# Two entry points for a fresh machine: `make run` (the demo experiment) and `make test`.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
# The shared GEFCom2014 copy beside the checkout, unless TUNEDRIVE_DATA_DIR says otherwise;
# without either, tunedrive uses (and downloads into) its home's data folder.
SHARED_DATA := $(wildcard $(abspath ../shared/data))
ifneq ($(SHARED_DATA),)
export TUNEDRIVE_DATA_DIR ?= $(SHARED_DATA)
endif

# ESLint from npm, pinned by package-lock.json, installed beside the checkout.
NODE_STAMP := node_modules/.installed-$(shell cat package-lock.json 2>/dev/null | sha1sum | cut -c1-12)
ESLINT := node_modules/.bin/eslint

$(NODE_STAMP): package.json package-lock.json
	npm ci --silent --no-audit --no-fund
	touch $@

.PHONY: run test system-deps lint bench-overhead bench-speed bench-quality bench-api bench-dashboard bench-groups bench-efficiency bench-scheduler bench-panel bench-peers bench-chaos bench-command example-byo example-tutorial clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[server,dev,postgres]'
	rm -f $(VENV)/.installed-* && touch $@

run: $(STAMP)
	$(VENV)/bin/tunedrive run configs/demo.yaml

# The browser tests drive Debian's chromium; the cluster tests start Debian's PostgreSQL.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Without them (no apt, no root) the suite still runs; those tests say why they are skipped.
system-deps:
	@command -v chromium >/dev/null && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
	  { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q --no-install-recommends chromium postgresql; } || \
	  echo "warning: could not install chromium and postgresql; the browser and PostgreSQL tests will be skipped"

test: $(STAMP) system-deps lint
	$(PY) -m pytest -n 2 --dist loadfile

# Python style, the layer contracts of DESIGN §3, and the dashboard's JavaScript.
lint: $(STAMP) $(NODE_STAMP)
	$(VENV)/bin/ruff check tuner trainables api dashboard tests bench examples
	$(VENV)/bin/lint-imports
	$(ESLINT) dashboard/static

bench-overhead: $(STAMP)
	$(PY) bench/overhead.py

bench-speed: $(STAMP)
	$(PY) bench/trainable_speed.py

bench-quality: $(STAMP)
	$(VENV)/bin/pip install -q -e '.[bench]'
	$(PY) bench/quality.py

bench-api: $(STAMP)
	$(PY) bench/api_load.py

bench-dashboard: $(STAMP) system-deps
	$(PY) bench/dashboard_load.py

bench-groups: $(STAMP)
	$(PY) bench/trial_groups.py

bench-efficiency: $(STAMP)
	$(PY) bench/tuning_efficiency.py

bench-scheduler: $(STAMP)
	$(PY) bench/scheduler_scale.py

# One global model over 100, 1,000 and 10,000 series: epoch time and memory against the points.
bench-panel: $(STAMP)
	$(PY) bench/panel_scale.py

# The peers want pandas < 3: they get a venv of their own, with tunedrive beside them.
PEERS_VENV ?= .venv-peers
bench-peers:
	test -x $(PEERS_VENV)/bin/python || $(PYTHON) -m venv $(PEERS_VENV)
	$(PEERS_VENV)/bin/pip install --quiet -e '.[server,peers]'
	$(PEERS_VENV)/bin/python bench/peers.py

# PostgreSQL, two dispatchers and a 2-node Ray cluster on loopback, 10 minutes of faults.
bench-chaos: $(STAMP) system-deps
	$(PY) bench/chaos.py

# Tune your own code (README): a scikit-learn forecaster that calls report(), and the
# reference tutorial's Keras script with its Azure ML v2 sweep YAML, on GEFCom2014.
example-byo: $(STAMP)
	$(PY) examples/fetch_data.py examples/gradient_boosting
	$(VENV)/bin/tunedrive run examples/gradient_boosting/spec.yaml

example-tutorial: $(STAMP)
	$(PY) examples/fetch_data.py examples/tutorial_ffn
	$(VENV)/bin/tunedrive run examples/tutorial_ffn/sweep.yml

bench-command: $(STAMP)
	$(PY) bench/command_overhead.py

clean:
	rm -rf $(VENV) build *.egg-info node_modules
