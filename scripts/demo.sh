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

# 1. A real distribution registry on loopback.
cat >"$work/registry.yml" <<YML
version: 0.1
log: {level: warn}
storage: {filesystem: {rootdirectory: $work/registry}, delete: {enabled: true}}
http: {addr: $reg}
YML
OTEL_TRACES_EXPORTER=none "$root/bin/registry" serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
regpid=$!
trap 'kill $regpid 2>/dev/null || true' EXIT
for _ in $(seq 50); do
	curl -fsS "http://$reg/v2/" >/dev/null 2>&1 && break
	sleep 0.2
done
curl -fsS "http://$reg/v2/" >/dev/null || { cat "$work/registry.log"; echo "demo: registry did not start on $reg" >&2; exit 1; }
echo "== registry on $reg"

# 2. Stage Debian busybox-static per platform: TARGETARCH+TARGETVARIANT.
base=$root/examples/busybox-base
rm -rf "$base/rootfs"
declare -A deb=([amd64]=amd64 [arm64]=arm64 [armv6]=armel [armv7]=armhf [386]=i386 [ppc64le]=ppc64el [s390x]=s390x)
for dir in "${!deb[@]}"; do
	mkdir -p "$base/rootfs/$dir/bin"
	install -m 0755 "$cache/${deb[$dir]}/busybox" "$base/rootfs/$dir/bin/busybox"
done

# 3. Build and push the base, then the example FROM it.
"$ma" builder up
"$ma" build "$base" --platform "$platforms" -t "$reg/demo/busybox:latest" --push --progress quiet
"$ma" build examples/hello --platform "$platforms" --build-arg "BASE=$reg/demo/busybox:latest" \
	-t "$reg/demo/hello:latest" -t "$reg/demo/hello:1.0" --push --progress plain \
	--metadata-file "$work/hello.metadata.json"

# 4. Read the index back, prove every platform holds its own binaries, and
#    run every platform of both tags on the oldest CPU model of its variant.
"$ma" inspect "$reg/demo/hello:latest"
"$ma" verify "$reg/demo/hello:latest" "$reg/demo/hello:1.0" --platform "$platforms"
"$ma" test "$reg/demo/hello:latest" "$reg/demo/hello:1.0" --strict-cpu -- sh -c 'cat /built-on && echo "Running on $(uname -m)"'
"$ma" test "$reg/demo/hello:latest" --strict-cpu --json >"$work/test-matrix.json"
echo "== test matrix as JSON: $work/test-matrix.json; JUnit: multiarch test ... --junit FILE"
echo "== demo passed: $reg/demo/hello:latest and :1.0 hold $platforms"
