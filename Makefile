# Two commands do all the set-up: `make workshop` and `make test` (see README.md).
VENV ?= .venv
PYTHON := $(VENV)/bin/python
SYSTEM_PYTHON ?= python3

.PHONY: workshop test chromium

$(PYTHON):
	$(SYSTEM_PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(PYTHON)
	$(PYTHON) -m pip install --quiet --editable .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(PYTHON)
	$(PYTHON) -m pip install --quiet --editable '.[test]'
	touch $@ $(VENV)/.installed

# JupyterLab listens on 127.0.0.1 only: the room's phones reach the poll server, never the notebook.
workshop: $(VENV)/.installed
	$(VENV)/bin/jupyter lab --ServerApp.ip=127.0.0.1 --notebook-dir=notebooks

chromium:
	@scripts/ensure-chromium

test: $(VENV)/.installed-test chromium
	$(PYTHON) -m pytest
