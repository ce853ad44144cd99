# multiarch — see README.md. Every target works on a fresh Debian machine as root.
SHELL := /bin/bash
GO ?= go
BIN := bin
export MULTIARCH_REGISTRY_BIN := $(CURDIR)/$(BIN)/registry
export MULTIARCH_BUSYBOX_CACHE := $(CURDIR)/.cache/busybox

.PHONY: all build tools setup fixtures test test-short bench fuzz demo clean

all: build

## build: the multiarch binary and the real parts built from pinned modules
build: $(BIN)/multiarch tools

$(BIN)/multiarch: FORCE
	$(GO) build -o $@ ./cmd/multiarch

## tools: the distribution registry, from the module version pinned in go.mod (no download)
tools: $(BIN)/registry

$(BIN)/registry: go.mod go.sum
	$(GO) build -o $@ github.com/distribution/distribution/v3/cmd/registry

## setup: packages, binfmt_misc, the distro's QEMU handlers (needs root)
setup:
	bash scripts/host-setup.sh

## fixtures: Debian busybox-static for every test architecture, cached in .cache/
fixtures:
	bash scripts/fetch-busybox.sh $(MULTIARCH_BUSYBOX_CACHE)

## test: every test, end-to-end ones included (root, real binfmt_misc and registry)
test: setup fixtures build
	$(GO) test -count=1 -timeout 40m ./...

## test-short: unit tests only, no root needed
test-short:
	$(GO) test -short -count=1 ./...

## bench: speed targets, printed side by side with their ratios
bench: setup fixtures build
	bash scripts/bench.sh

## fuzz: each fuzz target for FUZZTIME (default 20s)
FUZZTIME ?= 20s
fuzz:
	bash scripts/fuzz.sh $(FUZZTIME)

## demo: the main job (today: check this host and list its emulators)
demo: setup build
	$(BIN)/multiarch doctor
	$(BIN)/multiarch binfmt ls

clean:
	rm -rf $(BIN)

FORCE:
