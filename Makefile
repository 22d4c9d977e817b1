# bomgar.pki — set-up and checks. `make test` is the README's test command and
# what CI runs; it sets up everything it needs on a fresh machine.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON311 ?= python3
PYTHON313 ?= $(shell p=$$(pyenv prefix 3.13.0 2>/dev/null) && echo "$$p/bin/python" || command -v python3.13)
VENV := .venv
VENV313 := .venv313
PY := $(VENV)/bin/python
PY313 := $(VENV313)/bin/python
COLLECTION_LINK := build/ansible_collections/bomgar/pki
SANITY_ROOT := build/sanity
# community.crypto for the ACME tests (see optional-collections below).
OPTIONAL_COLLECTIONS := build/optional-collections
ANSIBLE_TEST_PIP := $(HOME)/.ansible/test/cache/get_pip_24_2.py
PYTEST_OPTS ?= -q
# Unit and integration tests run on both cores (pytest-xdist); each test starts its own reference appliances on
# free loopback ports, so the workers never share one. PYTEST_WORKERS=0 runs them in one process.
PYTEST_WORKERS ?= 2
PYTEST_PARALLEL := -n $(PYTEST_WORKERS)

.PHONY: help venv venv313 optional-collections ari-ca-venv test galaxy lint ruff changelog-lint ansible-lint sanity unit appliance integration report report-tools molecule field test313 openapi demo bench clean

help:
	@echo "make test   set up .venv and .venv313, then run every check (what CI runs)"
	@echo "make venv   create or update .venv (Python 3.11, ansible-core at the floor) and link the collection"
	@echo "make lint | galaxy | sanity | unit | appliance | integration | report | molecule | field | test313   one group of checks"
	@echo "make openapi   regenerate docs/appliance-api.json from the reference appliance"
	@echo "make optional-collections   community.crypto from the ansible package, for the ACME tests (build/optional-collections)"
	@echo "make ari-ca-venv   acme2certifier, an ACME CA with renewal information, for the ARI tests (build/ari-ca-venv)"

venv: $(VENV)/.installed $(COLLECTION_LINK) $(OPTIONAL_COLLECTIONS)/.installed

$(VENV)/.installed: requirements/test.txt
	@test -x $(PY) || $(PYTHON311) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements/test.txt
	@touch $@

venv313: $(VENV313)/.installed

$(VENV313)/.installed: requirements/py313.txt
	@test -n "$(PYTHON313)" || { echo "Python 3.13 not found: install it (pyenv install 3.13.0) or set PYTHON313=/path/to/python3.13"; exit 1; }
	@test -x $(PY313) || $(PYTHON313) -m venv $(VENV313)
	$(PY313) -m pip install --quiet --disable-pip-version-check -r requirements/py313.txt
	@touch $@

$(COLLECTION_LINK):
	@mkdir -p $(dir $@)
	@ln -sfn ../../.. $@

# community.crypto, an optional dependency of the certificate role's acme provider (controller mode) only, for its
# integration tests: taken from the `ansible` package on PyPI (requirements/optional-collections.txt; Galaxy is not
# needed), of which only ansible_collections/community/crypto is copied into build/optional-collections. The ACME
# tests alone put that folder on ANSIBLE_COLLECTIONS_PATH, so every other test runs without it.
optional-collections: $(OPTIONAL_COLLECTIONS)/.installed

# acme2certifier, an ACME CA that offers renewal information (RFC 9773 renewalInfo; Debian's Pebble has none), for
# the tests of the ARI path against a live CA (tests/ari_ca.py starts it). Its own venv keeps its dependencies out
# of the test venv.
ARI_CA_VENV := build/ari-ca-venv
ari-ca-venv: $(ARI_CA_VENV)/.installed

$(ARI_CA_VENV)/.installed: requirements/ari-ca.txt
	@test -x $(ARI_CA_VENV)/bin/python || $(PYTHON311) -m venv $(ARI_CA_VENV)
	$(ARI_CA_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements/ari-ca.txt
	@touch $@

$(OPTIONAL_COLLECTIONS)/.installed: requirements/optional-collections.txt scripts/extract_collection.py $(VENV)/.installed
	rm -rf $(OPTIONAL_COLLECTIONS) && mkdir -p $(OPTIONAL_COLLECTIONS)/download
	$(PY) -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
		--dest $(OPTIONAL_COLLECTIONS)/download -r requirements/optional-collections.txt
	$(PY) scripts/extract_collection.py $(OPTIONAL_COLLECTIONS)/download/ansible-*.whl community.crypto $(OPTIONAL_COLLECTIONS)
	rm -rf $(OPTIONAL_COLLECTIONS)/download
	@touch $@

# The set-up steps (three venvs from the package index, the Debian packages) wait mostly on the network: they run
# side by side. The checks then run one group after another, each group on both cores where it can.
test:
	$(MAKE) --no-print-directory -j 4 venv venv313 optional-collections ari-ca-venv report-tools $(GALAXY_VENV)/.installed
	$(MAKE) --no-print-directory lint galaxy sanity unit appliance integration report molecule field test313

lint: ruff changelog-lint ansible-lint

ruff:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Galaxy's import checks on the tarball as it would be published: galaxy-importer (pinned in requirements/galaxy.txt)
# in its own venv, with galaxy-importer.cfg (no containers, so no ansible-test: `make sanity` runs that). It fails
# on any error or warning in the importer's log and on any error in its result.
GALAXY_VENV := build/galaxy-venv
GALAXY_RUN := build/galaxy-import

$(GALAXY_VENV)/.installed: requirements/galaxy.txt
	@test -x $(GALAXY_VENV)/bin/python || $(PYTHON311) -m venv $(GALAXY_VENV)
	$(GALAXY_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements/galaxy.txt
	@touch $@

galaxy: venv $(GALAXY_VENV)/.installed
	rm -rf $(GALAXY_RUN) && mkdir -p $(GALAXY_RUN)
	rm -f build/bomgar-pki-*.tar.gz
	$(VENV)/bin/ansible-galaxy collection build --force --output-path build/ >/dev/null
	cd $(GALAXY_RUN) && GALAXY_IMPORTER_CONFIG=$(CURDIR)/galaxy-importer.cfg PATH="$(CURDIR)/$(GALAXY_VENV)/bin:$$PATH" \
		$(CURDIR)/$(GALAXY_VENV)/bin/python -m galaxy_importer.main $(CURDIR)/build/bomgar-pki-*.tar.gz \
		> importer.log 2>&1 || { cat importer.log; echo "galaxy-importer failed"; exit 1; }
	$(PY) scripts/check_galaxy_import.py $(GALAXY_RUN)/importer.log $(GALAXY_RUN)/importer_result.json

changelog-lint:
	$(VENV)/bin/antsibull-changelog lint

# ansible-lint and molecule call ansible-config and ansible-playbook: the venv goes first on PATH. ansible-lint
# lints the whole collection tree (.ansible-lint says what is left out, and why).
ansible-lint:
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/ansible-lint --profile production

molecule: $(OPTIONAL_COLLECTIONS)/.installed
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/molecule test --all

$(ANSIBLE_TEST_PIP): scripts/get_pip_offline.py
	@mkdir -p $(dir $@)
	@cp $< $@

sanity: $(ANSIBLE_TEST_PIP)
	$(PY) scripts/stage_collection.py $(SANITY_ROOT)
	cd $(SANITY_ROOT)/ansible_collections/bomgar/pki && \
		$(CURDIR)/$(VENV)/bin/ansible-test sanity --venv --python 3.11 --color no

unit:
	$(PY) -m pytest $(PYTEST_OPTS) $(PYTEST_PARALLEL) tests/unit

appliance: $(ARI_CA_VENV)/.installed
	$(PY) -m pytest $(PYTEST_OPTS) $(PYTEST_PARALLEL) tests/appliance

integration: $(OPTIONAL_COLLECTIONS)/.installed $(ARI_CA_VENV)/.installed
	$(PY) -m pytest $(PYTEST_OPTS) $(PYTEST_PARALLEL) tests/integration

# The certificate report as a person sees it: against nginx servers (openssl-made chains, compared with
# openssl s_client), in headless Chromium, its JSON against docs/report.schema.json, its metrics parsed.
report:
	$(PY) -m pytest $(PYTEST_OPTS) tests/report

# The Debian packages the tests drive (openssl for cross-checks; nginx and chromium for the report; pebble, the ACME
# test CA, whose package also brings pebble-challtestsrv, its DNS), installed with apt-get when missing (as root, as
# on CI; otherwise say what to install). Each name is a command and the package that brings it.
DEBIAN_TOOLS := chromium nginx openssl pebble
report-tools:
	@missing=""; for tool in $(DEBIAN_TOOLS); do \
		command -v $$tool >/dev/null 2>&1 || test -x /usr/sbin/$$tool || missing="$$missing $$tool"; \
	done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing$$missing with apt-get"; \
			DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		else echo "missing:$$missing; install them: sudo apt-get install$$missing"; exit 1; fi; \
	fi

# The collection as a user runs it: built as a tarball, installed with examples/inventory-repo's requirements.yml
# into a copy of that repository, in a scratch venv holding only ansible-core at the floor and cryptography (from
# the package index), its plan and apply run against a site of reference appliances.
field:
	$(PY) -m pytest $(PYTEST_OPTS) tests/field

# The second leg: Python 3.13 with the newest ansible-core, unit and integration tests; the modules over the api
# transport only (the web transport's page reading is covered by the unit tests on both interpreters).
test313: $(OPTIONAL_COLLECTIONS)/.installed $(ARI_CA_VENV)/.installed
	BOMGAR_TEST_TRANSPORTS=api $(PY313) -m pytest $(PYTEST_OPTS) $(PYTEST_PARALLEL) -p no:cacheprovider tests/unit tests/integration

openapi: venv
	$(PY) -m reference_appliance openapi --output docs/appliance-api.json

clean:
	rm -rf build tests/output .pytest_cache .ruff_cache

# The main job: a site of three reference appliances on loopback, the full flow, a summary.
demo: venv
	$(PY) scripts/demo.py $(if $(TRANSPORT),--transport $(TRANSPORT)) $(if $(PROVIDER),--provider $(PROVIDER))

BENCH_VENV := build/bench-venv
BENCH_OPTS ?=

$(BENCH_VENV)/.installed: benchmarks/requirements.txt
	@test -x $(BENCH_VENV)/bin/python || $(PYTHON311) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --quiet --disable-pip-version-check -r benchmarks/requirements.txt
	@touch $@

# Fleet and flow benchmarks against their baselines (benchmarks/README.md); never part of `make test`.
# A quick look: make bench BENCH_OPTS="--sizes 1,5 --repetitions 1"
bench: venv $(BENCH_VENV)/.installed
	$(PY) benchmarks/run.py $(BENCH_OPTS)
