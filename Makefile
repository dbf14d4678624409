# The two commands that matter: `make run` and `make test`. Both set up what they need.
# The Lambda runtime's Python (3.13) where the machine has it, so tests run on what deploys.
PYTHON ?= $(shell python3.13 -c '' >/dev/null 2>&1 && echo python3.13 || echo python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
PORT   ?= 3000
DATA   ?= .local

.PHONY: setup run test test-fast lint typecheck cfn-lint workflow-lint browser pytest bench smoke sam-validate build deploy clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ needed"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

setup: $(STAMP)

## Start the whole system locally (embedded DynamoDB-compatible backend, HTTP API on PORT).
run: setup
	$(BIN)/membership local --port $(PORT) --data-dir $(DATA)

## Lint, type-check, lint and validate the templates and workflows, run every test.
test: lint typecheck cfn-lint sam-validate workflow-lint pytest

## Unit and contract tests on the in-memory adapters: seconds, no backend, no stack.
test-fast: setup
	$(BIN)/pytest -q tests/unit tests/contract -m "not backend and not e2e"

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

cfn-lint: setup
	$(BIN)/cfn-lint infra/template.yaml infra/bootstrap/*.yaml

## GitHub workflows: schema (check-jsonschema's vendored github-workflow schema) and security
## audits (zizmor), both offline.
workflow-lint: setup
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(BIN)/zizmor --offline --strict-collection --no-progress .github/workflows

## Chromium (or Google Chrome) for the browser tests (tests/browser): the system's; if none,
## Debian's chromium package with apt-get (as root or with password-less sudo); else a message
## saying how to install one.
browser:
	@chromium=$$($(PYTHON) tests/browser/find_chromium.py --install) && echo "browser tests: $$chromium"

pytest: setup browser
	$(BIN)/pytest

## Smoke test of a running system: URL=<api url> and one of STACK=<deployed stack> (makes a
## temporary staff user there), DATA=<local data dir> (default .local), or SMOKE_STAFF_TOKEN.
smoke: setup
	@test -n "$(URL)" || (echo "usage: make smoke URL=<api url> [STACK=<stack name>]" >&2; exit 2)
	$(BIN)/python -m tests.smoke --url "$(URL)" $(if $(STACK),--stack "$(STACK)",$(if $(SMOKE_STAFF_TOKEN),,--data-dir "$(DATA)"))

## Cost and speed of the event store (a benchmark, not a test).
bench: setup
	$(BIN)/python -m pip install -q -e '.[dev,bench]'
	$(BIN)/python -m tests.benchmarks.event_store
	$(BIN)/python -m tests.benchmarks.projection_latency
	$(BIN)/python -m tests.benchmarks.views_rebuild
	$(BIN)/python -m tests.benchmarks.directory
	$(BIN)/python -m tests.benchmarks.local_startup
	$(BIN)/python -m tests.benchmarks.cold_start

# --- Deployment helpers: AWS SAM CLI lives in its own venv (it pins boto3 and pydantic). ---
SAM_VENV := .venv-sam
SAM_CLI_VERSION := 1.170.0# as in .github/workflows (setup-sam)
$(SAM_VENV)/bin/sam:
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install -q "aws-sam-cli==$(SAM_CLI_VERSION)"

sam-validate: $(SAM_VENV)/bin/sam
	SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam validate --lint -t infra/template.yaml

build: $(SAM_VENV)/bin/sam
	SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam build -t infra/template.yaml

deploy: build
	SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam deploy --guided

clean:
	rm -rf $(VENV) $(SAM_VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache
