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
		out = append(out, warn(about(KindRoot, ""), "the embedded builder runs buildkitd as root; as another user it cannot start",
			"run build, test and ci with sudo, or point "+builder.EnvBuildkitHost+" at a running buildkitd"))
	}
	return append(out, embeddedState(ctx, e))
}

func embeddedState(ctx context.Context, e *embedded.Builder) Check {
	id := about(KindDaemon, "")
	st, err := e.Status(ctx)
	switch {
	case err != nil:
		return fail(id, fmt.Sprintf("the embedded builder at %s does not answer: %v (log %s)", e.Socket(), err, e.LogFile()),
			"sudo multiarch builder down && sudo multiarch builder up")
	case !st.Reachable:
		return ok(id, fmt.Sprintf("the embedded builder is not running; build, test and ci start it at %s (or: multiarch builder up)", e.Socket()))
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
		return fail(id, fmt.Sprintf("%s answers, but TLS fails: %s", b.describeNode(n), tlsErr.Problem), b.tlsFix(n, tlsErr))
	case err != nil:
		return fail(id, fmt.Sprintf("%s does not answer: %v", b.describeNode(n), err), b.nodeFix(n))
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

func (b *Builder) tlsFix(n builder.Node, e *builder.NodeTLSError) string {
	if b.Name == "" {
		return fmt.Sprintf("%s; %s carries no TLS options: create a named builder with them (multiarch builder create NAME --node %s --tls-ca FILE ...) and use --builder NAME",
			TLSAdvice(e), builder.EnvBuildkitHost, n.Endpoint)
	}
	return fmt.Sprintf("%s; to change them: multiarch builder rm %s && multiarch builder create %s --node %s --tls-ca FILE ...",
		TLSAdvice(e), b.Name, b.Name, n.Endpoint)
}

// TLSAdvice says what to check when TLS with a node failed: it answered,
// so starting it is not it. It is a doctor fix's wording, which names the
// node's TLS options as `builder create` spells them; the CLI's hint for a
// failed node uses the same words.
func TLSAdvice(e *builder.NodeTLSError) string {
	if e.Plain {
		return "the node does not use TLS: create the builder again without --tls-* options for it"
	}
	return "the node uses TLS: --tls-ca must be the CA that signed the node's certificate, whose SAN must match " +
		"the endpoint's host (or give --tls-server-name NAME), and if the node requires client certificates, " +
		"--tls-cert and --tls-key must be a certificate and key signed by a CA it trusts"
}

func (b *Builder) nodeFix(n builder.Node) string {
	if b.Name == "" {
		return fmt.Sprintf("start buildkitd at %s, or unset %s to use the embedded builder", n.Endpoint, builder.EnvBuildkitHost)
	}
	return fmt.Sprintf("start buildkitd at %s (check its TLS files), or fix the endpoint: multiarch builder rm %s && multiarch builder create %s --node ...",
		n.Endpoint, b.Name, b.Name)
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
		out[i] = fail(about(KindRoute, p.String()), fmt.Sprintf("%s: no node runs it (%s run %s)", p, ue.Address, strings.Join(ue.Supported, ", ")),
			fmt.Sprintf("add a %s node (multiarch builder create NAME --node ENDPOINT ...), or register QEMU on a node: sudo multiarch binfmt install %s", p.Arch, p))
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
