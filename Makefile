# newsearch: the commands a user types. Everything installs into .venv from the hash-locked requirements.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# pip is locked (requirements/pip.txt): no notice that a newer one exists.
PIP := $(PY) -m pip --disable-pip-version-check
# Settings (NEWSEARCH_INDEX, NEWSEARCH_BIND, ...) and their defaults are search/settings.py's table:
# `make serve NEWSEARCH_INDEX=/srv/index NEWSEARCH_BIND=0.0.0.0:8000` passes them on; BIND=... is
# kept as a shorthand for --bind.
SETTING = $(PY) -m search.settings --get

.PHONY: serve test test-stress bench install install-dev browser wrk index lock clean

# Debian's and Ubuntu's python3 comes without venv (the python3-venv package): install it when missing.
$(VENV)/.installed: requirements/pip.txt requirements/main.txt setup.cfg pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) 2>/dev/null || { rm -rf $(VENV); \
	  command -v apt-get >/dev/null 2>&1 || { echo "$(PYTHON) -m venv failed: install Python's venv module" >&2; exit 1; }; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null; fi; \
	  $(PYTHON) -m venv $(VENV); }
	$(PIP) install --quiet --require-hashes -r requirements/pip.txt
	$(PIP) install --quiet --require-hashes -r requirements/main.txt
	$(PIP) install --quiet --no-deps --no-build-isolation -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements/dev.txt
	$(PIP) install --quiet --require-hashes -r requirements/dev.txt
	$(PIP) install --quiet --no-deps --no-build-isolation -e .
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

# Index the shipped sample corpus when no index directory exists yet, then serve it with gunicorn. An
# OpenSearch cluster (NEWSEARCH_BACKEND=opensearch+https://...) is served as it is: no sample goes into it.
serve: install
	where="$$($(SETTING) NEWSEARCH_BACKEND)" && where="$${where:-$$($(SETTING) NEWSEARCH_INDEX)}" && \
	  case "$$where" in opensearch+*) ;; *) test -d "$$where" || $(VENV)/bin/newsearch index seeds/;; esac
	$(VENV)/bin/newsearch serve $(if $(BIND),--bind $(BIND))

index: install
	$(VENV)/bin/newsearch index seeds/

# Debian's Chromium for the widget tests (Playwright drives it; no browser is downloaded), and
# libatomic1, which Playwright's bundled node needs and a minimal Debian lacks.
browser:
	@{ command -v chromium >/dev/null 2>&1 && /sbin/ldconfig -p | grep -q 'libatomic\.so\.1 '; } || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium libatomic1 >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium libatomic1 >/dev/null; fi; }

# The whole suite, the load and crash tests (tests/stress, about two minutes) included.
test: install-dev browser
	$(PY) -m pytest -W error::DeprecationWarning -W error::SyntaxWarning

# Only the load and crash tests.
test-stress: install-dev
	$(PY) -m pytest -m stress -W error::DeprecationWarning -W error::SyntaxWarning

# Debian's wrk for the HTTP benchmark (127.0.0.1 only).
wrk:
	@command -v wrk >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; fi; }

bench: install-dev wrk
	$(PY) -m bench

# Regenerate the hash-locked requirements after changing setup.cfg. The lock files name packages and
# hashes only (--no-emit-index-url, --no-emit-find-links): whatever indexes or wheel folders this
# machine's pip is configured with stay out of them. pip itself is locked too (requirements/pip.txt,
# installed first): an older pip warns about extras that newer ones read fine.
lock:
	$(PIP) install --quiet pip-tools==7.6.2
	$(VENV)/bin/pip-compile -q --no-emit-index-url --no-emit-find-links --generate-hashes --allow-unsafe --strip-extras -o requirements/pip.txt requirements/pip.in
	$(VENV)/bin/pip-compile -q --no-emit-index-url --no-emit-find-links --generate-hashes --allow-unsafe --strip-extras --extra test --extra bench -o requirements/dev.txt setup.cfg
	$(VENV)/bin/pip-compile -q --no-emit-index-url --no-emit-find-links --generate-hashes --allow-unsafe --strip-extras -c requirements/dev.txt -o requirements/main.txt setup.cfg

clean:
	rm -rf $(VENV) build *.egg-info
