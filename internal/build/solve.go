package build

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	"github.com/moby/buildkit/session"
	"github.com/tonistiigi/fsutil"
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
	// exportDirect: the index under every tag, or the OCI tarball.
	exportDirect exportKind = iota
	// exportByDigest: the node's images pushed by digest, no tag.
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
}

func newNodeSolve(c *client.Client, a builder.Assignment, o Options, kind exportKind) (*nodeSolve, error) {
	so, out, err := solveOpt(o, a, kind)
	if err != nil {
		return nil, err
	}
	o.Logger.Debug("solve", "node", a.Node.Endpoint, "frontend", so.Frontend, "attrs", so.FrontendAttrs)
	return &nodeSolve{a: a, c: c, so: so, tl: newTimeline(), out: out}, nil
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
	for _, s := range solves {
		ch := make(chan *client.SolveStatus)
		label := ""
		if labelled {
			label = nodeLabel(s.a)
		}
		relays.Go(func() { relay(ch, out, s.tl, label) })
		eg.Go(func() error {
			resp, err := s.run(egctx, o, ch)
			if builder.ConnectionLost(egctx, err) {
				err = &builder.ConnectionLostError{Address: s.a.Node.Endpoint, Err: err}
			}
			if err != nil {
				return &NodeBuildError{Node: s.a.Node.Endpoint, Platforms: s.a.Platforms, Err: err}
			}
			s.resp = resp
			return nil
		})
	}
	err := eg.Wait()
	relays.Wait()
	err = withFrontendError(withPushError(err, solves), o)
	close(out)
	if derr := <-displayed; err == nil && derr != nil {
		return derr
	}
	return err
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
	ctxFS, err := fsutil.NewFS(o.ContextDir)
	if err != nil {
		return client.SolveOpt{}, nil, fmt.Errorf("build context: %w", err)
	}
	dfFS, err := fsutil.NewFS(filepath.Dir(o.Dockerfile))
	if err != nil {
		return client.SolveOpt{}, nil, fmt.Errorf("dockerfile dir: %w", err)
	}
	attrs := map[string]string{
		"filename": filepath.Base(o.Dockerfile),
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
	so := client.SolveOpt{
		Frontend:      "dockerfile.v0",
		FrontendAttrs: attrs,
		LocalMounts:   map[string]fsutil.FS{"context": ctxFS, "dockerfile": dfFS},
		Session:       []session.Attachable{builder.AuthSession(o.Registry)},
	}
	suffix := ""
	if kind == exportByDigest {
		suffix = nodeLabel(a)
	}
	so.CacheImports, so.CacheExports = o.cacheEntries(suffix)
	var out *ociOutput
	switch {
	case kind == exportByDigest && o.Push:
		so.Exports = []client.ExportEntry{byDigestExport(o)}
	case o.Push:
		e := client.ExportEntry{Type: client.ExporterImage, Attrs: o.annotationAttrs(true)}
		e.Attrs[string(exptypes.OptKeyName)] = strings.Join(o.Tags, ",")
		e.Attrs[string(exptypes.OptKeyPush)] = "true"
		o.insecureAttr(e.Attrs)
		so.Exports = []client.ExportEntry{e}
	case o.ociOut():
		out = &ociOutput{dest: o.OCIDest, stream: o.OCIStream}
		so.Exports = []client.ExportEntry{ociExport(o, out)}
	}
	return so, out, nil
}

// byDigestExport pushes a node's images into the first tag's repository
// by digest only: no tag is written until the index is assembled.
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
