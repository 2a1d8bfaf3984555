# Target Loader. `make help` lists the targets.
# A new machine needs two commands: `make dev` (run locally) and `make test` (every test).

SHELL := /bin/bash
GO    ?= go
.DEFAULT_GOAL := help
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION = 20

# ---- the functions -----------------------------------------------------------
FUNCTIONS := ingest consumer manage webhooks upload
# The one Lambda build: a static linux/arm64 binary named bootstrap for
# provided.al2023, without the RPC shim and without net/http's HTTP/2 client
# (0.36 MB of each binary, PERFORMANCE.md "Lambda binaries": the functions
# call DynamoDB, SQS and the Runtime API over HTTP/1.1). $(call lambda-build,NAME,DIR)
define lambda-build
GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -tags lambda.norpc,nethttpomithttp2 -trimpath -ldflags "-s -w" -o $(2)/bootstrap ./functions/$(1)
endef

# ---- the CDK CLI, pinned to a release that reads the cloud assembly schema of
# aws-cdk-go/awscdk v2.276.0 (CLI versions are numbered 2.1xxx since 2025) ----
CDK_CLI_VERSION ?= 2.1148.1
CDK_PREFIX      ?= .cdk
CDK             := $(abspath $(CDK_PREFIX))/node_modules/.bin/cdk
STAGE           ?= dev
CDK_OUT         ?= cdk.out
CDK_ARGS        ?=

# ---- benchmarks and fuzzing (PERFORMANCE.md) ---------------------------------
BENCH_DIR   ?= .bench
BENCH_PKGS  ?= ./shared/...
BENCH_RE    ?= .
BENCH_COUNT ?= 1
BENCH_TIME  ?= 1s
LOAD_FLAGS  ?= -clients 2 -duration 20s
FUZZTIME    ?= 20s
# Minimizing a new interesting input (some seeds are ~1 MiB) may otherwise take a minute.
FUZZMINIMIZETIME ?= 2s
# Name:package of every fuzz target; their seeds also run in `make test`.
FUZZ_TARGETS ?= \
	FuzzDecodeTargets:./shared/domain \
	FuzzDecodeFile:./shared/upload \
	FuzzValidTokenFormat:./shared/domain \
	FuzzPlainAddress:./shared/domain \
	FuzzIngestHandler:./shared/ingest \
	FuzzAPIGatewayEvent:./shared/local/devstack

DEV_FLAGS ?=

# ---- tools that are not Go: a tool on PATH is used as it is; moto_server and
# cfn-lint, when missing, are installed into a project-local Python
# environment whose bin/ comes last on PATH (scripts/ensure-tools.sh) -------
VENV   ?= .venv
PYTHON ?= python3
MOTO_REQUIREMENT     ?= moto[server]==5.2.*
CFN_LINT_REQUIREMENT ?= cfn-lint==1.51.*
export PATH := $(PATH):$(abspath $(VENV))/bin
ENSURE_TOOLS = VENV='$(VENV)' PYTHON='$(PYTHON)' MOTO_REQUIREMENT='$(MOTO_REQUIREMENT)' \
	CFN_LINT_REQUIREMENT='$(CFN_LINT_REQUIREMENT)' bash scripts/ensure-tools.sh
# make dev needs no moto_server when told never to start one.
DEV_NEEDS = $(if $(filter --no-moto -no-moto,$(DEV_FLAGS))$(filter 1 true,$(TL_NO_MOTO)),,moto_server)

.PHONY: help tools install dev test test-go test-cross test-infra test-e2e test-browser test-budget lint fmt tidy clean \
	build $(FUNCTIONS:%=build-%) cdk-install synth diff deploy destroy lint-templates \
	bench bench-go bench-load fuzz fuzz-seeds

## help: list the targets
help:
	@grep -hE '^## ' $(MAKEFILE_LIST) | sed 's/^## //' | awk -F': ' '{printf "  %-16s %s\n", $$1, $$2}'

## tools: install what make dev and make test need when it is missing (moto_server and cfn-lint into .venv/, Chromium with apt-get as root) and say where each is
tools:
	@$(ENSURE_TOOLS) -v moto_server cfn-lint chromium node npm

## install: install the tl command line (go install ./cmd/tl) into $(go env GOBIN), else $(go env GOPATH)/bin
# tl --version shows TL_VERSION (git describe); without it, what Go recorded
# (a git worktree, or GOFLAGS=-buildvcs=false, records no commit).
TL_VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null)
install:
	@$(GO) install -ldflags "-X main.buildVersion=$(TL_VERSION)" ./cmd/tl
	@bin="$$($(GO) env GOBIN)"; [ -n "$$bin" ] || bin="$$($(GO) env GOPATH)/bin"; \
	echo "installed $$bin/tl: $$("$$bin/tl" --version)"; \
	case ":$$PATH:" in *":$$bin:"*) ;; *) echo "$$bin is not on PATH: add it (export PATH=\"\$$PATH:$$bin\") to run tl";; esac

## dev: run the whole service locally until Ctrl-C (API :3000, Invoke API :3001, DynamoDB/SQS :4566; to change them see README's local settings, or make dev DEV_FLAGS=-h)
# Built, then run with exec (not `go run`, which adds its own "exit status"
# line and exits 1 when interrupted) so that Ctrl-C ends with devstack's own
# exit status.
dev:
	@$(ENSURE_TOOLS) $(DEV_NEEDS)
	@mkdir -p dist
	@$(GO) build -o dist/devstack ./cmd/devstack
	@exec dist/devstack $(DEV_FLAGS)

## test: every test (vet; unit, integration, end-to-end, browser, fault and budget tests against moto_server; fuzz seeds; layout boundaries; darwin and windows builds; CDK assertions, cfn-lint, SAM drift)
test: test-go test-cross test-infra

## test-go: vet and test the service module (starts moto_server itself; the browser tests drive Chromium headless)
test-go:
	@$(ENSURE_TOOLS) moto_server chromium
	$(GO) vet ./...
	$(GO) test -count=1 ./...

## test-cross: every package of both modules, tests included, type-checks for darwin and windows too
test-cross:
	@set -e; for os in darwin windows; do \
		echo "== GOOS=$$os"; \
		GOOS=$$os GOARCH=amd64 $(GO) vet ./...; \
		(cd infra && GOOS=$$os GOARCH=amd64 $(GO) vet ./...); \
	done

## test-infra: CDK assertion tests, cfn-lint of both templates and the SAM/CDK drift test
test-infra:
	@$(ENSURE_TOOLS) cfn-lint node
	cd infra && $(GO) vet ./... && $(GO) test ./...

## test-e2e: the end-to-end test of the local stack and the tl command line
test-e2e:
	@$(ENSURE_TOOLS) moto_server
	$(GO) test -count=1 ./tests/e2e/

## test-browser: the web console in headless Chromium against the local stack (screenshots kept under .browser/)
test-browser:
	@$(ENSURE_TOOLS) moto_server chromium
	@mkdir -p .browser
	$(GO) test -count=1 -v ./tests/browser/ -artifacts -outputdir $(abspath .browser)

## test-budget: the DynamoDB/SQS call budget tests with their per-operation breakdown
test-budget:
	@$(ENSURE_TOOLS) moto_server
	$(GO) test -count=1 -v ./tests/budget/

## lint: gofmt, go vet and staticcheck on both modules
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	cd infra && $(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
	cd infra && $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

## fmt: gofmt every Go file
fmt:
	gofmt -w $$(git ls-files '*.go')

## tidy: go mod tidy in both modules
tidy:
	$(GO) mod tidy
	cd infra && $(GO) mod tidy

## clean: remove build outputs
clean:
	rm -rf dist infra/cdk.out $(BENCH_DIR) infra/infra .browser

## build: build the functions into dist/<name>/bootstrap (linux/arm64) and print their sizes
build: $(FUNCTIONS:%=build-%)
	@for fn in $(FUNCTIONS); do printf '%-9s %s bytes\n' $$fn "$$(wc -c < dist/$$fn/bootstrap | tr -d ' ')"; done

$(FUNCTIONS:%=build-%): build-%:
	$(call lambda-build,$*,dist/$*)

# sam build (Metadata: BuildMethod: makefile) calls build-<LogicalId> with ARTIFACTS_DIR set.
build-IngestFunction build-ConsumerFunction build-ManageFunction build-WebhooksFunction build-UploadFunction: build-%Function:
	$(call lambda-build,$(shell echo $* | tr A-Z a-z),$(ARTIFACTS_DIR))

## cdk-install: install the pinned CDK CLI under .cdk/ (kept out of the Go module tree)
cdk-install: $(CDK)
$(CDK):
	@$(ENSURE_TOOLS) node npm
	npm install --no-audit --no-fund --prefix $(CDK_PREFIX) aws-cdk@$(CDK_CLI_VERSION) || \
		{ echo "make: the CDK CLI could not be installed under $(CDK_PREFIX)/ (see npm's log above): run npm install --prefix $(CDK_PREFIX) aws-cdk@$(CDK_CLI_VERSION)" >&2; exit 1; }

## synth: synthesize the CloudFormation template into infra/cdk.out (STAGE=dev)
synth: $(CDK) build
	cd infra && TL_SKIP_BUILD=1 $(CDK) synth --quiet -o $(CDK_OUT) -c stage=$(STAGE) $(CDK_ARGS)
	@echo "template: infra/$(CDK_OUT)/TargetLoader-$(STAGE).template.json"

## diff: show what deploy would change (STAGE=dev)
diff: $(CDK) build
	cd infra && TL_SKIP_BUILD=1 $(CDK) diff -o $(CDK_OUT) -c stage=$(STAGE) $(CDK_ARGS)

## deploy: deploy or update the stack TargetLoader-$(STAGE) with the AWS credentials in the environment
deploy: $(CDK) build
	cd infra && TL_SKIP_BUILD=1 $(CDK) deploy -o $(CDK_OUT) -c stage=$(STAGE) --require-approval broadening \
		--outputs-file $(CDK_OUT)/outputs-$(STAGE).json $(CDK_ARGS) TargetLoader-$(STAGE)

## destroy: delete the stack TargetLoader-$(STAGE) (prod tables and queues are retained)
destroy: $(CDK) build
	cd infra && TL_SKIP_BUILD=1 $(CDK) destroy -o $(CDK_OUT) -c stage=$(STAGE) $(CDK_ARGS) TargetLoader-$(STAGE)

## lint-templates: cfn-lint template.yaml and the synthesized CDK template
lint-templates: synth
	@$(ENSURE_TOOLS) cfn-lint
	cfn-lint template.yaml; rc=$$?; test $$((rc & 3)) -eq 0
	cfn-lint infra/$(CDK_OUT)/TargetLoader-$(STAGE).template.json; rc=$$?; test $$((rc & 3)) -eq 0

## bench: Go benchmarks (decode, ingest handler, matching, tokens) then a short self-contained load run; raw results in .bench/
bench: bench-go bench-load

## bench-go: the Go benchmarks with -benchmem (BENCH_RE, BENCH_COUNT, BENCH_TIME select and repeat)
bench-go:
	@$(ENSURE_TOOLS) moto_server
	@mkdir -p $(BENCH_DIR)
	set -o pipefail; $(GO) test -run '^$$' -bench '$(BENCH_RE)' -benchmem -count $(BENCH_COUNT) -benchtime $(BENCH_TIME) $(BENCH_PKGS) \
		| tee $(BENCH_DIR)/gobench-$$(date -u +%Y%m%dT%H%M%SZ).txt

## bench-load: the load harness with moto_server, a counting proxy and the local stack in-process (LOAD_FLAGS, default 2 clients for 20 s)
bench-load:
	@$(ENSURE_TOOLS) moto_server
	$(GO) run ./cmd/loadtest -out $(BENCH_DIR) $(LOAD_FLAGS)

## fuzz: run each fuzz target for FUZZTIME (default 20s), one after another
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		name=$${t%%:*}; pkg=$${t#*:}; \
		echo "== $$name ($$pkg), $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) $$pkg; \
	done

## fuzz-seeds: run only the fuzz targets' seed corpora, as tests
fuzz-seeds:
	$(GO) test -count=1 -run '^Fuzz' $(sort $(foreach t,$(FUZZ_TARGETS),$(lastword $(subst :, ,$(t)))))
