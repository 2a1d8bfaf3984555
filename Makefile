# Target Loader. `make help` lists the targets.
# The two commands a new machine needs: `make dev` (run locally) and `make test`.

SHELL := /bin/bash
GO    ?= go
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION = 20

.DEFAULT_GOAL := help
.PHONY: help test test-go lint fmt tidy clean

## help: list the targets
help:
	@grep -hE '^## ' $(MAKEFILE_LIST) | sed 's/^## //' | awk -F': ' '{printf "  %-16s %s\n", $$1, $$2}'

## test: every test (vet; unit, integration, end-to-end, fault and budget tests against moto_server; fuzz seeds; CDK assertions, cfn-lint, SAM drift)
test: test-go test-infra

## test-go: vet and test the service module (starts moto_server itself)
test-go:
	$(GO) vet ./...
	$(GO) test -count=1 ./...

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

## clean: remove build outputs
clean:
	rm -rf dist infra/cdk.out .bench

include Makefile.infra
include Makefile.dev
include Makefile.perf
include Makefile.fuzz
