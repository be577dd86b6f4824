# Two commands for a newcomer: `make run` and `make test`. Everything else is a step of those.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ASSETS := webapp/static/govuk/app.min.css
HOST ?= 127.0.0.1
PORT ?= 5000
WORKERS ?= 2

.PHONY: run test lint install assets db demo templates-check bench clean

run: install assets db
	@echo
	@echo "Serving EHC plan quality assurance on http://$(HOST):$(PORT)/ (Ctrl+C to stop)"
	@echo "Sign in as any demo user listed in README.md; the password is demo-password-2026"
	@# Plain http on this machine only: let the session cookie travel without TLS.
	QA_SESSION_COOKIE_SECURE=false $(BIN)/gunicorn --workers $(WORKERS) --bind $(HOST):$(PORT) \
		--access-logfile - "webapp:create_app()"

test: install assets lint
	bash scripts/install-test-deps.sh
	bash scripts/run-tests.sh

# Lint and type checks (configured in pyproject.toml): a few seconds once mypy's cache is warm.
lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev,postgres]'
	touch $@

assets: $(ASSETS)

$(ASSETS): package.json package-lock.json $(wildcard webapp/assets/scss/*.scss) scripts/build-assets.sh
	bash scripts/build-assets.sh

db: install
	$(BIN)/qa init
	$(BIN)/qa demo --if-empty

templates-check: install
	$(BIN)/qa templates check

bench: install assets
	$(BIN)/python bench/web.py

clean:
	rm -rf $(VENV) node_modules webapp/static/govuk .pytest_cache .mypy_cache .ruff_cache
