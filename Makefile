# make run   - set up everything and serve the demo on http://127.0.0.1:5000
# make test  - set up everything the tests need and run the whole suite
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
export SSL_CERT_FILE ?= /etc/ssl/certs/ca-certificates.crt
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install system-deps translations lint bench clean

$(VENV)/.installed: pyproject.toml
	@$(PY) -c "import sys" 2>/dev/null || python3 -m venv --clear $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check uv
	$(VENV)/bin/uv pip install -q --python $(PY) -e '.[test]'
	@touch $@

install: $(VENV)/.installed

translations: install
	$(VENV)/bin/pybabel -q compile -d makerlab/translations

run: install translations
	$(FLASK) db upgrade
	$(FLASK) demo seed --if-empty
	@echo
	@echo "Makerlab runs on http://$(HOST):$(PORT)  (Ctrl-C to stop)"
	@echo "Reminders: the scheduler runs inside this development server"
	@echo "(MAKERLAB_SCHEDULER_EMBEDDED=1); in production run 'flask --app wsgi scheduler run'."
	MAKERLAB_SCHEDULER_EMBEDDED=1 $(FLASK) run --host $(HOST) --port $(PORT)

system-deps:
	bash scripts/install-system-deps.sh

test: install translations system-deps
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check makerlab tests bench
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) .pytest_cache
