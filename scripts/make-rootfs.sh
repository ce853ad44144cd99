#!/bin/sh
# make-rootfs.sh [CACHE_DIR] [NAME...]
#
# Builds the real-distribution fixtures verify's tests read: Debian
# bookworm root filesystems, each as one gzip tar at CACHE_DIR/NAME.tar.gz
# (gzip -n, default level: the bytes of an image layer as BuildKit and
# docker write it). CACHE_DIR defaults to <repo>/.cache/rootfs (tests read
# MULTIARCH_ROOTFS_CACHE, same default). NAME is a Debian architecture or
# armhf-minbase; without arguments every one is built. riscv64 is not
# among them (a ports architecture in bookworm), so linux/riscv64 has no
# fixture.
#
# ARCH.tar.gz holds the files of minbase plus libssl3 (every Essential and
# Priority: required package, apt, libssl3 and their dependencies),
# UNPACKED but not configured (mmdebstrap's extract variant): the same ELF
# files a minbase system has, without running any maintainer script, so a
# foreign architecture needs no QEMU and takes seconds, not the 5-17
# minutes a configured foreign minbase takes here. minbase holds zlib1g,
# libzstd1, libgcrypt20 and libnettle8, libssl3 adds the most common crypto
# library: libraries that choose their code at run time carry build
# attributes above the baseline and made verify fail real systems (armhf
# libgcrypt: ARMv8; armel libatomic: ARMv7, libnettle: ARMv6).
#
# armhf-minbase.tar.gz is a configured minbase (maintainer scripts run under
# the host's QEMU binfmt_misc handlers, make setup), the base the apt-get
# build test installs into. /usr is merged by mmdebstrap's hook (as
# bookworm's usrmerge would), manuals, docs and translations are left out
# (as Debian's slim images do). Times are appended to CACHE_DIR/times.log.
#
# Idempotent: an existing .tar.gz is kept (delete it to rebuild). Needs
# root and Debian's archive (deb.debian.org or MMDEBSTRAP_MIRROR). Quiet on
# success; on failure prints mmdebstrap's log, names every fixture that
# failed, exit 1.
set -euf # -f: the apt patterns (?essential) are not file globs

ALL="amd64 arm64 armhf armel i386 ppc64el s390x armhf-minbase"
SUITE=bookworm
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
	case $a in
	*-minbase) arch=${a%-minbase} variant="--variant=minbase --include=libssl3" ;;
	*) arch=$a variant="--variant=extract --include=?essential --include=?priority(required) --include=apt,libssl3" ;;
	esac
	start=$(date +%s)
	# SOURCE_DATE_EPOCH keeps the tar's timestamps, so a rebuild of the
	# same package versions gives the same layer.
	if [ ! -s "$raw" ] && ! SOURCE_DATE_EPOCH=1700000000 mmdebstrap --quiet --mode=root --format=tar \
		$variant --architectures="$arch" \
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
