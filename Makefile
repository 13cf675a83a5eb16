# Reelhouse: `make run` starts everything on the embedded defaults; `make test` runs the suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
CELERY := $(VENV)/bin/celery
PORT ?= 8000
# The system's queues; user-submitted generic jobs have a worker of their own (user_jobs).
QUEUES := high_priority,default,low_priority,video_processing,maintenance
USER_QUEUE := user_jobs
# requirements/*.in are what we ask for; requirements/*.txt are compiled from them with
# every pin and hash (`make requirements`). dev.txt holds prod.txt, flower.txt and the tools.
REQ_SETS := base prod flower dev
REQS := $(REQ_SETS:%=requirements/%.txt)
STAMP := $(VENV)/.installed

.PHONY: install requirements run test test-fast lint format worker beat flower clean

$(STAMP): $(REQS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements/dev.txt
	touch $(STAMP)

install: $(STAMP)

## Compile requirements/*.in into pinned, hashed requirements/*.txt (keeps existing pins).
requirements: install
	for set in $(REQ_SETS); do \
	  $(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	    --no-emit-index-url --no-emit-find-links \
	    --output-file requirements/$$set.txt requirements/$$set.in || exit 1; \
	done

## Set up (venv, migrations, periodic tasks, demo admin) and run web + worker + beat until Ctrl-C.
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py setup_periodic_tasks
	$(PY) manage.py create_demo_admin
	$(PY) manage.py collectstatic --noinput --verbosity 0
	@echo "Reelhouse on http://127.0.0.1:$(PORT)/ (admin /admin/, API docs /api/docs/, dashboard /dashboard/)"
	@# Stop them all when any one exits or on Ctrl-C (signal only our own children, once).
	@trap 'trap - INT TERM EXIT; kill $$(jobs -p) 2>/dev/null; wait' INT TERM EXIT; \
	$(CELERY) -A config worker -Q $(QUEUES) -c 2 -E -l INFO -n reelhouse@%h & \
	$(CELERY) -A config worker -Q $(USER_QUEUE) -c 1 -E -l INFO -n user-jobs@%h & \
	$(CELERY) -A config beat -l INFO & \
	$(PY) manage.py runserver 0.0.0.0:$(PORT) --noreload & \
	wait -n

## Set up and run the whole test suite (pass PYTEST_ARGS="-k something" to narrow it).
test: install
	$(PY) -m pytest $(PYTEST_ARGS)

## The quick loop: everything but the tests that start servers or browsers, with a smaller
## API fuzzing budget (-x: stop at the first failure; PYTEST_ARGS=--lf re-runs what failed).
test-fast: install
	FUZZ_MAX_EXAMPLES=$${FUZZ_MAX_EXAMPLES:-3} $(PY) -m pytest -m "not worker and not browser" -x $(PYTEST_ARGS)

## Lint, formatting and migrations that were not written (CI runs this too).
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

worker: install
	$(CELERY) -A config worker -Q $(QUEUES),$(USER_QUEUE) -E -l INFO

beat: install
	$(CELERY) -A config beat -l INFO

## Flower on 127.0.0.1 only; set FLOWER_BASIC_AUTH=user:password before exposing it anywhere.
flower: install
	$(CELERY) -A config flower --address=127.0.0.1 --port=5555

clean:
	rm -rf var/test var/broker
