# TheFirstTake — `make help` lists the targets.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := 3.11
# The one uv pin: `make` installs exactly this uv when none is on PATH (a fresh machine needs
# only Python 3), and .ci/run asks for it with `make -s print-uv-version`.
UV_VERSION := 0.13.9
UV ?= $(shell command -v uv 2>/dev/null || echo python3 -m uv)
RUN := $(UV) run --frozen

.PHONY: help uv print-uv-version install protos run test lint format bench-stream reset-local compose-up eval-experts seed eval-search bench-search bench-fitting bench-chat bench-sse screenshots fuzz

help: ## this list
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

uv: ## install the pinned uv (UV_VERSION) with pip when no uv is on PATH
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || \
		python3 -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

print-uv-version: ## the pinned uv version (read by .ci/run)
	@echo $(UV_VERSION)

install: uv ## create .venv with every service, generate the gRPC stubs
	$(UV) sync --frozen --all-packages
	$(MAKE) protos

protos: ## regenerate the Python stubs from protos/
	$(RUN) bash protos/generate.sh

run: install ## run the whole service on http://127.0.0.1:8000 (embedded stores unless configured)
	$(RUN) python -m tft_launcher

test: install ## run every test (needs PostgreSQL and Redis: the machine's, or TEST_* URLs)
	$(RUN) pytest

fuzz: install ## schemathesis against the whole system (100 examples, stateful phase) with a new random seed each run
	FUZZ_SEED=$${FUZZ_SEED:-random} $(RUN) pytest -q -rP tests/e2e/test_api_fuzz.py

lint: ## ruff check + format check
	$(RUN) ruff check .
	$(RUN) ruff format --check .

format: ## ruff fix + format
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

seed: install ## load the demo catalog (3,000 products + pictures; idempotent) into PRODUCT_POSTGRES_DSN / PRODUCT_REDIS_URL
	$(RUN) python -m product_service seed

eval-search: install ## precision@10 and nDCG@10 of product search over bench/search_relevance.json
	$(RUN) python bench/eval_search.py

bench-search: install ## SearchProducts p50/p99 over gRPC on a 10,000-product catalog, cached GetProduct latency
	$(RUN) python bench/bench_search.py

eval-experts: ## the expert panel (offline engine): development and held-out stylist sets, scored apart; timings
	$(RUN) python bench/eval_experts.py --start-product-service

bench-fitting: install ## local try-on seconds per picture, normal and HD, p50/p95 over 20 runs
	$(RUN) python bench/bench_fitting.py $(ARGS)

bench-chat: install ## chat-service: database transactions per turn, and 200 turns at once through the gateway (nothing lost or doubled)
	$(RUN) python bench/bench_chat.py

bench-sse: install ## SSE turns at scale (slow LLM server, scratch databases): errors, latency, RSS and CPU per stream, rows stored; ARGS="--streams 1000 --rate 50"
	$(RUN) python bench/bench_sse.py $(ARGS)

bench-stream: ## SSE latency under load against a running system (make run in another terminal)
	$(RUN) python bench/bench_stream.py $(ARGS)

screenshots: install ## the web UI at 390 and 1280 px into docs/screenshots/ (starts the system like the e2e tests; needs chromium)
	$(RUN) pytest -q tests/e2e/screenshots.py

reset-local: ## delete var/ (embedded databases, logs, local images, generated secrets)
	rm -rf var/

compose-up: ## every service in its own container (cp .env.example .env and fill the secrets first)
	docker compose up --build
