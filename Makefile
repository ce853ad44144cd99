# multiarch — see README.md. Every target works on a fresh Debian machine as root.
SHELL := /bin/bash
GO ?= go
BIN := bin
export MULTIARCH_REGISTRY_BIN := $(CURDIR)/$(BIN)/registry
export MULTIARCH_BUILDKITD := $(CURDIR)/$(BIN)/buildkitd
export MULTIARCH_BUSYBOX_CACHE := $(CURDIR)/.cache/busybox
export MULTIARCH_ROOTFS_CACHE := $(CURDIR)/.cache/rootfs
export MULTIARCH_DIST_DIR := $(CURDIR)/dist

.PHONY: all build tools setup fixtures test test-short bench fuzz demo dist clean

all: build

## build: the multiarch binary and the real parts built from pinned modules
build: $(BIN)/multiarch tools

$(BIN)/multiarch: FORCE
	$(GO) build -o $@ ./cmd/multiarch

## tools: buildkitd and the distribution registry, from the versions pinned in go.mod
## (tool directives; nothing is downloaded but Go modules)
tools: $(BIN)/registry $(BIN)/buildkitd $(BIN)/buildctl

$(BIN)/registry: go.mod go.sum
	$(GO) build -o $@ github.com/distribution/distribution/v3/cmd/registry

# BuildKit's version, stamped as its own release build does, so that
# `builder status` and `doctor` report it (an unstamped build says v0.0.0+unknown).
BUILDKIT_LDFLAGS = -X github.com/moby/buildkit/version.Version=$(shell $(GO) list -m -f '{{.Version}}' github.com/moby/buildkit)

$(BIN)/buildkitd: go.mod go.sum
	$(GO) build -ldflags "$(BUILDKIT_LDFLAGS)" -o $@ github.com/moby/buildkit/cmd/buildkitd

$(BIN)/buildctl: go.mod go.sum
	$(GO) build -ldflags "$(BUILDKIT_LDFLAGS)" -o $@ github.com/moby/buildkit/cmd/buildctl

## setup: packages, binfmt_misc, the distro's QEMU handlers (needs root)
setup:
	bash scripts/host-setup.sh

## fixtures: Debian busybox-static for every test architecture, and Debian bookworm
## root filesystems (mmdebstrap, needs root) for verify's real-distribution tests, cached in .cache/
fixtures:
	bash scripts/fetch-busybox.sh $(MULTIARCH_BUSYBOX_CACHE)
	bash scripts/make-rootfs.sh $(MULTIARCH_ROOTFS_CACHE)

## test: every test, end-to-end ones included (root, real binfmt_misc and registry; the
## release tarball of `make dist` unpacked into an empty directory)
test: setup fixtures build dist
	$(GO) test -count=1 -timeout 40m ./...

## test-short: go test -short; no root needed (without root, the root-only tests skip with
## the reason; as root it still runs the end-to-end tests, see README)
test-short:
	$(GO) test -short -count=1 ./...

## bench: speed targets, printed side by side with their ratios
bench: setup fixtures build
	bash scripts/bench.sh

## fuzz: each fuzz target for FUZZTIME (default 20s)
FUZZTIME ?= 20s
fuzz:
	bash scripts/fuzz.sh $(FUZZTIME)

## demo: the main job: local registry + embedded BuildKit, then `multiarch ci` of
## examples/hello for 7 platforms (test on the oldest CPUs before push, push, verify, test
## the pushed images), inspect and the test matrix of both tags (scripts/demo.sh)
demo: setup fixtures build
	$(BIN)/multiarch doctor
	bash scripts/demo.sh

## dist: release tarballs dist/multiarch_<version>_linux_<amd64|arm64>.tar.gz (multiarch,
## buildkitd, README.md, LICENSES/) and dist/SHA256SUMS; version from git describe (scripts/dist.sh)
dist:
	bash scripts/dist.sh dist

## image: multiarch's own image (linux/amd64, linux/arm64) FROM scratch: multiarch,
## buildkitd, runc and Debian's static QEMU emulators, built by multiarch itself, pushed by
## digest, verified and tested, and only then tagged IMAGE (default: a local registry for
## the run) (scripts/make-image.sh; multiarch and buildkitd from dist/, built first by
## scripts/dist.sh when dist/ is not of the current version)
.PHONY: image
image: setup tools
	IMAGE=$(IMAGE) bash scripts/make-image.sh

clean:
	rm -rf $(BIN) dist

FORCE:
