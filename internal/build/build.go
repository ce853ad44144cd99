package build

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/moby/buildkit/client"

	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/registry"
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
	// Ref is REPOSITORY@DIGEST of the index pushed by digest (Push).
	Ref string
	// Tags the index was written under (Push; none from BuildByDigest) or
	// named (OCI output).
	Tags    []string
	Pushed  bool
	OCIDest string
	// OCIStreamed: the OCI tarball was written to Options.OCIStream.
	OCIStreamed bool
	// Export is what Options.Export wrote (nil without it).
	Export *ExportResult
	// Descriptor is the exported index's (media type, digest, size), when
	// an index was exported.
	Descriptor *Descriptor
	// Stats say, per requested platform, which node built it and how long
	// its steps took.
	Stats []PlatformStat
	// EmulatedRun is the wall time during which RUN steps ran under
	// emulation on any node.
	EmulatedRun time.Duration
	// EmulatedCompile is the part of EmulatedRun spent in RUN steps that
	// run a compiler.
	EmulatedCompile time.Duration
	// Duration is the wall time of the whole build, checks included.
	Duration time.Duration
	// Provenance is, per platform, the provenance predicate as buildx
	// writes it into its metadata file (MetadataProvenance); set by the
	// caller that writes one.
	Provenance map[string]json.RawMessage
}

// EmulationDominates reports whether RUN steps under emulation that run a
// compiler (gcc, go build, cargo, make, ...: see compilers) took more
// than half of the build's wall time: cross-compiling would pay off.
// Emulated steps that install packages or wait do not count: a cross
// compiler would not make them faster.
func (r *Result) EmulationDominates() bool {
	return r.Duration > 0 && 2*r.EmulatedCompile > r.Duration
}

// BuildOn builds the Dockerfile for every platform in opts on the nodes
// of a builder. Every platform goes to one node (builder.Plan: a native node
// first, else one that emulates it); each node builds its platforms in one
// solve of BuildKit's dockerfile.v0 frontend.
//
// With Push everything goes by digest first: when one node builds
// everything, its solve pushes the multi-platform index by digest into the
// first tag's repository; when several nodes build, each pushes its images
// by digest and the index is then assembled from them and pushed by digest
// (internal/registry's CreateIndex). Only then are the tags written, one
// at a time (registry.WriteTags; a failure part-way is a
// *registry.TagsError naming the tags that moved). If any platform fails,
// every solve is cancelled and no tag is written; a push that stops making
// progress for the registry deadline is cancelled (*PushStalledError).
// Without Push, OCIDest gets the index as an OCI tarball.
//
// Before the daemons are contacted the Dockerfile must exist; before any
// solve, every node must answer (*builder.UnreachableError, or
// *builder.NodeTLSError for a tcp:// node whose TLS does not match its
// options), some node must run every platform
// (*builder.UnsupportedPlatformError) and each tag's registry must
// accept a push (*PushRefusedError, *RegistryUnreachableError).
func BuildOn(ctx context.Context, nodes []builder.Node, opts Options) (*Result, error) {
	res, err := buildOn(ctx, nodes, opts)
	if err != nil || !opts.Push {
		return res, err
	}
	start := time.Now()
	if err := registry.WriteTags(ctx, res.Ref, opts.Tags, opts.Registry); err != nil {
		return nil, err
	}
	res.Tags = opts.Tags
	res.Duration += time.Since(start)
	return res, nil
}

// BuildByDigest is BuildOn without the tags: with Push the index is
// pushed by digest only (Result.Ref) and no tag is written, so the caller
// can prove what it pushed before naming it (registry.WriteTags).
func BuildByDigest(ctx context.Context, nodes []builder.Node, opts Options) (*Result, error) {
	return buildOn(ctx, nodes, opts)
}

func buildOn(ctx context.Context, nodes []builder.Node, opts Options) (*Result, error) {
	start := time.Now()
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	o, release, err := o.spoolStdin()
	if err != nil {
		return nil, err
	}
	defer release()
	if len(nodes) == 0 {
		return nil, fmt.Errorf("%w: no builder node", ErrInvalidOptions)
	}
	conns, err := builder.Connect(ctx, nodes)
	if err != nil {
		return nil, err
	}
	defer conns.Close()
	plan, err := builder.Plan(nodes, conns.Statuses, o.Platforms)
	if err != nil {
		return nil, err
	}
	if len(plan) > 1 {
		if err := o.multiNodeOutput(len(plan)); err != nil {
			return nil, err
		}
	}
	if err := o.checkMultiNodeCache(len(plan)); err != nil {
		return nil, err
	}
	if o.Push {
		if err := checkPush(ctx, o); err != nil {
			return nil, err
		}
	}
	fresh := o.freshCacheDirs()
	var res *Result
	if len(plan) == 1 {
		res, err = buildSingle(ctx, conns.Clients[plan[0].Index], plan[0], o)
	} else {
		res, err = buildMerged(ctx, conns, plan, o)
	}
	if err != nil {
		o.discardCacheDirs(fresh)
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

func endpoints(plan []builder.Assignment) string {
	s := make([]string, len(plan))
	for i, a := range plan {
		s[i] = a.Node.Endpoint
	}
	return strings.Join(s, ", ")
}

// buildSingle runs the whole build as one solve on one node.
func buildSingle(ctx context.Context, c *client.Client, a builder.Assignment, o Options) (*Result, error) {
	s, err := newNodeSolve(c, a, o, exportDirect)
	if err != nil {
		return nil, err
	}
	if err := runSolves(ctx, o, []*nodeSolve{s}, false); err != nil {
		if s.exportStarted() {
			return nil, fmt.Errorf("build failed while pushing by digest, no tag written: %w", err)
		}
		return nil, errors.Join(fmt.Errorf("build failed, nothing exported: %w", err), s.out.discard())
	}
	res, err := result(ctx, o, s)
	if err != nil {
		return nil, errors.Join(err, s.out.discard())
	}
	if err := s.out.commit(); err != nil {
		return nil, fmt.Errorf("built %s but could not write it out: %w", res.Digest, err)
	}
	stats, emulated := s.tl.stats(a)
	res.Stats, res.EmulatedRun, res.EmulatedCompile = stats, union(emulated.run), union(emulated.compile)
	setNodes(res.Platforms, stats)
	return res, nil
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

// result is what s exported, its platforms read back from the registry
// or from its OCI tarball (still in its temp file).
func result(ctx context.Context, o Options, s *nodeSolve) (*Result, error) {
	res := &Result{Digest: s.resp.ExporterResponse[exporterDigestKey], OCIDest: o.OCIDest, OCIStreamed: o.OCIStream != nil}
	if o.ociOut() {
		res.Tags = o.Tags
	}
	var err error
	switch {
	case res.Digest == "" && o.Push:
		return nil, errors.New("the exporter pushed the index but reported no digest")
	case res.Digest == "":
	case o.Push:
		res.Pushed, res.Ref = true, registry.Repository(o.Tags[0])+"@"+res.Digest
		res.Platforms, err = pushedDigests(ctx, res.Ref, o)
	case o.ociOut():
		res.Platforms, err = ociDigests(s.out.path(), res.Digest)
	case o.Export != nil:
		res.Platforms, err = o.Export.platforms(s.out, res.Digest, o.Platforms)
	}
	res.Export, res.Descriptor = o.Export.result(), descriptorOf(s.resp.ExporterResponse)
	if err != nil {
		return nil, fmt.Errorf("built %s but could not list its platforms: %w", res.Digest, err)
	}
	return res, nil
}
