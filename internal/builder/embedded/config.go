package embedded

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// daemonConfig renders the buildkitd.toml of the embedded builder.
//
// Loopback registries (127.0.0.0/8, ::1, localhost, any port) need no
// entry: BuildKit's resolver already speaks plain HTTP to them
// (containerd's docker.MatchLocalhost, applied both to hosts without a
// [registry] entry and to entries that leave `http` unset), which is what
// docker does too. buildkitd.toml has no wildcard for host:port, so
// writing entries per port would mean restarting the daemon for every new
// test registry. Registries the user names as insecure get an explicit
// `http = true, insecure = true` entry.
//
// The OCI worker runs runc through runcWrapper, which gives runc a state
// root of the builder's own (see runc.go).
//
// The daemon may grant network.host and security.insecure: a build still
// gets them only when it asks (--allow, --network host), as with buildx's
// own builders started with --allow-insecure-entitlement. Granting them
// always keeps the config the same from build to build, so asking for
// one restarts an older daemon once, not at every change.
func daemonConfig(root, address, traceSocket, runcWrapper string, insecure []string) string {
	var b strings.Builder
	b.WriteString("# Written by multiarch (`multiarch builder up`); changes are overwritten.\n")
	b.WriteString("# Loopback registries (127.0.0.0/8, ::1, localhost:*) use plain HTTP by\n")
	b.WriteString("# BuildKit's own default and need no [registry] entry.\n")
	fmt.Fprintf(&b, "root = %s\n", strconv.Quote(root))
	b.WriteString("insecure-entitlements = [\"network.host\", \"security.insecure\"]\n\n")
	fmt.Fprintf(&b, "[grpc]\n  address = [%s]\n\n", strconv.Quote(address))
	fmt.Fprintf(&b, "[otel]\n  socketPath = %s\n\n", strconv.Quote(traceSocket))
	fmt.Fprintf(&b, "[worker.oci]\n  enabled = true\n  binary = %s\n\n", strconv.Quote(runcWrapper))
	b.WriteString("[worker.containerd]\n  enabled = false\n")
	hosts := slices.Clone(insecure)
	slices.Sort(hosts)
	for _, h := range slices.Compact(hosts) {
		fmt.Fprintf(&b, "\n[registry.%s]\n  http = true\n  insecure = true\n", strconv.Quote(h))
	}
	return b.String()
}
