# Two commands do all the set-up: `make workshop` and `make test` (see README.md).
VENV ?= .venv
PYTHON := $(VENV)/bin/python
SYSTEM_PYTHON ?= python3
# Only `make lock` needs uv, and this very version of it.
UV_VERSION := 0.13.9

.PHONY: workshop test chromium stop lock slides

$(PYTHON):
	$(SYSTEM_PYTHON) -m venv $(VENV)

# Every dependency comes from the lock, each file checked against its hash; then the kit itself, without
# dependencies. The stamps depend on the lock, so `make lock` (or a pull that changes it) reinstalls.
$(VENV)/.installed: requirements/workshop.txt pyproject.toml | $(PYTHON)
	$(PYTHON) -m pip install --quiet --require-hashes --requirement requirements/workshop.txt
	$(PYTHON) -m pip install --quiet --no-deps --editable .
	touch $@

# The test lock holds the workshop lock's pins, so it stands for both stamps.
$(VENV)/.installed-test: requirements/test.txt pyproject.toml | $(PYTHON)
	$(PYTHON) -m pip install --quiet --require-hashes --requirement requirements/test.txt
	$(PYTHON) -m pip install --quiet --no-deps --editable .
	touch $@ $(VENV)/.installed

# `aftertalk workshop` does the work (also without make): JupyterLab on 127.0.0.1 only, so the room's
# phones reach the poll server, never the notebook; root works too.
# ARGS passes options on, e.g. `make workshop ARGS="--port 9000"`.
workshop: $(VENV)/.installed
	$(PYTHON) -m aftertalk workshop --kit . $(ARGS)

stop:
	$(PYTHON) -m aftertalk stop

chromium:
	@scripts/ensure-chromium

# Lint, format and types first (seconds), then the suite (CONTRIBUTING.md lists each check).
test: $(VENV)/.installed-test chromium
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .
	$(PYTHON) -m mypy
	$(PYTHON) -m pytest

# Every lesson presented in headless Chromium as the projector shows it, one PNG per slide in slides/
# (git ignores it), for a person to look at; `make slides ARGS="--size 1024x768 02_the_feelings_after_sex"`.
slides: $(VENV)/.installed-test chromium
	$(PYTHON) scripts/slides $(ARGS)

$(VENV)/.uv-$(UV_VERSION): | $(PYTHON)
	$(PYTHON) -m pip install --quiet uv==$(UV_VERSION)
	touch $@

# Rewrites requirements/*.txt and environment.yml from pyproject.toml, keeping every pin that still fits;
# `make lock UPGRADE=1` moves every pin to the newest release pyproject allows (README.md, "Pinned versions").
lock: $(VENV)/.uv-$(UV_VERSION)
	$(PYTHON) scripts/lock $(if $(UPGRADE),--upgrade)
