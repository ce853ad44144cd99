package build

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/moby/buildkit/client"
	"golang.org/x/sync/errgroup"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

// Result is what a build produced.
type Result struct {
	// Address is the builder that ran the build: the endpoints of the
	// nodes that built something, comma separated.
	Address string
	// Digest is the digest of the image index (empty when nothing was
	// exported).
	Digest string
	// Platforms are the per-platform manifest digests, in index order.
	Platforms []PlatformDigest
	// Tags the index was pushed under (Push) or named (OCIDest).
	Tags    []string
	Pushed  bool
	OCIDest string
	// Stats say, per requested platform, which node built it and how long
	// its steps took.
	Stats []PlatformStat
	// EmulatedRun is the wall time during which RUN steps ran under
	// emulation on any node.
	EmulatedRun time.Duration
	// Duration is the wall time of the whole build, checks included.
	Duration time.Duration
}

// EmulationDominates reports whether RUN steps under emulation took more
// than half of the build's wall time: cross-compiling would pay off.
func (r *Result) EmulationDominates() bool {
	return r.Duration > 0 && 2*r.EmulatedRun > r.Duration
}

// Build builds opts on the one builder at address; see BuildOn.
func Build(ctx context.Context, address string, opts Options) (*Result, error) {
	return BuildOn(ctx, []Node{{Endpoint: address}}, opts)
}

// BuildOn builds the Dockerfile for every platform in opts on the nodes
// of a builder. Every platform goes to one node (Plan: a native node
// first, else one that emulates it); each node builds its platforms in one
// solve of BuildKit's dockerfile.v0 frontend.
//
// When one node builds everything, its solve exports the multi-platform
// index in one go: pushed under every tag, or written as an OCI tarball.
// When several nodes build, each pushes its images by digest only (no
// tag) and the index is then assembled from them and pushed under every
// tag, children first, index last. Either way it is all or nothing: if
// any platform fails, every solve is cancelled and no tag is written.
//
// Before the daemons are contacted the Dockerfile must exist; before any
// solve, every node must answer (*UnreachableError, or *NodeTLSError for
// a tcp:// node whose TLS does not match its options), some node must run
// every platform (*UnsupportedPlatformError) and each tag's registry must
// accept a push (*PushRefusedError, *RegistryUnreachableError).
func BuildOn(ctx context.Context, nodes []Node, opts Options) (*Result, error) {
	start := time.Now()
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if len(nodes) == 0 {
		return nil, fmt.Errorf("%w: no builder node", ErrInvalidOptions)
	}
	conns, err := connectAll(ctx, nodes)
	if err != nil {
		return nil, err
	}
	defer conns.close()
	plan, err := Plan(nodes, conns.statuses, o.Platforms)
	if err != nil {
		return nil, err
	}
	if len(plan) > 1 && o.OCIDest != "" {
		return nil, fmt.Errorf("%w: the platforms go to %d nodes, and a multi-node build can only --push (or build without output)", ErrInvalidOptions, len(plan))
	}
	if o.Push {
		if err := checkPush(ctx, o); err != nil {
			return nil, err
		}
	}
	var res *Result
	if len(plan) == 1 {
		res, err = buildSingle(ctx, conns.clients[plan[0].Index], plan[0], o)
	} else {
		res, err = buildMerged(ctx, conns, plan, o)
	}
	if err != nil {
		return nil, err
	}
	res.Address = endpoints(plan)
	res.Duration = time.Since(start)
	sortStats(res.Stats, o.Platforms)
	return res, nil
}

// sortStats puts stats in the order the platforms were requested.
func sortStats(stats []PlatformStat, order []platform.Platform) {
	pos := map[string]int{}
	for i, p := range order {
		pos[p.String()] = i
	}
	slices.SortStableFunc(stats, func(a, b PlatformStat) int { return pos[a.Platform] - pos[b.Platform] })
}

func endpoints(plan []Assignment) string {
	s := make([]string, len(plan))
	for i, a := range plan {
		s[i] = a.Node.Endpoint
	}
	return strings.Join(s, ", ")
}

// conns are the open clients of a builder's nodes and what they said.
type conns struct {
	clients  []*client.Client
	statuses []*NodeStatus
}

// connectAll connects to and probes every node at once; every node that
// does not answer is reported.
func connectAll(ctx context.Context, nodes []Node) (*conns, error) {
	cs := &conns{clients: make([]*client.Client, len(nodes)), statuses: make([]*NodeStatus, len(nodes))}
	errs := make([]error, len(nodes))
	var eg errgroup.Group
	for i, n := range nodes {
		eg.Go(func() error {
			c, err := connectNode(ctx, n)
			if err != nil {
				errs[i] = err
				return nil
			}
			cs.clients[i] = c
			cs.statuses[i], errs[i] = probeClient(ctx, c, n)
			return nil
		})
	}
	_ = eg.Wait()
	if err := errors.Join(errs...); err != nil {
		cs.close()
		return nil, err
	}
	return cs, nil
}

func (cs *conns) close() {
	for _, c := range cs.clients {
		if c != nil {
			c.Close()
		}
	}
}

// buildSingle runs the whole build as one solve on one node.
func buildSingle(ctx context.Context, c *client.Client, a Assignment, o Options) (*Result, error) {
	s, err := newNodeSolve(c, a, o, exportDirect)
	if err != nil {
		return nil, err
	}
	err = runSolves(ctx, o, []*nodeSolve{s}, false)
	if ferr := s.finish(err == nil); ferr != nil {
		return nil, ferr
	}
	if err != nil {
		return nil, fmt.Errorf("build failed, nothing exported: %w", err)
	}
	res, err := result(ctx, o, s.resp)
	stats, emulated := s.tl.stats(a)
	if res != nil {
		res.Stats, res.EmulatedRun = stats, union(emulated)
		setNodes(res.Platforms, stats)
	}
	return res, err
}

// setNodes fills in the node of every platform digest from stats.
func setNodes(ds []PlatformDigest, stats []PlatformStat) {
	for i := range ds {
		for _, s := range stats {
			if s.Platform == ds[i].Platform {
				ds[i].Node = s.Node
			}
		}
	}
}

func result(ctx context.Context, o Options, resp *client.SolveResponse) (*Result, error) {
	res := &Result{Digest: resp.ExporterResponse[exporterDigestKey], OCIDest: o.OCIDest}
	if o.Push || o.OCIDest != "" {
		res.Tags = o.Tags
	}
	var err error
	switch {
	case res.Digest == "":
	case o.Push:
		res.Pushed = true
		res.Platforms, err = pushedDigests(ctx, o.Tags[0], res.Digest, o)
	case o.OCIDest != "":
		res.Platforms, err = ociDigests(o.OCIDest, res.Digest)
	}
	if err != nil {
		return res, fmt.Errorf("built %s but could not list its platforms: %w", res.Digest, err)
	}
	return res, nil
}
