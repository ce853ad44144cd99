package build

import (
	"context"
	"errors"
	"fmt"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

// Route is where the containers of one platform run.
type Route struct {
	Runner *ContainerRunner
	// Node is the endpoint of the node.
	Node string
	// Native says the node runs the platform without emulation.
	Native bool
}

// ContainerRoutes runs containers of registry images on the nodes of a
// builder, each platform on the node BuildOn would build it on. Create it
// with RouteContainers and Close it when done.
type ContainerRoutes struct {
	routes  map[string]Route // by platform.String()
	runners []*ContainerRunner
}

// RouteContainers connects to every node of a builder and routes each of
// want to one node with Plan, the routing of BuildOn: a node that runs it
// natively first, else one that emulates it. As for a build, every node
// must answer (*UnreachableError, one per node that does not) and some
// node must run every platform (*UnsupportedPlatformError); nodes that get
// no platform are let go at once. ctx also bounds the sessions the
// runners' containers share.
func RouteContainers(ctx context.Context, nodes []Node, want []platform.Platform, opts ContainerOptions) (*ContainerRoutes, error) {
	if len(nodes) == 0 {
		return nil, fmt.Errorf("%w: no builder node", ErrInvalidOptions)
	}
	conns, err := connectAll(ctx, nodes)
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
	plan, err := Plan(nodes, conns.statuses, uniq)
	if err != nil {
		conns.close()
		return nil, err
	}
	opts = opts.withDefaults()
	rs := &ContainerRoutes{routes: map[string]Route{}}
	for _, a := range plan {
		r := &ContainerRunner{c: conns.clients[a.Index], status: a.Status, opts: opts, ctx: ctx}
		conns.clients[a.Index] = nil // the runner owns it now
		rs.runners = append(rs.runners, r)
		for _, p := range a.Platforms {
			rs.routes[p.String()] = Route{Runner: r, Node: a.Node.Endpoint, Native: !a.Emulated[p.String()]}
		}
	}
	conns.close()
	return rs, nil
}

// Route returns the route of p; ok is false for a platform that was not
// asked for.
func (rs *ContainerRoutes) Route(p platform.Platform) (r Route, ok bool) {
	r, ok = rs.routes[p.String()]
	return r, ok
}

// Close closes the connection to every node.
func (rs *ContainerRoutes) Close() error {
	var errs []error
	for _, r := range rs.runners {
		errs = append(errs, r.Close())
	}
	return errors.Join(errs...)
}
