#!/usr/bin/env bash
# The main job, end to end on this machine: a local registry, the embedded
# BuildKit builder, a multi-platform busybox base built from Debian's
# binaries, the classic hello example built for every demo platform and
# pushed, then inspected, verified and tested platform by platform (the
# test on each variant's oldest CPU model).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
ma=$root/bin/multiarch
cache=${MULTIARCH_BUSYBOX_CACHE:-$root/.cache/busybox}
work=$root/.cache/demo
platforms=${DEMO_PLATFORMS:-linux/amd64,linux/arm64,linux/arm/v6,linux/arm/v7,linux/ppc64le,linux/s390x,linux/386}
port=${DEMO_REGISTRY_PORT:-5000}
reg=127.0.0.1:$port

mkdir -p "$work"

# 1. A real distribution registry on loopback. Another one already on that
#    port would answer in its place: refuse rather than push to it.
# shellcheck source=scripts/lib/registry.sh
. "$root/scripts/lib/registry.sh"
start_registry demo "$reg" "$work" "$root/bin/registry" "set DEMO_REGISTRY_PORT"

# 2. Stage Debian busybox-static per platform: TARGETARCH+TARGETVARIANT.
base=$root/examples/busybox-base
rm -rf "$base/rootfs"
declare -A deb=([amd64]=amd64 [arm64]=arm64 [armv6]=armel [armv7]=armhf [386]=i386 [ppc64le]=ppc64el [s390x]=s390x)
for dir in "${!deb[@]}"; do
	mkdir -p "$base/rootfs/$dir/bin"
	install -m 0755 "$cache/${deb[$dir]}/busybox" "$base/rootfs/$dir/bin/busybox"
done

# 3. Build and push the base with multiarch itself.
"$ma" builder up
"$ma" build "$base" --platform "$platforms" -t "$reg/demo/busybox:latest" --push --progress quiet

# 4. The whole pipeline for the classic example FROM that base: doctor, build
#    every platform, test every platform on the oldest CPU model of its
#    variant BEFORE anything is pushed, push both tags, verify every ELF file
#    of every pushed platform, pull each platform by digest and test it again.
"$ma" ci examples/hello --platform "$platforms" --base "$reg/demo/busybox:latest" \
	--image "$reg/demo/hello" -t latest -t 1.0 \
	--test 'cat /built-on && echo "Running on $(uname -m)"' --strict-cpu --progress quiet

# 5. Read the index back, and print the per-platform matrix of both tags.
"$ma" inspect "$reg/demo/hello:latest"
"$ma" test "$reg/demo/hello:latest" "$reg/demo/hello:1.0" --strict-cpu --junit "$work/test-matrix.xml" \
	-- sh -c 'cat /built-on && echo "Running on $(uname -m)"'
echo "== JUnit report of that matrix: $work/test-matrix.xml"
echo "== demo passed: $reg/demo/hello:latest and :1.0 hold $platforms"
