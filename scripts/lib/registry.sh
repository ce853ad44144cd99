# Sourced by scripts/demo.sh and scripts/make-image.sh: a throwaway
# distribution registry on loopback.
#
# start_registry NAME ADDR DIR BIN HINT
#   Refuses (exit 1) if something already answers on ADDR: it would take the
#   pushes in our registry's place. Otherwise serves DIR/registry with BIN,
#   config and log in DIR, sets regpid and an EXIT trap that stops it, and
#   waits at most ~10s for /v2/ to answer (exit 1 with the log if not).
#   NAME prefixes the messages; HINT says how to pick another port.
start_registry() {
	local name=$1 addr=$2 dir=$3 bin=$4 hint=$5
	if curl -fsS --max-time 2 "http://$addr/v2/" >/dev/null 2>&1; then
		echo "$name: something already answers on $addr; stop it or $hint" >&2
		exit 1
	fi
	mkdir -p "$dir/registry"
	cat >"$dir/registry.yml" <<YML
version: 0.1
log: {level: warn}
storage: {filesystem: {rootdirectory: $dir/registry}, delete: {enabled: true}}
http: {addr: $addr}
YML
	OTEL_TRACES_EXPORTER=none "$bin" serve "$dir/registry.yml" >"$dir/registry.log" 2>&1 &
	regpid=$!
	trap 'kill $regpid 2>/dev/null || true' EXIT
	for _ in $(seq 50); do
		kill -0 "$regpid" 2>/dev/null || break
		curl -fsS --max-time 2 "http://$addr/v2/" >/dev/null 2>&1 && break
		sleep 0.2
	done
	if ! kill -0 "$regpid" 2>/dev/null || ! curl -fsS --max-time 2 "http://$addr/v2/" >/dev/null; then
		cat "$dir/registry.log" >&2
		echo "$name: registry did not start on $addr (port taken? $hint)" >&2
		exit 1
	fi
	echo "== registry on $addr"
}
