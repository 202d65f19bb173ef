# Quick start: `make run` and `make test` each create .venv and install what they need.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CONFIG ?= config.example.yaml
# defined before the rules that name them: make expands a rule's prerequisites as it reads the rule
LITELLM_DIR   := tests/.litellm
LITELLM_STAMP := $(LITELLM_DIR)/.installed

.PHONY: install run test lint format clean chromium

install: $(STAMP)

$(STAMP): pyproject.toml requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt -e .
	touch $(STAMP)

run: install
	$(BIN)/tollway serve --config $(CONFIG)

test: install chromium test-node-deps $(LITELLM_STAMP)
	$(BIN)/python -m pytest -q

# LiteLLM's own admin client and CLI for the compatibility tests, pinned, outside .venv (pip --target).
$(LITELLM_STAMP): tests/requirements-litellm.txt | install
	rm -rf $(LITELLM_DIR)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --target $(LITELLM_DIR) \
		-r tests/requirements-litellm.txt
	touch $(LITELLM_STAMP)

# The npm packages the tests run (Claude Code and Codex CLI, pinned in package.json) through the one node_modules
# target below; without npm or its registry the tests that need them skip and say why.
.PHONY: test-node-deps
test-node-deps:
	@$(MAKE) --no-print-directory node_modules/.package-lock.json || \
		echo "make: npm ci failed (npm or its registry unreachable); the Claude Code tests will be skipped"

# The admin UI's browser tests drive Debian's chromium through Playwright (never `playwright install`).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "make: chromium is missing; run 'sudo apt-get install -y chromium' (the browser tests skip without it)"; fi; }

lint: install
	@if git grep -nE '^(<<<<<<<|>>>>>>>) ' 2>/dev/null; then echo "make: merge conflict markers (above)"; exit 1; fi
	$(BIN)/ruff check lambda tests cdk app.py scripts
	$(BIN)/mypy

format: install
	$(BIN)/ruff format lambda tests
	$(BIN)/ruff check --fix lambda tests

clean:
	rm -rf $(VENV) .tollway .pytest_cache .mypy_cache .ruff_cache

# --- AWS deploy (docs/deploy.md). CDK context goes in CDK_ARGS, e.g. CDK_ARGS="-c stage=prod -c config=prod.yaml"
CDK_ARGS ?=
CDK      := JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 CDK_DISABLE_CLI_TELEMETRY=true npx --no-install cdk

.PHONY: synth deploy destroy

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

synth: install node_modules/.package-lock.json
	$(CDK) synth --quiet --no-notices $(CDK_ARGS)
	$(BIN)/python -m cdk.lint cdk.out

deploy: install node_modules/.package-lock.json
	$(CDK) deploy --no-notices $(CDK_ARGS)

# Keeps the DynamoDB tables (RemovalPolicy.RETAIN + deletion protection).
destroy: install node_modules/.package-lock.json
	$(CDK) destroy --no-notices $(CDK_ARGS)

# Benchmarks (BENCHMARKS.md): Tollway next to LiteLLM and a bare passthrough, loopback only, < 10 minutes.
.PHONY: bench
bench: install
	$(BIN)/python bench/run.py
