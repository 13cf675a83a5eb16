# Reelhouse: `make run` starts everything on the embedded defaults; `make test` runs the suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
CELERY := $(VENV)/bin/celery
PORT ?= 8000
QUEUES := high_priority,default,low_priority,video_processing,maintenance
REQS := requirements/base.txt requirements/dev.txt requirements/prod.txt
STAMP := $(VENV)/.installed

.PHONY: install run test lint format worker beat flower clean

$(STAMP): $(REQS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/dev.txt -r requirements/prod.txt
	touch $(STAMP)

install: $(STAMP)

## Set up (venv, migrations, periodic tasks, demo admin) and run web + worker + beat until Ctrl-C.
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py setup_periodic_tasks
	$(PY) manage.py create_demo_admin
	$(PY) manage.py collectstatic --noinput --verbosity 0
	@echo "Reelhouse on http://127.0.0.1:$(PORT)/ (admin /admin/, API docs /api/docs/, dashboard /dashboard/)"
	@# Stop all three when any one exits or on Ctrl-C (signal only our own children, once).
	@trap 'trap - INT TERM EXIT; kill $$(jobs -p) 2>/dev/null; wait' INT TERM EXIT; \
	$(CELERY) -A config worker -Q $(QUEUES) -c 2 -E -l INFO -n reelhouse@%h & \
	$(CELERY) -A config beat -l INFO & \
	$(PY) manage.py runserver 0.0.0.0:$(PORT) --noreload & \
	wait -n

## Set up and run the whole test suite (pass PYTEST_ARGS="-k something" to narrow it).
test: install
	$(PY) -m pytest $(PYTEST_ARGS)

## Lint, formatting and migrations that were not written (CI runs this too).
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

worker: install
	$(CELERY) -A config worker -Q $(QUEUES) -E -l INFO

beat: install
	$(CELERY) -A config beat -l INFO

flower: install
	$(CELERY) -A config flower --port=5555

clean:
	rm -rf var/test var/broker
