package build

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	"github.com/moby/buildkit/session"
	"golang.org/x/sync/errgroup"

	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/registry"
)

// exporterDigestKey is where the image exporter reports what it wrote.
const exporterDigestKey = exptypes.ExporterImageDigestKey

// exportKind says what a node's solve exports.
type exportKind int

const (
	// exportDirect: the whole build's index (pushed by digest, with its
	// index annotations), or the OCI tarball.
	exportDirect exportKind = iota
	// exportByDigest: one node's share of a multi-node build, its images
	// pushed by digest; the index is assembled from the nodes' later.
	exportByDigest
)

// nodeSolve is one node's solve and what it produced.
type nodeSolve struct {
	a    builder.Assignment
	c    *client.Client
	so   client.SolveOpt
	tl   *timeline
	out  *ociOutput // nil: no OCI tarball
	resp *client.SolveResponse
	// watch is the push watchdog (nil without Push).
	watch *pushWatch
	// gate holds the export until every node's test passed (nil: one
	// node, or no test).
	gate *testGate
}

func newNodeSolve(c *client.Client, a builder.Assignment, o Options, kind exportKind) (*nodeSolve, error) {
	so, out, err := solveOpt(o, a, kind)
	if err != nil {
		return nil, err
	}
	o.Logger.Debug("solve", "node", a.Node.Endpoint, "frontend", so.Frontend, "attrs", so.FrontendAttrs)
	s := &nodeSolve{a: a, c: c, so: so, tl: newTimeline(), out: out}
	if o.Push {
		deadline := o.Registry.ResponseTimeout
		if deadline <= 0 {
			deadline = registry.DefaultResponseTimeout
		}
		s.watch = newPushWatch(deadline, registry.Host(o.Tags[0]))
	}
	return s, nil
}

// seen records a status of s's solve on its timeline and watchdog.
func (s *nodeSolve) seen(st *client.SolveStatus) {
	s.tl.add(st)
	if s.watch != nil {
		s.watch.seen(st)
	}
}

// exportStarted reports whether s's solve reached its exporter (only
// known while pushing: false without Push).
func (s *nodeSolve) exportStarted() bool {
	return s.watch != nil && s.watch.exportStarted()
}

// label names a node in the shared display and in its cache refs.
func nodeLabel(a builder.Assignment) string { return fmt.Sprintf("node%d", a.Index) }

// runSolves runs every solve at once and draws their progress on one
// display (vertices labelled by node when labelled). The first failure
// cancels the others.
func runSolves(ctx context.Context, o Options, solves []*nodeSolve, labelled bool) error {
	out := make(chan *client.SolveStatus)
	displayed := make(chan error, 1)
	go func() { displayed <- o.Display.run(context.WithoutCancel(ctx), out) }()

	eg, egctx := errgroup.WithContext(ctx)
	var relays sync.WaitGroup
	if o.Test != nil && len(solves) > 1 {
		gate := newTestGate(len(solves))
		for _, s := range solves {
			s.gate = gate
		}
	}
	for _, s := range solves {
		ch := make(chan *client.SolveStatus)
		label := ""
		if labelled {
			label = nodeLabel(s.a)
		}
		relays.Go(func() { relay(ch, out, s.seen, label) })
		eg.Go(func() error {
			resp, err := s.watched(egctx, o, ch)
			if builder.ConnectionLost(egctx, err) {
				err = &builder.ConnectionLostError{Address: s.a.Node.Endpoint, Err: err}
			}
			err = cacheBackendError(entitlementError(err, s.a.Node.Endpoint))
			if err != nil {
				return &NodeBuildError{Node: s.a.Node.Endpoint, Platforms: s.a.Platforms, Err: err}
			}
			s.resp = resp
			return nil
		})
	}
	err := eg.Wait()
	relays.Wait()
	err = withInputError(withSecretError(withGeneratorError(withFrontendError(withPushError(err, solves), o), o)), o)
	close(out)
	if derr := <-displayed; err == nil && derr != nil {
		return derr
	}
	return err
}

// watched runs s under its push watchdog: when BuildKit's push stalls,
// the solve is cancelled and the error is the *PushStalledError.
func (s *nodeSolve) watched(ctx context.Context, o Options, ch chan *client.SolveStatus) (*client.SolveResponse, error) {
	if s.watch == nil {
		return s.run(ctx, o, ch)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go s.watch.run(ctx, cancel)
	resp, err := s.run(ctx, o, ch)
	var stalled *PushStalledError
	if err != nil && errors.As(context.Cause(ctx), &stalled) {
		return nil, stalled
	}
	return resp, err
}

// run solves s; with o.Test, as a gateway build that tests the results
// before the exporter sees them.
func (s *nodeSolve) run(ctx context.Context, o Options, ch chan *client.SolveStatus) (*client.SolveResponse, error) {
	if o.Test == nil {
		return s.c.Solve(ctx, nil, s.so, ch)
	}
	return testedSolve(ctx, s, o, ch)
}

// solveOpt maps Options to the solve options of node a, and the OCI
// output its export writes into (nil without one).
func solveOpt(o Options, a builder.Assignment, kind exportKind) (client.SolveOpt, *ociOutput, error) {
	attrs := map[string]string{
		"platform": platformList(a.Platforms),
		// Always an index, even of one platform, and step names that
		// carry their platform (read by the timeline).
		"multi-platform": "true",
	}
	if o.Target != "" {
		attrs["target"] = o.Target
	}
	for k, v := range o.BuildArgs {
		attrs["build-arg:"+k] = v
	}
	o.frontendExtras(attrs)
	o.attestAttrs(attrs)
	so := client.SolveOpt{
		Frontend:      "dockerfile.v0",
		FrontendAttrs: attrs,
		Session:       []session.Attachable{builder.AuthSession(o.Registry)},
	}
	extra, err := o.sessionSecrets()
	if err != nil {
		return client.SolveOpt{}, nil, err
	}
	so.Session = append(so.Session, extra...)
	if err := o.addInputs(&so); err != nil {
		return client.SolveOpt{}, nil, err
	}
	o.Network.apply(&so)
	suffix := ""
	if kind == exportByDigest {
		suffix = nodeLabel(a)
	}
	so.CacheImports, so.CacheExports = o.cacheEntries(suffix)
	var out *ociOutput
	switch {
	case o.Push:
		e := byDigestExport(o)
		if kind == exportDirect {
			// The whole build's index: BuildKit's is the one tagged,
			// byte for byte, so it carries the index annotations.
			maps.Copy(e.Attrs, o.annotationAttrs(true))
		}
		so.Exports = []client.ExportEntry{e}
	case o.ociOut():
		out = &ociOutput{dest: o.OCIDest, stream: o.OCIStream}
		so.Exports = []client.ExportEntry{ociExport(o, out)}
	case o.Export != nil:
		so.Exports = make([]client.ExportEntry, 1)
		so.Exports[0], out, err = o.exportEntry(attrs)
	}
	return so, out, err
}

// byDigestExport pushes a solve's index and images into the first tag's
// repository by digest only: no tag is written by BuildKit, so a failed or
// stalled push moves none; the tags are written after the digest is known
// (and, in ci, proven).
func byDigestExport(o Options) client.ExportEntry {
	e := client.ExportEntry{Type: client.ExporterImage, Attrs: o.annotationAttrs(false)}
	e.Attrs[string(exptypes.OptKeyName)] = registry.Repository(o.Tags[0])
	e.Attrs[string(exptypes.OptKeyPush)] = "true"
	e.Attrs[string(exptypes.OptKeyPushByDigest)] = "true"
	e.Attrs[string(exptypes.OptKeyNameCanonical)] = "true"
	o.insecureAttr(e.Attrs)
	return e
}

// insecureAttr lets the exporter push over plain HTTP when a tag's
// registry is listed in o.Registry.Insecure, so a remote node needs no
// buildkitd.toml entry for it.
func (o Options) insecureAttr(attrs map[string]string) {
	for _, t := range o.Tags {
		if registry.ListedInsecure(t, o.Registry.Insecure) {
			attrs[string(exptypes.OptKeyInsecure)] = "true"
			return
		}
	}
}

func platformList(ps []platform.Platform) string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.String()
	}
	return strings.Join(names, ",")
}

// ociExport streams the OCI tarball into out's temp file.
func ociExport(o Options, out *ociOutput) client.ExportEntry {
	e := client.ExportEntry{Type: client.ExporterOCI, Attrs: o.annotationAttrs(true), Output: out.create}
	if len(o.Tags) > 0 {
		e.Attrs[string(exptypes.OptKeyName)] = strings.Join(o.Tags, ",")
	}
	return e
}
