package build

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	"github.com/moby/buildkit/session"
	"github.com/tonistiigi/fsutil"
	"golang.org/x/sync/errgroup"
)

// Result is what a build produced.
type Result struct {
	// Address is the builder that ran the build.
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
	// Duration is the wall time of the whole build, checks included.
	Duration time.Duration
}

// Build builds the Dockerfile for every platform in opts with one solve of
// BuildKit's dockerfile.v0 frontend on the builder at address, and exports
// the multi-platform index in one go: pushed under every tag, or written as
// an OCI tarball. A solve fails as a whole, so when any platform fails
// nothing is exported and no tag is pushed or moved.
//
// Before the daemon is contacted the Dockerfile must exist; before the
// solve, the builder's workers must run every platform
// (*UnsupportedPlatformError) and each tag's registry must accept a push
// (*PushRefusedError, *RegistryUnreachableError). An unreachable builder
// is an *UnreachableError.
func Build(ctx context.Context, address string, opts Options) (*Result, error) {
	start := time.Now()
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	c, err := connect(ctx, address)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	st, err := probeClient(ctx, c, address)
	if err != nil {
		return nil, err
	}
	if err := checkPlatforms(st, o.Platforms); err != nil {
		return nil, err
	}
	if o.Push {
		if err := checkPush(ctx, o.Tags, o.Keychain); err != nil {
			return nil, err
		}
	}
	res, err := solve(ctx, c, o)
	if err != nil {
		return nil, err
	}
	res.Address = address
	res.Duration = time.Since(start)
	return res, nil
}

func solve(ctx context.Context, c *client.Client, o Options) (*Result, error) {
	so, finish, err := solveOpt(o)
	if err != nil {
		return nil, err
	}
	o.Logger.Debug("solve", "frontend", so.Frontend, "attrs", so.FrontendAttrs)
	ch := make(chan *client.SolveStatus)
	eg, egctx := errgroup.WithContext(ctx)
	var resp *client.SolveResponse
	eg.Go(func() error {
		var err error
		resp, err = c.Solve(egctx, nil, so, ch)
		return err
	})
	eg.Go(func() error { return o.Display.run(context.WithoutCancel(egctx), ch) })
	err = eg.Wait()
	if err := finish(err == nil); err != nil {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("build failed, nothing exported: %w", err)
	}
	return result(ctx, o, resp)
}

// solveOpt maps Options to BuildKit's solve options. finish(ok) completes
// the OCI output: renamed into place when ok, removed otherwise.
func solveOpt(o Options) (client.SolveOpt, func(ok bool) error, error) {
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
		"platform": platformList(o),
	}
	if o.Target != "" {
		attrs["target"] = o.Target
	}
	for k, v := range o.BuildArgs {
		attrs["build-arg:"+k] = v
	}
	so := client.SolveOpt{
		Frontend:      "dockerfile.v0",
		FrontendAttrs: attrs,
		LocalMounts:   map[string]fsutil.FS{"context": ctxFS, "dockerfile": dfFS},
		Session:       []session.Attachable{authSession(o.Keychain)},
	}
	finish := func(bool) error { return nil }
	switch {
	case o.Push:
		so.Exports = []client.ExportEntry{{Type: client.ExporterImage, Attrs: map[string]string{
			string(exptypes.OptKeyName): strings.Join(o.Tags, ","),
			string(exptypes.OptKeyPush): "true",
		}}}
	case o.OCIDest != "":
		var e client.ExportEntry
		e, finish = ociExport(o)
		so.Exports = []client.ExportEntry{e}
	}
	return so, finish, nil
}

func platformList(o Options) string {
	names := make([]string, len(o.Platforms))
	for i, p := range o.Platforms {
		names[i] = p.String()
	}
	return strings.Join(names, ",")
}

// ociExport streams the OCI tarball into a temp file next to OCIDest.
func ociExport(o Options) (client.ExportEntry, func(ok bool) error) {
	tmp := o.OCIDest + ".partial"
	e := client.ExportEntry{
		Type:  client.ExporterOCI,
		Attrs: map[string]string{},
		Output: func(map[string]string) (io.WriteCloser, error) {
			return os.Create(tmp)
		},
	}
	if len(o.Tags) > 0 {
		e.Attrs[string(exptypes.OptKeyName)] = strings.Join(o.Tags, ",")
	}
	finish := func(ok bool) error {
		if !ok {
			if err := os.Remove(tmp); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
			return nil
		}
		return os.Rename(tmp, o.OCIDest)
	}
	return e, finish
}

func result(ctx context.Context, o Options, resp *client.SolveResponse) (*Result, error) {
	res := &Result{Digest: resp.ExporterResponse[exptypes.ExporterImageDigestKey], OCIDest: o.OCIDest}
	if o.Push || o.OCIDest != "" {
		res.Tags = o.Tags
	}
	var err error
	switch {
	case res.Digest == "":
	case o.Push:
		res.Pushed = true
		res.Platforms, err = pushedDigests(ctx, o.Tags[0], res.Digest, o.Keychain)
	case o.OCIDest != "":
		res.Platforms, err = ociDigests(o.OCIDest, res.Digest)
	}
	if err != nil {
		return res, fmt.Errorf("built %s but could not list its platforms: %w", res.Digest, err)
	}
	return res, nil
}
