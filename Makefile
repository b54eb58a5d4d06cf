# Every command a person needs. Only Python 3.11+ is required; `make` creates .venv itself.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
DEV_STAMP := $(VENV)/.installed-dev-$(shell cksum pyproject.toml | cut -d' ' -f1)
PYTEST_WORKERS ?= 2

.PHONY: run serve test bench lint fmt install migrate seed chromium nginx clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@ $(STAMP)

install: $(STAMP)

# Local work runs with DEBUG on (keys generated under var/keys/); production is DEBUG's default,
# off. `make serve` takes DEBUG, like everything else, from the environment.
run test bench seed: export DEBUG = True
migrate: export DEBUG ?= True

migrate: $(STAMP)
	$(PY) manage.py migrate --noinput

var/.seeded: | migrate
	$(PY) manage.py seed_demo
	touch $@

seed: migrate
	$(PY) manage.py seed_demo

## run: web on :8000, Celery worker with beat, sandbox upstream; Ctrl-C stops them all.
run: migrate var/.seeded
	@echo ""
	@echo "Patchbay: http://127.0.0.1:8000  (sandbox upstream: http://127.0.0.1:8100/v1)"
	@echo "Demo logins, password 'patchbay-demo' for all: admin, support, acme-member,"
	@echo "borealis-member, cobalt-member, delta-member"
	@echo ""
	$(VENV)/bin/honcho --no-colour start -f Procfile

## serve: the production web server (Granian) on $$PORT (8000), in the foreground, with the
## settings the environment gives; collects the static files it serves first.
serve: $(STAMP)
	$(PY) manage.py collectstatic --noinput --verbosity 0
	exec $(PY) -m config.serve

## chromium: Debian's Chromium for the browser tests (Playwright drives it; no browser download).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; fi; \
	fi

## nginx: Debian's nginx, the TLS proxy the production test (tests/deploy/) puts in front of `serve`.
nginx:
	@if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; \
		else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; fi; \
	fi

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

fmt: $(DEV_STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: $(DEV_STAMP) chromium nginx lint
	$(PY) manage.py makemigrations --check --dry-run >/dev/null
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

bench: $(DEV_STAMP)
	$(PY) -m benchmarks $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var
