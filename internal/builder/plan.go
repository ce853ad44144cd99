package builder

import (
	"slices"
	"strings"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

// Assignment is the share of a build one node runs: its platforms, in one
// solve.
type Assignment struct {
	// Index is the node's place in the builder (0 for the first).
	Index  int
	Node   Node
	Status *NodeStatus
	// Platforms the node builds, in the order they were requested.
	Platforms []platform.Platform
	// Emulated holds the platforms (String()) that are not native on the
	// node: their RUN steps run under QEMU there.
	Emulated map[string]bool
}

// rank orders the nodes that can build a platform: native first, then
// emulation on a node without declared platforms (a general-purpose node),
// then emulation on a node dedicated to other platforms.
type rank int

const (
	rankNative rank = iota
	rankEmulatedGeneral
	rankEmulatedDedicated
	rankNone
)

func nodeRank(n Node, st *NodeStatus, p platform.Platform) rank {
	if RunsNatively(n, st, p) {
		return rankNative
	}
	for _, s := range st.Platforms() {
		// OS and architecture only: a node that runs one ARM variant
		// runs the others.
		if platform.SameArch(s, p.String()) {
			if len(n.Platforms) > 0 {
				return rankEmulatedDedicated
			}
			return rankEmulatedGeneral
		}
	}
	return rankNone
}

// RunsNatively reports whether node n, whose probe said st, runs p
// without emulation: the rule Plan routes by (see NativePlatforms).
func RunsNatively(n Node, st *NodeStatus, p platform.Platform) bool {
	return NativeAmong(NativePlatforms(n, st), p.OS+"/"+p.Arch)
}

// NativeAmong reports whether the platform exec (os/arch[/variant]) runs
// natively on a node whose native platforms (NativePlatforms) are native
// (platform.NativeOn).
func NativeAmong(native []string, exec string) bool {
	return slices.ContainsFunc(native, func(n string) bool { return platform.NativeOn(n, exec) })
}

// Plan assigns every wanted platform to one node: the best ranked (native
// over emulated, see rank), ties going to the node with fewer platforms so
// far, then to the earlier node. sts[i] is the status of nodes[i]. Only
// nodes that got platforms are returned, in node order. Platforms no node
// runs are an *UnsupportedPlatformError.
func Plan(nodes []Node, sts []*NodeStatus, want []platform.Platform) ([]Assignment, error) {
	as := make([]Assignment, len(nodes))
	for i := range nodes {
		as[i] = Assignment{Index: i, Node: nodes[i], Status: sts[i], Emulated: map[string]bool{}}
	}
	var missing []platform.Platform
	for _, p := range want {
		best, bestRank := -1, rankNone
		for i := range nodes {
			r := nodeRank(nodes[i], sts[i], p)
			if r < bestRank || (r == bestRank && r != rankNone && len(as[i].Platforms) < len(as[best].Platforms)) {
				best, bestRank = i, r
			}
		}
		if best < 0 {
			missing = append(missing, p)
			continue
		}
		as[best].Platforms = append(as[best].Platforms, p)
		if bestRank != rankNative {
			as[best].Emulated[p.String()] = true
		}
	}
	if len(missing) > 0 {
		return nil, unsupportedOnNodes(nodes, sts, missing)
	}
	out := as[:0]
	for _, a := range as {
		if len(a.Platforms) > 0 {
			out = append(out, a)
		}
	}
	return out, nil
}

func unsupportedOnNodes(nodes []Node, sts []*NodeStatus, missing []platform.Platform) error {
	addrs := make([]string, len(nodes))
	var supported []string
	seen := map[string]bool{}
	for i, n := range nodes {
		addrs[i] = n.Endpoint
		for _, p := range sts[i].Platforms() {
			if !seen[p] {
				seen[p] = true
				supported = append(supported, p)
			}
		}
	}
	return &UnsupportedPlatformError{Address: strings.Join(addrs, ", "), Platforms: missing, Supported: supported}
}
