#!/usr/bin/env bash
# `make image`: multiarch's own multi-platform image (linux/amd64,
# linux/arm64), FROM scratch, built by `multiarch build` itself and pushed
# by digest only, then proven by multiarch at that digest: verify (every ELF
# file of every platform) and test (multiarch and the emulators run in each
# platform's container on the builder). Only then is IMAGE written (step 6):
# nothing is published under a tag before it is proven.
#
# Each platform holds, for ITS architecture:
#   /usr/local/bin/multiarch, /usr/local/bin/buildkitd  Go, CGO_ENABLED=0, static,
#                             from dist/'s tarballs (`make dist`, scripts/dist.sh;
#                             built first when dist/ is missing or not this version)
#   /usr/sbin/runc            Debian's runc (dynamic: libseccomp, glibc; runc
#                             needs cgo for nsenter, so it has no static Go build)
#   /lib*/…                   glibc's loader, libc and libseccomp from Debian
#   /usr/bin/qemu-*-static    Debian's qemu-user-static emulators of the
#                             foreign platforms multiarch knows
# Debian packages come from apt (`dpkg --add-architecture arm64` is done here).
#
# IMAGE=ref is the tag written at the end (its repository gets the digest);
# without it a local registry is started on 127.0.0.1:$IMAGE_REGISTRY_PORT
# (default 5000) for the run, as the demo does, and the image is
# 127.0.0.1:PORT/multiarch/multiarch:latest.
# MULTIARCH_IMAGE_WORK (default .cache/image) holds downloads and the binaries
# unpacked from dist/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=${MULTIARCH_IMAGE_WORK:-$root/.cache/image}
arches=(amd64 arm64)
platforms=linux/amd64,linux/arm64
go=${GO:-go}
mkdir -p "$work"

# 1. multiarch and buildkitd for each architecture: the ones `make dist`
#    built (static, -trimpath, stripped, version-stamped), so nothing is
#    cross-compiled twice. dist/ is used when it holds both tarballs of the
#    current `git describe` version (and, for a -dirty one, is newer than
#    every changed file); else scripts/dist.sh rebuilds it. Each tarball is
#    checked against dist/SHA256SUMS before its binaries are taken.
dist=$root/dist
maver=${DIST_VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo devel)}
# dist_fresh: dist/ holds this version's tarball of every architecture, and
# no changed or new file of a -dirty tree is newer than it.
dist_fresh() {
	local a changed
	[ -s "$dist/SHA256SUMS" ] || return 1
	for a in "${arches[@]}"; do
		grep -q "  multiarch_${maver}_linux_$a\.tar\.gz\$" "$dist/SHA256SUMS" || return 1
	done
	[[ $maver == *-dirty ]] || return 0
	changed=$(git ls-files -z -m -o --exclude-standard | xargs -0 -r sh -c \
		'for f; do [ "$f" -nt "$0" ] && echo "$f"; done; true' "$dist/SHA256SUMS")
	[ -z "$changed" ] || { echo "== dist/ is older than ${changed%%$'\n'*}"; return 1; }
}
if ! dist_fresh; then
	echo "== scripts/dist.sh: no current dist/ for $maver"
	DIST_VERSION=$maver DIST_ARCHES="${arches[*]}" GO=$go bash scripts/dist.sh "$dist"
fi
for a in "${arches[@]}"; do
	tgz=multiarch_${maver}_linux_$a.tar.gz
	(cd "$dist" && grep "  $tgz\$" SHA256SUMS | sha256sum -c --quiet -) ||
		{ echo "make-image: dist/$tgz does not match dist/SHA256SUMS; run make dist" >&2; exit 1; }
	rm -rf "$work/bin/$a"
	mkdir -p "$work/bin/$a"
	tar -xzf "$dist/$tgz" -C "$work/bin/$a" ./multiarch ./buildkitd
	echo "== multiarch, buildkitd for linux/$a from dist/$tgz"
done
# The host's multiarch drives the build; the image's own copies are tested in it.
ma=$work/bin/$($go env GOHOSTARCH)/multiarch

# 2. Debian's packages of each architecture, at the version apt reports.
debs=$work/debs
mkdir -p "$debs"
for a in "${arches[@]}"; do
	if ! dpkg --print-foreign-architectures | grep -qx "$a" && [ "$a" != "$(dpkg --print-architecture)" ]; then
		dpkg --add-architecture "$a"
		apt-get update -qq
	fi
done
pkgs=()
for a in "${arches[@]}"; do
	for p in qemu-user-static runc libc6 libseccomp2; do pkgs+=("$p:$a"); done
done
need=()
declare -A debfile
for p in "${pkgs[@]}"; do
	v=$(apt-cache policy "$p" | awk '/Candidate:/ {print $2}')
	if [ -z "$v" ] || [ "$v" = "(none)" ]; then
		echo "make-image: apt knows no $p (apt-get update? dpkg --add-architecture ${p#*:}?)" >&2
		exit 1
	fi
	f="${p%%:*}_${v/:/%3a}_${p#*:}.deb" # apt-get download's name: the epoch's colon is %3a
	debfile[$p]=$debs/$f
	[ -s "$debs/$f" ] || need+=("$p=$v")
done
if [ ${#need[@]} -gt 0 ]; then
	echo "== apt-get download ${need[*]}"
	(cd "$debs" && apt-get download "${need[@]}")
fi

# 3. The build context: image/Dockerfile and rootfs/<arch>/.
ctx=$work/context
rm -rf "$ctx"
mkdir -p "$ctx"
cp image/Dockerfile "$ctx/Dockerfile"
# The host's own architectures are refused by binfmt install: no emulator for them.
declare -A qemu_self=([amd64]="x86_64 i386" [arm64]=aarch64)
emulators=(x86_64 aarch64 arm i386 ppc64le s390x riscv64 mips64el loongarch64)
for a in "${arches[@]}"; do
	rfs=$ctx/rootfs/$a
	x=$work/extract/$a
	rm -rf "$x"
	mkdir -p "$x" "$rfs/usr/local/bin" "$rfs/usr/bin" "$rfs/usr/sbin" "$rfs/tmp" "$rfs/run" "$rfs/etc"
	chmod 1777 "$rfs/tmp"
	for p in qemu-user-static runc libc6 libseccomp2; do
		dpkg-deb -x "${debfile[$p:$a]}" "$x"
	done
	install -m 0755 "$work/bin/$a/multiarch" "$work/bin/$a/buildkitd" "$rfs/usr/local/bin/"
	install -m 0755 "$x/usr/sbin/runc" "$rfs/usr/sbin/runc"
	for e in "${emulators[@]}"; do
		[[ " ${qemu_self[$a]} " == *" $e "* ]] && continue
		install -m 0755 "$x/usr/bin/qemu-$e-static" "$rfs/usr/bin/"
	done
	# The emulators are Debian's files unchanged: their md5sums from the .deb.
	(cd "$rfs" && dpkg-deb -I "${debfile[qemu-user-static:$a]}" md5sums |
		grep -F "$(cd "$rfs" && ls usr/bin/qemu-*-static)" | md5sum -c --quiet -) ||
		{ echo "make-image: staged emulators of $a differ from Debian's md5sums" >&2; exit 1; }
	# runc's loader, libc and libseccomp, symlinks kept as Debian ships them.
	tuple=$(dpkg-architecture -a "$a" -q DEB_HOST_MULTIARCH 2>/dev/null || { [ "$a" = amd64 ] && echo x86_64-linux-gnu || echo aarch64-linux-gnu; })
	mkdir -p "$rfs/lib/$tuple" "$rfs/usr/lib/$tuple"
	cp -a "$x/lib/$tuple/"ld-linux*.so.* "$x/lib/$tuple/"libc.so.6 "$rfs/lib/$tuple/"
	cp -a "$x/usr/lib/$tuple/"libseccomp.so.2* "$rfs/usr/lib/$tuple/"
	[ -d "$x/lib64" ] && cp -a "$x/lib64" "$rfs/"
	cp -a "$x/lib/"ld-linux*.so.* "$rfs/lib/" 2>/dev/null || true
	# The Debian version of the emulators, for `multiarch version` readers.
	dpkg-deb -f "${debfile[qemu-user-static:$a]}" Version >"$rfs/etc/qemu-user-static.version"
done

# 4. A registry when IMAGE is not given.
if [ -z "${IMAGE:-}" ]; then
	port=${IMAGE_REGISTRY_PORT:-5000}
	reg=127.0.0.1:$port
	IMAGE=$reg/multiarch/multiarch:latest
	# shellcheck source=scripts/lib/registry.sh
	. "$root/scripts/lib/registry.sh"
	start_registry make-image "$reg" "$work" "${MULTIARCH_REGISTRY_BIN:-$root/bin/registry}" "set IMAGE_REGISTRY_PORT or IMAGE"
fi

# 5. Build and push BY DIGEST with multiarch itself (push-by-digest writes no
#    tag), prove that digest with multiarch, and only then write the tag: a
#    failure anywhere before step 6 leaves the image untagged in the
#    registry and $IMAGE unchanged (absent, or still the previous image).
meta=$work/metadata.json
rm -f "$meta"
echo "== multiarch build $platforms -> $IMAGE, by digest (no tag yet)"
"$ma" build "$ctx" --platform "$platforms" -t "$IMAGE" --progress quiet \
	-o type=image,push=true,push-by-digest=true,name-canonical=true --metadata-file "$meta"
# REPO@DIGEST from the metadata file without jq: MarshalIndent puts each
# top-level key on its own line, two spaces in (nested keys are deeper).
field() { sed -n 's/^  "'"$1"'": "\([^"]*\)",\{0,1\}$/\1/p' "$meta"; }
proven=$(field 'image\.name')
digest=$(field 'containerimage\.digest')
if ! [[ $proven =~ ^[^@,]+@sha256:[0-9a-f]{64}$ ]] || [ "${proven#*@}" != "$digest" ]; then
	echo "make-image: $meta names no REPO@DIGEST of the index (image.name \"$proven\", containerimage.digest \"$digest\")" >&2
	exit 1
fi
echo "== pushed untagged: $proven"
echo "== multiarch verify $proven"
"$ma" verify "$proven" --json >"$work/verify.json"
"$ma" verify "$proven"
# MAKE_IMAGE_EXTRA_TEST: one more command (word split) for `multiarch test
# REPO@DIGEST --`, run first; the e2e test makes it fail to prove no tag is written.
if [ -n "${MAKE_IMAGE_EXTRA_TEST:-}" ]; then
	echo "== multiarch test $proven -- $MAKE_IMAGE_EXTRA_TEST"
	# shellcheck disable=SC2086 # a command line, split on purpose
	"$ma" test "$proven" -- $MAKE_IMAGE_EXTRA_TEST
fi
echo "== multiarch test $proven -- multiarch version"
"$ma" test "$proven" -- multiarch version
echo "== multiarch test $proven -- buildkitd --version; runc --version (its loader and libraries resolve)"
"$ma" test "$proven" -- buildkitd --version
"$ma" test "$proven" -- runc --version
echo "== multiarch test $proven -- multiarch binfmt install ARCH --dry-run (finds the image's emulator on PATH, /usr/bin)"
"$ma" test "$proven" -- multiarch binfmt install all --dry-run
"$ma" test "$proven" --platform linux/amd64 -- multiarch binfmt install arm64 s390x --dry-run
"$ma" test "$proven" --platform linux/arm64 -- multiarch binfmt install amd64 s390x --dry-run
echo "== multiarch test: each platform's qemu-*-static is Debian's static build"
"$ma" test "$proven" --platform linux/amd64 -- qemu-aarch64-static --version
"$ma" test "$proven" --platform linux/arm64 -- qemu-x86_64-static --version

# 6. The tag, last. `index create` from the proven index writes an index of
#    the same entries (each platform manifest and its attestation manifest,
#    by digest, nothing rebuilt) under $IMAGE; its own index digest may
#    differ from the built one (its JSON is multiarch's, not BuildKit's), the
#    manifests it points to do not.
echo "== multiarch index create -t $IMAGE $proven (the tag, only now)"
"$ma" index create -t "$IMAGE" "$proven"
echo "== image passed: $IMAGE holds $platforms (proven as $proven)"
