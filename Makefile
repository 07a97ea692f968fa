# langflow-edge — the commands the README gives.
#   make dev    set up what is missing, build, migrate the local D1, serve http://localhost:7860
#   make test   set up what is missing, build, run every test
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(PATH)
export WRANGLER_SEND_METRICS := false
export CLOUDFLARE_CF_FETCH_ENABLED := false
WRANGLER := node_modules/.bin/wrangler
# `.env` (Langflow's file) when present, else wrangler's own .dev.vars.
ENV_FILE := $(if $(wildcard .env),--env-file .env,)

.PHONY: setup build dev migrate test lint test-unit test-http test-browser test-gateway bench clean import-langflow

setup:
	@./scripts/setup.sh

build: setup
	./scripts/build-worker.sh

migrate: setup
	$(WRANGLER) d1 migrations apply DB --local

dev: build migrate
	$(WRANGLER) dev --local --ip 127.0.0.1 --port 7860 $(ENV_FILE)

# make bench [BASE_URL=http://127.0.0.1:PORT USER=... PASSWORD=...]
# The gateway part starts a real Langflow 1.13.0 from the cached venv (installed when missing).
bench: build
	BASE_URL="$(BASE_URL)" BENCH_USER="$(if $(BASE_URL),$(USER))" BENCH_PASSWORD="$(PASSWORD)" node scripts/bench.mjs
	./scripts/setup-langflow.sh >/dev/null
	node scripts/bench-gateway.mjs

# Formatting and clippy, so the code stays one style and warning-free.
lint:
	cargo fmt --check
	cargo clippy --lib --all-targets -- -D warnings

# Each run migrates one D1 template (tests/run.mjs) that every test file copies into its own
# throwaway databases. HTTP test files run two at a time; every worker takes free ports of its own.
HTTP_TESTS := node tests/run.mjs --concurrency 2 tests/http/
BROWSER_TESTS := node tests/run.mjs tests/browser/

test-unit:
	cargo test --lib

test-http: build
	$(HTTP_TESTS)

# The pages in headless Chromium (Debian's package; setup installs it when missing).
test-browser: build
	./scripts/setup.sh browser
	$(BROWSER_TESTS)

# Gateway mode (LANGFLOW_ORIGIN_URL) in front of a real Langflow 1.13.0, installed by
# setup-langflow.sh into a cached venv (the first time: about 4 minutes, 1.8 GB), plus a fake
# origin for timeouts and streams, and the Langflow UI in headless Chromium.
test-gateway: build
	./scripts/setup.sh browser
	python="$$(./scripts/setup-langflow.sh)" && LANGFLOW_PYTHON="$$python" node tests/run.mjs tests/gateway/

# Every phase in order, timed; ends with the time of each and the release wasm size.
test:
	@./scripts/timed-phases.sh \
	  setup "./scripts/setup.sh browser" \
	  build "./scripts/build-worker.sh" \
	  lint "$(MAKE) --no-print-directory lint" \
	  unit "$(MAKE) --no-print-directory test-unit" \
	  http "$(HTTP_TESTS)" \
	  browser "$(BROWSER_TESTS)" \
	  gateway "$(MAKE) --no-print-directory test-gateway"

clean:
	rm -rf build target/wasm32-unknown-unknown

# make import-langflow DB=path/to/langflow.db [SECRET_KEY=...] [TARGET=--remote]
#   Langflow's users, API keys, store keys, variables and flows into D1; default target: the local
#   D1 of `make dev`. See docs/migrating-from-langflow.md.
import-langflow:
	$(if $(DB),,$(error usage: make import-langflow DB=path/to/langflow.db [SECRET_KEY=...] [TARGET=--remote]))
	$(if $(SECRET_KEY),LANGFLOW_SECRET_KEY="$$SECRET_KEY" )python3 scripts/import-langflow.py --db "$(DB)" $(TARGET)
