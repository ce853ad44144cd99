package container

import (
	"context"
	"errors"

	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/platform"
)

// Route is where the containers of one platform run.
type Route struct {
	Runner *Runner
	// Node is the endpoint of the node.
	Node string
	// Native says the node runs the platform without emulation.
	Native bool
}

// Routes run containers of registry images on the nodes of a builder,
// each platform on the node a build would build it on (builder.Plan).
// Create them with RouteContainers and Close them when done.
type Routes struct {
	routes  map[string]Route // by platform.String()
	runners []*Runner
}

// RouteContainers connects to every node of a builder and routes each of
// want to one node with builder.Plan, the routing of a build: a node that
// runs it natively first, else one that emulates it. As for a build, every
// node must answer (*builder.UnreachableError, one per node that does not)
// and some node must run every platform
// (*builder.UnsupportedPlatformError); nodes that get no platform are let
// go at once. ctx also bounds the sessions the runners' containers share.
func RouteContainers(ctx context.Context, nodes []builder.Node, want []platform.Platform, opts Options) (*Routes, error) {
	conns, err := builder.Connect(ctx, nodes)
	if err != nil {
		return nil, err
	}
	// One platform asked for twice (two tags) is one route, and must not
	// weigh twice in Plan's balancing.
	var uniq []platform.Platform
	seen := map[string]bool{}
	for _, p := range want {
		if !seen[p.String()] {
			seen[p.String()] = true
			uniq = append(uniq, p)
		}
	}
	plan, err := builder.Plan(nodes, conns.Statuses, uniq)
	if err != nil {
		conns.Close()
		return nil, err
	}
	opts = opts.withDefaults()
	rs := &Routes{routes: map[string]Route{}}
	for _, a := range plan {
		r := &Runner{c: conns.Clients[a.Index], status: a.Status, opts: opts, ctx: ctx}
		conns.Clients[a.Index] = nil // the runner owns it now
		rs.runners = append(rs.runners, r)
		for _, p := range a.Platforms {
			rs.routes[p.String()] = Route{Runner: r, Node: a.Node.Endpoint, Native: !a.Emulated[p.String()]}
		}
	}
	conns.Close()
	return rs, nil
}

// Route returns the route of p; ok is false for a platform that was not
// asked for.
func (rs *Routes) Route(p platform.Platform) (r Route, ok bool) {
	r, ok = rs.routes[p.String()]
	return r, ok
}

// Close closes the connection to every node.
func (rs *Routes) Close() error {
	var errs []error
	for _, r := range rs.runners {
		errs = append(errs, r.Close())
	}
	return errors.Join(errs...)
}
