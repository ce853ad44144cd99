package doctor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"

	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/builder/embedded"
	"github.com/multiarch-dev/multiarch/internal/platform"
)

// Builder is the builder that build and test would use, for the builder
// checks: a named builder (Name and its Nodes), the one node of
// $BUILDKIT_HOST (Nodes only), or the embedded builder (Embedded only).
type Builder struct {
	Name     string
	Nodes    []builder.Node
	Embedded *embedded.Builder
}

// checks checks b and routes the platforms over its nodes: requested
// ones, else those the nodes declare. It returns the platforms this
// host's emulation serves and whether the host checks apply at all: the
// embedded builder and a local node (unix socket) emulate with this host's
// binfmt_misc; remote nodes do not. defaults is what the host checks cover
// when routing cannot tell.
func (b *Builder) checks(ctx context.Context, requested, defaults []platform.Platform) (cs []Check, hosted []platform.Platform, hostNeeded bool) {
	if b.Embedded != nil {
		return embeddedChecks(ctx, b.Embedded), defaults, true
	}
	local := slices.ContainsFunc(b.Nodes, func(n builder.Node) bool { return isLocal(n.Endpoint) })
	sts, cs := b.probeNodes(ctx)
	want := requested
	if len(want) == 0 {
		want = declared(b.Nodes)
	}
	if sts == nil || len(want) == 0 {
		return cs, defaults, local
	}
	route, hosted, unroutable := routeChecks(b.Nodes, sts, want)
	cs = append(cs, route...)
	if unroutable != nil {
		return cs, unroutable, local
	}
	return cs, hosted, len(hosted) > 0
}

// declared are the platforms the nodes declare, once each.
func declared(nodes []builder.Node) []platform.Platform {
	var out []platform.Platform
	for _, n := range nodes {
		for _, p := range n.Platforms {
			if !slices.ContainsFunc(out, func(q platform.Platform) bool { return q.String() == p.String() }) {
				out = append(out, p)
			}
		}
	}
	return out
}

// embeddedChecks: what the embedded builder needs to start, and whether
// it runs. A builder that does not run is fine: build starts it.
func embeddedChecks(ctx context.Context, e *embedded.Builder) []Check {
	var out []Check
	if bin, err := e.Buildkitd(); err != nil {
		out = append(out, fail(about(KindBuildkitd, ""), "the embedded builder needs buildkitd: "+err.Error(),
			"make build (in a multiarch checkout: bin/buildkitd), or put buildkitd on PATH, or set "+embedded.EnvBuildkitd))
	} else {
		out = append(out, ok(about(KindBuildkitd, ""), "buildkitd: "+bin))
	}
	if p, err := exec.LookPath("runc"); err != nil {
		out = append(out, fail(about(KindRunc, ""), "the embedded builder runs RUN steps and tests with runc, which is not on PATH",
			"sudo apt-get install runc"))
	} else {
		out = append(out, ok(about(KindRunc, ""), "runc: "+p))
	}
	if os.Geteuid() != 0 {
		out = append(out, warnDo(about(KindRoot, ""), "the embedded builder runs buildkitd as root; as another user it cannot start",
			Remedy{Action: RemedyRunAsRoot}))
	}
	return append(out, embeddedState(ctx, e))
}

func embeddedState(ctx context.Context, e *embedded.Builder) Check {
	id := about(KindDaemon, "")
	st, err := e.Status(ctx)
	switch {
	case err != nil:
		return failDo(id, fmt.Sprintf("the embedded builder at %s does not answer: %v (log %s)", e.Socket(), err, e.LogFile()),
			Remedy{Action: RemedyRestartEmbedded})
	case !st.Reachable:
		return ok(id, fmt.Sprintf("the embedded builder is not running; build, test and ci start it at %s on demand", e.Socket()))
	}
	return ok(id, fmt.Sprintf("the embedded builder runs at %s (BuildKit %s): %s", e.Socket(), st.Version, strings.Join(st.Platforms(), ", ")))
}

// probeNodes asks every node at once. sts is nil when any node did not
// answer.
func (b *Builder) probeNodes(ctx context.Context) ([]*builder.NodeStatus, []Check) {
	sts := make([]*builder.NodeStatus, len(b.Nodes))
	errs := make([]error, len(b.Nodes))
	var wg sync.WaitGroup
	for i, n := range b.Nodes {
		wg.Go(func() { sts[i], errs[i] = builder.ProbeNode(ctx, n) })
	}
	wg.Wait()
	cs := make([]Check, len(b.Nodes))
	for i, n := range b.Nodes {
		cs[i] = b.nodeCheck(i, n, sts[i], errs[i])
	}
	if errors.Join(errs...) != nil {
		return nil, cs
	}
	return sts, cs
}

func (b *Builder) nodeCheck(i int, n builder.Node, st *builder.NodeStatus, err error) Check {
	id := aboutNode(i)
	var tlsErr *builder.NodeTLSError
	switch {
	case errors.As(err, &tlsErr):
		// It answered: starting it is not the fix, its TLS options are.
		return failDo(id, fmt.Sprintf("%s answers, but TLS fails: %s", b.describeNode(n), tlsErr.Problem()),
			Remedy{Action: RemedyNodeTLS, Builder: b.Name, Endpoint: n.Endpoint, TLS: tlsErr})
	case err != nil:
		return failDo(id, fmt.Sprintf("%s does not answer: %v", b.describeNode(n), err),
			Remedy{Action: RemedyStartNode, Builder: b.Name, Endpoint: n.Endpoint})
	}
	native := strings.Join(builder.NativePlatforms(n, st), ", ")
	return ok(id, fmt.Sprintf("%s answers (BuildKit %s): native %s; runs %s",
		b.describeNode(n), st.Version, native, strings.Join(st.Platforms(), ", ")))
}

func (b *Builder) describeNode(n builder.Node) string {
	if b.Name == "" {
		return fmt.Sprintf("%s=%s", builder.EnvBuildkitHost, n.Endpoint)
	}
	return fmt.Sprintf("node %s of builder %s", n.Endpoint, b.Name)
}

// routeChecks says which node runs each platform, as build and test route
// it, and returns the platforms emulated on a node of this host; or, when
// some platform has no node, the failures and those platforms.
func routeChecks(nodes []builder.Node, sts []*builder.NodeStatus, want []platform.Platform) (cs []Check, hosted, unroutable []platform.Platform) {
	as, err := builder.Plan(nodes, sts, want)
	if err != nil {
		var ue *builder.UnsupportedPlatformError
		if !errors.As(err, &ue) {
			return []Check{fail(about(KindRoute, ""), err.Error(), "")}, nil, want
		}
		return unroutableChecks(ue), nil, ue.Platforms
	}
	for _, a := range as {
		for _, p := range a.Platforms {
			how := "natively"
			if a.Emulated[p.String()] {
				how = "under QEMU"
				if isLocal(a.Node.Endpoint) {
					hosted = append(hosted, p)
				}
			}
			cs = append(cs, ok(about(KindRoute, p.String()), fmt.Sprintf("%s runs %s on %s", p, how, a.Node.Endpoint)))
		}
	}
	return cs, hosted, nil
}

func unroutableChecks(ue *builder.UnsupportedPlatformError) []Check {
	out := make([]Check, len(ue.Platforms))
	for i, p := range ue.Platforms {
		out[i] = failDo(about(KindRoute, p.String()), fmt.Sprintf("%s: no node runs it (%s run %s)", p, ue.Address, strings.Join(ue.Supported, ", ")),
			Remedy{Action: RemedyAddNode, Platform: p.String(), Arch: p.Arch})
	}
	return out
}

// isLocal: the daemon of a unix socket or a loopback tcp:// address runs
// on this host (a loopback port forwarded elsewhere is counted too: that
// only adds host checks), so its emulation is this host's binfmt_misc.
func isLocal(endpoint string) bool {
	if strings.HasPrefix(endpoint, "unix://") {
		return true
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme != "tcp" {
		return false
	}
	if u.Hostname() == "localhost" {
		return true
	}
	ip := net.ParseIP(u.Hostname())
	return ip != nil && ip.IsLoopback()
}
