#!/usr/bin/env bash
# dist.sh [OUT_DIR]
#
# Release tarballs, installable without a checkout or a Go toolchain:
#   OUT_DIR/multiarch_<version>_linux_<arch>.tar.gz  for arch in $DIST_ARCHES (default: amd64 arm64)
#   OUT_DIR/SHA256SUMS                               sha256sum's format, over the tarballs
# OUT_DIR defaults to <repo>/dist and is emptied first, so it never mixes versions.
#
# Each tarball is flat (untar it into an empty directory) and holds:
#   multiarch   this module, version stamped from `git describe --tags --always --dirty`
#               (DIST_VERSION overrides) into internal/cli.version, so `multiarch version` says it
#   buildkitd   BuildKit's daemon from the version pinned in go.mod, stamped as its release
#               build is (the Makefile's BUILDKIT_LDFLAGS); multiarch finds it next to itself
#   README.md
#   LICENSES/   the licence and notice files of every Go module linked into either binary
#               (LICENSES/<module path>/LICENSE…, BuildKit's Apache-2.0 among them) and the Go
#               standard library's (LICENSES/go/LICENSE). multiarch itself has no LICENSE file yet.
#
# Outside a git checkout (the action's from-source build of a downloaded action), set
# DIST_VERSION; the tar mtime is then SOURCE_DATE_EPOCH, else 0.
# Static (CGO_ENABLED=0), -trimpath, stripped (-s -w). Reproducible for a given commit and Go
# toolchain: tar entries sorted, owned by 0:0, every mtime the commit's time; gzip -n.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$repo/dist}
GO=${GO:-go}
arches=${DIST_ARCHES:-amd64 arm64}
cd "$repo"

version=${DIST_VERSION:-$(git describe --tags --always --dirty)}
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
case $version in
*/* | *[[:space:]]* | "") echo "dist.sh: version '$version' cannot be part of a file name" >&2; exit 1 ;;
esac
bk_version=$($GO list -m -f '{{.Version}}' github.com/moby/buildkit)
ma_ldflags="-s -w -X github.com/multiarch-dev/multiarch/internal/cli.version=$version"
bk_ldflags="-s -w -X github.com/moby/buildkit/version.Version=$bk_version"
buildkitd=github.com/moby/buildkit/cmd/buildkitd

rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

# copy_licenses DIR ARCH: the licence files of the modules of every package
# linked into either binary for linux/ARCH, and Go's own.
copy_licenses() {
	local dir=$1 arch=$2 mod mdir f
	mkdir -p "$dir/LICENSES/go"
	cp "$($GO env GOROOT)/LICENSE" "$dir/LICENSES/go/LICENSE"
	GOOS=linux GOARCH=$arch CGO_ENABLED=0 $GO list -deps \
		-f '{{with .Module}}{{.Path}} {{.Dir}}{{end}}' ./cmd/multiarch "$buildkitd" |
		sort -u | while read -r mod mdir; do
		[ -n "$mdir" ] || continue
		for f in "$mdir"/LICENSE* "$mdir"/LICENCE* "$mdir"/COPYING* "$mdir"/NOTICE*; do
			[ -f "$f" ] || continue
			mkdir -p "$dir/LICENSES/$mod"
			cp "$f" "$dir/LICENSES/$mod/"
		done
	done
	[ -f "$dir/LICENSES/github.com/moby/buildkit/LICENSE" ] || {
		echo "dist.sh: BuildKit's LICENSE not found in the module cache" >&2
		exit 1
	}
	# The main module: its licence, when it has one.
	for f in "$repo"/LICENSE* "$repo"/NOTICE*; do
		[ -f "$f" ] && cp "$f" "$dir/"
	done
	return 0
}

for arch in $arches; do
	start=$SECONDS
	name=multiarch_${version}_linux_${arch}
	dir=$stage/$name
	mkdir -p "$dir"
	export GOOS=linux GOARCH=$arch CGO_ENABLED=0
	$GO build -trimpath -ldflags "$ma_ldflags" -o "$dir/multiarch" ./cmd/multiarch
	$GO build -trimpath -ldflags "$bk_ldflags" -o "$dir/buildkitd" "$buildkitd"
	unset GOOS GOARCH CGO_ENABLED
	cp README.md "$dir/"
	copy_licenses "$dir" "$arch"
	chmod -R u=rwX,go=rX "$dir"
	tar --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner --format=gnu \
		-C "$dir" -cf - . | gzip -n -9 >"$out/$name.tar.gz"
	echo "dist: $out/$name.tar.gz ($(du -h "$out/$name.tar.gz" | cut -f1), $((SECONDS - start))s)"
done
(cd "$out" && sha256sum -- *.tar.gz >SHA256SUMS)
echo "dist: $out/SHA256SUMS"
