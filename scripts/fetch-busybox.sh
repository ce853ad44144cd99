#!/bin/sh
# fetch-busybox.sh [CACHE_DIR]
#
# Fills the busybox cache the test fixtures are built from: Debian's
# busybox-static for every architecture bookworm has, one static binary per
# architecture at CACHE_DIR/<debian-arch>/busybox. CACHE_DIR defaults to
# <repo>/.cache/busybox (tests read MULTIARCH_BUSYBOX_CACHE, same default).
#
# The .debs are kept in CACHE_DIR/debs, so a rerun with a full cache needs no
# network and no root. Fetching needs root: it adds the foreign architectures
# to dpkg and runs apt-get update.
#
# apt-get update may exit 100 once foreign architectures are added (an index
# of one of them on the security mirror fails to download) while the
# packages themselves download fine, so success is judged by the files we
# end up with, not by apt's exit status.
#
# Quiet on success; on failure prints apt's output and names every missing
# architecture, exit 1.
set -eu

ARCHES="amd64 arm64 armhf armel i386 ppc64el s390x"

repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${1:-$repo/.cache/busybox}
debs=$cache/debs
mkdir -p "$debs"
cache=$(cd "$cache" && pwd)
debs=$cache/debs
log=$cache/fetch.log
: >"$log"

have_deb() {
	ls "$debs"/busybox-static_*_"$1".deb >/dev/null 2>&1
}

missing=""
for a in $ARCHES; do
	have_deb "$a" || missing="$missing $a"
done

if [ -n "$missing" ] && [ "$(id -u)" != 0 ]; then
	echo "fetch-busybox: not root, cannot fetch:$missing (needs dpkg --add-architecture, apt-get update)" >>"$log"
elif [ -n "$missing" ]; then
	host=$(dpkg --print-architecture)
	foreign=$(dpkg --print-foreign-architectures)
	for a in $missing; do
		[ "$a" = "$host" ] && continue
		echo "$foreign" | grep -qx "$a" || dpkg --add-architecture "$a"
	done
	# Exit 100 is expected when one foreign index fails; see above.
	apt-get -q -o DPkg::Lock::Timeout=300 update >>"$log" 2>&1 || true
	# apt-get download writes into the working directory. Doing it in a
	# directory _apt can write to keeps apt's sandbox (and its warning) quiet.
	tmp=$(mktemp -d "$debs/.dl.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	chown _apt "$tmp" 2>/dev/null || true
	for a in $missing; do
		(cd "$tmp" && apt-get -q download "busybox-static:$a") >>"$log" 2>&1 || true
		for f in "$tmp"/busybox-static_*_"$a".deb; do
			if [ -f "$f" ]; then mv "$f" "$debs/"; fi
		done
	done
fi

failed=""
for a in $ARCHES; do
	deb=$(ls "$debs"/busybox-static_*_"$a".deb 2>/dev/null | sort | tail -n 1 || true)
	if [ -z "$deb" ]; then
		failed="$failed $a"
		continue
	fi
	out=$cache/$a
	# Re-extract only when the binary is missing or came from another .deb.
	if [ -x "$out/busybox" ] && [ "$(cat "$out/.deb" 2>/dev/null)" = "$(basename "$deb")" ]; then
		continue
	fi
	rm -rf "$out.tmp"
	mkdir -p "$out.tmp"
	bin=""
	if dpkg-deb -x "$deb" "$out.tmp" >>"$log" 2>&1; then
		# bookworm ships /bin/busybox; later releases /usr/bin/busybox.
		for b in bin/busybox usr/bin/busybox; do
			[ -f "$out.tmp/$b" ] && bin=$b && break
		done
	fi
	if [ -n "$bin" ]; then
		cp "$out.tmp/$bin" "$out.tmp/busybox"
		chmod 0755 "$out.tmp/busybox"
		basename "$deb" >"$out.tmp/.deb"
		rm -rf "$out"
		mv "$out.tmp" "$out"
	else
		rm -rf "$out.tmp"
		failed="$failed $a"
	fi
done

if [ -n "$failed" ]; then
	cat "$log" >&2
	echo "fetch-busybox: missing busybox-static for:$failed (cache $cache)" >&2
	exit 1
fi
rm -f "$log"
