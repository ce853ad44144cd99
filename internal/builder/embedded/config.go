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
// `http = true, insecure = true` entry; mirrors (Settings.Mirrors) a
// `mirrors` entry, and a loopback mirror an explicit `http = true`.
//
// The OCI worker runs runc through runcWrapper, which gives runc a state
// root of the builder's own (see runc.go). A user config
// (Settings.UserConfig) is merged in by mergeUserConfig.
//
// The daemon may grant grantedEntitlements: a build still gets them only
// when it asks (--allow, --network host), as with buildx's own builders
// started with --allow-insecure-entitlement. Granting them always keeps the
// config the same from build to build, so asking for one restarts an
// older daemon once, not at every change.
func daemonConfig(root, address, traceSocket, runcWrapper string, insecure []string, s Settings) (string, error) {
	insecure = slices.Concat(insecure, s.Insecure)
	slices.Sort(insecure)
	insecure = slices.Compact(insecure)
	regs := registryEntries(insecure, s.Mirrors)
	if s.UserConfig != "" {
		return mergeUserConfig(root, address, traceSocket, runcWrapper, regs, s)
	}
	var b strings.Builder
	b.WriteString("# Written by multiarch (`multiarch builder up`); changes are overwritten.\n")
	b.WriteString("# Loopback registries (127.0.0.0/8, ::1, localhost:*) use plain HTTP by\n")
	b.WriteString("# BuildKit's own default and need no [registry] entry.\n")
	fmt.Fprintf(&b, "root = %s\n", strconv.Quote(root))
	fmt.Fprintf(&b, "insecure-entitlements = [%q, %q]\n\n", grantedEntitlements[0], grantedEntitlements[1])
	fmt.Fprintf(&b, "[grpc]\n  address = [%s]\n\n", strconv.Quote(address))
	fmt.Fprintf(&b, "[otel]\n  socketPath = %s\n\n", strconv.Quote(traceSocket))
	fmt.Fprintf(&b, "[worker.oci]\n  enabled = true\n  binary = %s\n\n", strconv.Quote(runcWrapper))
	b.WriteString("[worker.containerd]\n  enabled = false\n")
	hosts := make([]string, 0, len(regs))
	for h := range regs {
		hosts = append(hosts, h)
	}
	slices.Sort(hosts)
	for _, h := range hosts {
		fmt.Fprintf(&b, "\n[registry.%s]\n", strconv.Quote(h))
		e := regs[h]
		for _, k := range []string{"http", "insecure"} {
			if e[k] == true {
				fmt.Fprintf(&b, "  %s = true\n", k)
			}
		}
		if ms, ok := e["mirrors"].([]string); ok {
			q := make([]string, len(ms))
			for i, m := range ms {
				q[i] = strconv.Quote(m)
			}
			fmt.Fprintf(&b, "  mirrors = [%s]\n", strings.Join(q, ", "))
		}
	}
	return b.String(), nil
}

// grantedEntitlements are the entitlements the embedded builder's daemon
// may grant a build that asks for them.
var grantedEntitlements = []string{"network.host", "security.insecure"}
