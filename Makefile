# govmedia — one command per job. `make run` starts everything; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
RUN := $(UV) run --frozen

.PHONY: help install run test test-unit test-integration lint format typecheck bench fuzz migrate contracts clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

.tools/bin/uv:
	@echo "uv not found: installing it into .tools/ (one time)"
	@$(PYTHON) -m venv .tools && .tools/bin/pip install --quiet "uv>=0.5"

install: $(UV) ## install every package of the workspace into .venv (from uv.lock)
	@$(UV) sync --frozen --all-packages --python $(PYTHON)

run: install ## start PostgreSQL, the broker and the five services (Ctrl-C stops all)
	@$(RUN) govmedia up

test: install ## run the whole test suite on real PostgreSQL and a real Kafka-protocol broker
	@$(RUN) pytest $(PYTEST_ARGS)

test-unit: install ## only the tests that need no servers
	@$(RUN) pytest -m "not integration" $(PYTEST_ARGS)

lint: install ## ruff (lint + format check), mypy strict, house rules (imports between layers, file sizes)
	@$(RUN) ruff check .
	@$(RUN) ruff format --check .
	@$(RUN) pytest tests/house -q -p no:cacheprovider
	@$(RUN) mypy -p govmedia_common -p govmedia_checks -p govmedia_platform -p govmedia_registry -p govmedia_review -p govmedia_monitor -p govmedia_notify -p govmedia_scoring
	@$(RUN) mypy tests bench
	@$(RUN) mypy $(wildcard services/*/tests libs/*/tests)

format: install ## format and auto-fix
	@$(RUN) ruff format .
	@$(RUN) ruff check --fix .

bench: install ## benchmarks, reported as ratios to raw aiokafka / PostgreSQL measured in the same run
	@$(RUN) python bench/run_all.py

fuzz: install ## hostile input: replayed 500s and schemathesis over all five services (also part of make test)
	@$(RUN) pytest tests/hostile -q -p no:cacheprovider $(PYTEST_ARGS)

demo: install ## on the platform of `make run` (another terminal): a province, 90 simulated days, a summary (docs/demo.md)
	@$(RUN) govmedia demo $(DEMO_ARGS)

migrate: install ## run every service's migrations against GOVMEDIA_DATABASE_URL
	@$(RUN) govmedia migrate

contracts: install ## regenerate the event JSON Schemas, the AsyncAPI document and the OpenAPI snapshots
	@$(RUN) govmedia contracts write
	@$(RUN) govmedia openapi write

GOVMEDIA ?= $(RUN) govmedia

# `govmedia clean` refuses while a platform (or its PostgreSQL) runs on .govmedia; a fresh clone has no
# .govmedia, and then nothing is installed to find that out.
clean: ## remove local data of the embedded stack (databases, clock, logs); refused while `make run` runs
	@if [ -e .govmedia ]; then $(GOVMEDIA) clean --data-dir .govmedia; \
	else echo "nothing to remove (.govmedia does not exist)"; fi
