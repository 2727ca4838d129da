# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Exact versions of everything installed, build tools included (docs/development.md): a green
# run today is green tomorrow. `make lock` refreshes it; `make test-latest` tries the newest.
LOCK := constraints.txt
CONSTRAINTS ?= -c $(LOCK)
CHROMIUM := $(shell command -v chromium || command -v chromium-browser || command -v google-chrome || true)

.PHONY: demo test test-latest lock bench soak chromium clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade $(CONSTRAINTS) pip setuptools wheel

# --no-build-isolation: the package is built with the venv's (locked) setuptools, not
# whatever release a build environment would fetch today.
$(VENV)/.demo: $(BIN)/python setup.cfg pyproject.toml $(LOCK)
	$(BIN)/pip install --quiet --no-build-isolation $(CONSTRAINTS) -e '.[demo]'
	touch $@

$(VENV)/.test: $(BIN)/python setup.cfg pyproject.toml $(LOCK)
	$(BIN)/pip install --quiet --no-build-isolation $(CONSTRAINTS) -e '.[test]'
	touch $@

# Playwright's own browser download cannot work here: use Debian's Chromium.
chromium:
	@if [ -z "$(CHROMIUM)" ]; then \
	  echo "Installing Chromium from Debian's packages"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	fi

# axe-core, the accessibility checker e2e/test_accessibility.py injects into pages, from npm.
AXE_VERSION := 4.14.1
AXE := $(VENV)/axe/node_modules/axe-core/axe.min.js
$(AXE):
	npm install --silent --no-audit --no-fund --prefix $(VENV)/axe axe-core@$(AXE_VERSION)

demo: $(VENV)/.demo
	$(BIN)/gunicorn --config sample_app/gunicorn.conf.py 'sample_app:create_app()'

# The socket suites run twice: under threads, and under gevent's monkey-patching (the
# recommended gunicorn worker's model, docs/deployment.md).
GEVENT_SUITES := tests/test_socket.py tests/test_limits.py tests/test_render_fairness.py tests/test_client_share.py tests/test_doc_claims.py tests/test_upload_quota.py tests/test_runner.py tests/test_message_model.py tests/test_media_messages.py tests/test_actions.py tests/test_edits.py tests/test_additional_inputs.py tests/test_additional_outputs.py tests/test_validator.py tests/test_example_cache.py tests/test_uploads.py tests/test_request_context.py tests/test_queue.py tests/test_history.py tests/test_api.py tests/test_client.py tests/test_openai.py tests/test_load_chat.py tests/test_resume.py tests/test_api_resume.py tests/test_live_tabs.py

# Every part runs whatever the others give; the target fails if any failed. The quick checks come
# first: the package's layers (.importlinter, docs/architecture.md), lint and format (ruff), types (mypy).
test: $(VENV)/.test chromium $(AXE)
	@status=0; \
	$(BIN)/lint-imports --no-cache || status=1; \
	$(BIN)/ruff check --no-cache . || status=1; \
	$(BIN)/ruff format --check --no-cache . || status=1; \
	$(BIN)/mypy || status=1; \
	$(BIN)/python -m pytest -q tests e2e || status=1; \
	$(BIN)/python tests/gevent_pytest.py -q -p no:cacheprovider $(GEVENT_SUITES) || status=1; \
	exit $$status

# The suite against the newest release of every dependency, in a venv of its own made anew
# each time (not in CI: a new release must not fail a change that did not touch it).
test-latest:
	rm -rf .venv-latest
	$(MAKE) test VENV=.venv-latest CONSTRAINTS=

# Writes constraints.txt anew from the newest releases that setup.cfg allows. Run
# `make test` after it, and commit the lock with whatever the new versions needed.
lock:
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install --quiet --upgrade pip setuptools wheel
	.venv-lock/bin/pip install --quiet --no-build-isolation -e '.[test,demo,bench]'
	{ echo "# Exact versions for make demo, make test and make bench: written by make lock (docs/development.md)."; \
	  .venv-lock/bin/pip freeze --all --exclude-editable | LC_ALL=C sort -f; } > $(LOCK)
	rm -rf .venv-lock

# About 16 minutes: streaming cost, then load on one worker, stalls, hostile rendering, the element in Chromium.
bench: $(VENV)/.test chromium
	$(BIN)/python -m bench
	$(BIN)/python -m bench.load --worker gevent --kind gen,agen
	$(BIN)/python -m bench.load --worker gthread --sizes 10,100,1000
	$(BIN)/python -m bench.load --worker gevent --sizes "" --idle 3000
	$(BIN)/python -m bench.stall
	$(BIN)/python -m bench.render_families
	$(BIN)/python -m bench.turn_log
	$(BIN)/python -m bench.resume
	$(BIN)/python -m bench.browser

# About 11 minutes: the sample app under gunicorn for SOAK_MINUTES of mixed normal and hostile
# traffic on loopback; memory, open files and normal readers' latency must stay flat.
SOAK_MINUTES ?= 10
soak: $(VENV)/.test
	$(BIN)/python -m bench.soak --minutes $(SOAK_MINUTES)

clean:
	rm -rf .venv .venv-latest .venv-lock build dist *.egg-info
