#!/bin/sh
# make-rootfs.sh [CACHE_DIR] [DEBIAN_ARCH...]
#
# Builds the real-distribution fixtures verify's tests read: a Debian
# bookworm root filesystem per architecture, as one gzip tar at
# CACHE_DIR/<debian-arch>.tar.gz (gzip -n, default level: the bytes of an
# image layer as BuildKit and docker write it). CACHE_DIR defaults to
# <repo>/.cache/rootfs (tests read MULTIARCH_ROOTFS_CACHE, same default). Without arguments it
# builds every architecture of multiarch's platform table that bookworm's
# main archive has; riscv64 is not among them (it is a ports architecture
# in bookworm), so linux/riscv64 has no fixture.
#
# The variant is minbase plus libssl3: minbase already holds zlib1g,
# libzstd1, libgcrypt20 and libnettle8 (through apt and libsystemd0), and
# libssl3 adds the most common crypto library. Libraries that choose their
# code at run time carry build attributes above the baseline and made
# verify fail real systems: on armhf libgcrypt (ARMv8), on armel libatomic
# (ARMv7) and libnettle (ARMv6); amd64 bookworm has no x86-64 level notes.
# Foreign architectures run their maintainer scripts under the host's QEMU
# binfmt_misc handlers (make setup). /usr is merged by mmdebstrap's hook
# (as bookworm's usrmerge would, without installing it and perl), and
# manuals, docs and translations are left out (as Debian's slim images
# do): they hold no ELF file and would only make the tests slower.
#
# Time per architecture, measured on a 2-core machine under a load of
# about 10: amd64 3 min, i386 6, armhf 9, ppc64el 9, s390x 14, arm64 17
# (foreign ones run dpkg under QEMU); amd64 took under 2 min when the
# machine was quieter. Idempotent: an existing .tar.gz is kept (delete it
# to rebuild). Needs root and Debian's archive (deb.debian.org or the mirror in MMDEBSTRAP_MIRROR).
# Quiet on success; on failure prints mmdebstrap's log, names every
# architecture that failed, exit 1.
set -eu

ALL="amd64 arm64 armhf armel i386 ppc64el s390x"
SUITE=bookworm
PACKAGES=libssl3
MIRROR=${MMDEBSTRAP_MIRROR:-http://deb.debian.org/debian}

repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${1:-$repo/.cache/rootfs}
[ $# -gt 0 ] && shift
arches=${*:-$ALL}
mkdir -p "$cache"

failed=""
for a in $arches; do
	out=$cache/$a.tar.gz
	[ -s "$out" ] && continue
	raw=$cache/$a.tar
	if [ ! -s "$raw" ] && [ "$(id -u)" != 0 ]; then
		echo "make-rootfs: not root, cannot build $out (mmdebstrap --mode=root)" >&2
		failed="$failed $a"
		continue
	fi
	log=$cache/$a.log
	start=$(date +%s)
	# SOURCE_DATE_EPOCH keeps the tar's timestamps, so a rebuild of the
	# same package versions gives the same layer.
	if [ ! -s "$raw" ] && ! SOURCE_DATE_EPOCH=1700000000 mmdebstrap --quiet --mode=root --format=tar \
		--variant=minbase --architectures="$a" --include="$PACKAGES" \
		--aptopt='Acquire::Retries "3"' \
		--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
		--dpkgopt='path-exclude=/usr/share/man/*' \
		--dpkgopt='path-exclude=/usr/share/doc/*' \
		--dpkgopt='path-exclude=/usr/share/locale/*' \
		--dpkgopt='path-exclude=/usr/share/info/*' \
		"$SUITE" "$raw.tmp" "$MIRROR" >"$log" 2>&1; then
		rm -f "$raw.tmp"
		cat "$log" >&2
		failed="$failed $a"
		continue
	fi
	if [ ! -s "$raw" ]; then
		mv "$raw.tmp" "$raw"
		echo "make-rootfs: $a built in $(($(date +%s) - start))s" >>"$cache/times.log"
	fi
	gzip -n -c "$raw" >"$out.tmp"
	mv "$out.tmp" "$out"
	rm -f "$raw" "$log"
done

if [ -n "$failed" ]; then
	echo "make-rootfs: no root filesystem for:$failed (cache $cache)" >&2
	exit 1
fi
