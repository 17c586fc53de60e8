# Two commands do all the set-up: `make workshop` and `make test` (see README.md).
VENV ?= .venv
PYTHON := $(VENV)/bin/python
SYSTEM_PYTHON ?= python3

.PHONY: workshop test chromium stop

$(PYTHON):
	$(SYSTEM_PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(PYTHON)
	$(PYTHON) -m pip install --quiet --editable .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(PYTHON)
	$(PYTHON) -m pip install --quiet --editable '.[test]'
	touch $@ $(VENV)/.installed

# `aftertalk workshop` does the work (also without make): JupyterLab on 127.0.0.1 only, so the room's
# phones reach the poll server, never the notebook; root works too.
workshop: $(VENV)/.installed
	$(PYTHON) -m aftertalk workshop --kit .

stop:
	$(PYTHON) -m aftertalk stop

chromium:
	@scripts/ensure-chromium

test: $(VENV)/.installed-test chromium
	$(PYTHON) -m pytest
