# Two commands for a newcomer: `make run` and `make test`. Everything else is a step of those.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ASSETS := webapp/static/govuk/app.min.css
HOST ?= 127.0.0.1
PORT ?= 5000
WORKERS ?= 2

.PHONY: run serve test lint install assets db demo templates-check bench load clean

run: install assets db
	@echo
	@echo "Serving EHC plan quality assurance on http://$(HOST):$(PORT)/ (Ctrl+C to stop)"
	@echo "Sign in as any demo user listed in README.md; the password is demo-password-2026"
	@# Development: plain http on this machine only, and a secret key generated in instance/. The job
	@# worker (board packs, extracts, large imports) runs beside the web server and stops with it.
	$(BIN)/qa jobs worker & worker=$$!; trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	QA_DEVELOPMENT=true $(BIN)/gunicorn --workers $(WORKERS) --bind $(HOST):$(PORT) \
		--access-logfile - "webapp:create_app()"

# Production: gunicorn (WEB_CONCURRENCY workers, default 4) and the job worker on PostgreSQL and
# Redis, after `qa init`. Needs DATABASE_URL, REDIS_URL and SECRET_KEY (README, Deployment).
serve: install assets
	bash scripts/serve.sh

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
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[bench]'
	$(BIN)/python bench/web.py
	$(BIN)/python bench/board.py

# Production load: 50 people for 60 s against make serve on a throwaway PostgreSQL and Redis.
load: install assets
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) node_modules webapp/static/govuk .pytest_cache .mypy_cache .ruff_cache
