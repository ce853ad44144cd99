package build

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/docker/go-units"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/util/entitlements"
)

// Network is the sandbox of the build's RUN steps, as buildx sets it:
// the network mode, entitlements, extra /etc/hosts entries, the size of
// /dev/shm and ulimits. Every field is sent to BuildKit only when set, so
// a build without them sends what it sent before.
type Network struct {
	// Mode is "" (BuildKit's default), "none" or "host"; host needs the
	// network.host entitlement, which it asks for itself (as buildx does).
	Mode string
	// Allow are the entitlements asked for (network.host,
	// security.insecure); the daemon must grant them.
	Allow []string
	// AddHosts are HOST=IP entries for /etc/hosts (BuildKit's form).
	AddHosts []string
	// ShmSize is the size of /dev/shm in bytes (0: BuildKit's default).
	ShmSize int64
	// Ulimits are NAME=SOFT[:HARD] entries.
	Ulimits []string
}

// ParseNetworkMode reads --network: default, none or host.
func ParseNetworkMode(s string) (string, error) {
	switch s {
	case "", "default":
		return "", nil
	case "none", "host":
		return s, nil
	}
	return "", fmt.Errorf("%w: network mode %q: write default, none or host (BuildKit has no other networks)", ErrInvalidOptions, s)
}

// ParseEntitlements reads --allow entries, each comma separated, checked
// by BuildKit's own parser.
func ParseEntitlements(flags []string) ([]string, error) {
	var out []string
	for _, f := range flags {
		for e := range strings.SplitSeq(f, ",") {
			e = strings.TrimSpace(e)
			if _, _, err := entitlements.Parse(e); err != nil || e == "" {
				return nil, fmt.Errorf("%w: entitlements %q: unknown entitlement %q; write network.host or security.insecure", ErrInvalidOptions, f, e)
			}
			if !slices.Contains(out, e) {
				out = append(out, e)
			}
		}
	}
	return out, nil
}

// ParseAddHost reads HOST:IP or HOST=IP as buildx does: the IP may be a
// comma list and an IPv6 address may be bracketed ([::1]); the first
// "=" (else the first ":") separates, so host=::1 and host:[::1] work.
// It returns BuildKit's HOST=IP entries.
func ParseAddHost(s string) ([]string, error) {
	host, ip, ok := strings.Cut(s, "=")
	if !ok {
		host, ip, ok = strings.Cut(s, ":")
	}
	bad := fmt.Errorf("%w: host entry %q: write HOST:IP or HOST=IP (IPv6: HOST=::1 or HOST:[::1])", ErrInvalidOptions, s)
	if !ok || host == "" || ip == "" || strings.ContainsAny(host, " \t,") {
		return nil, bad
	}
	if ip == "host-gateway" {
		return nil, fmt.Errorf("%w: host entry %q: host-gateway is Docker's, BuildKit has none; write the address", ErrInvalidOptions, s)
	}
	var out []string
	for v := range strings.SplitSeq(ip, ",") {
		if len(v) > 2 && v[0] == '[' && v[len(v)-1] == ']' {
			v = v[1 : len(v)-1]
		}
		if net.ParseIP(v) == nil {
			return nil, bad
		}
		out = append(out, host+"="+v)
	}
	return out, nil
}

// ParseShmSize reads a size as docker does (128m, 1g, 67108864).
func ParseShmSize(s string) (int64, error) {
	n, err := units.RAMInBytes(s)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%w: shm size %q: write a positive size such as 64m or 1g", ErrInvalidOptions, s)
	}
	return n, nil
}

// ParseUlimit reads NAME=SOFT[:HARD] as docker does (nofile=1024:2048).
func ParseUlimit(s string) (string, error) {
	u, err := units.ParseUlimit(s)
	if err != nil {
		return "", fmt.Errorf("%w: ulimit %q: %v; write NAME=SOFT[:HARD], e.g. nofile=1024:2048", ErrInvalidOptions, s, err)
	}
	return u.String(), nil
}

// Entitlements are what the daemon must grant: Allow, and network.host
// for Mode host.
func (n Network) Entitlements() []string {
	out := slices.Clone(n.Allow)
	if n.Mode == "host" && !slices.Contains(out, string(entitlements.EntitlementNetworkHost)) {
		out = append(out, string(entitlements.EntitlementNetworkHost))
	}
	return out
}

// apply sets n on so as buildx does: frontend attributes force-network-mode,
// add-hosts, shm-size, ulimit, and the entitlements asked for.
func (n Network) apply(so *client.SolveOpt) {
	if n.Mode != "" {
		so.FrontendAttrs["force-network-mode"] = n.Mode
	}
	if len(n.AddHosts) > 0 {
		so.FrontendAttrs["add-hosts"] = strings.Join(n.AddHosts, ",")
	}
	if n.ShmSize > 0 {
		so.FrontendAttrs["shm-size"] = strconv.FormatInt(n.ShmSize, 10)
	}
	if len(n.Ulimits) > 0 {
		so.FrontendAttrs["ulimit"] = strings.Join(n.Ulimits, ",")
	}
	so.AllowedEntitlements = n.Entitlements()
}

// EntitlementError is a node's daemon refusing an entitlement the build
// asked for: it was not started to grant it.
type EntitlementError struct {
	Node        string
	Entitlement string
	Err         error
}

func (e *EntitlementError) Error() string {
	return fmt.Sprintf("builder %s does not grant the entitlement %s: %v", e.Node, e.Entitlement, e.Err)
}

func (e *EntitlementError) Unwrap() error { return e.Err }

// Hint says how the node's daemon grants it.
func (e *EntitlementError) Hint() string {
	return fmt.Sprintf("start that node's buildkitd with --allow-insecure-entitlement %s (or insecure-entitlements = [%q] in its buildkitd.toml)", e.Entitlement, e.Entitlement)
}

// entitlementError turns BuildKit's refusal of an entitlement into an
// *EntitlementError of node; other errors are returned as they are.
func entitlementError(err error, node string) error {
	const marker = "granting entitlement "
	if err == nil || errors.As(err, new(*EntitlementError)) {
		return err
	}
	msg := err.Error()
	i := strings.Index(msg, marker)
	if i < 0 || !strings.Contains(msg, "is not allowed by build daemon configuration") {
		return err
	}
	name, _, _ := strings.Cut(msg[i+len(marker):], " ")
	return &EntitlementError{Node: node, Entitlement: name, Err: err}
}
