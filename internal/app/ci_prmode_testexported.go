package app

import (
	"context"
	"fmt"

	"github.com/multiarch-dev/multiarch/internal/build/container"
	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/imagetest"
	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/registry"
)

// layoutStoreID names PR mode's layout in the test session's content
// stores (container.Options.Layouts).
const layoutStoreID = "multiarch-ci-layout"

// layoutRef is the exported index in PR mode's layout, by digest.
func (r *ciRun) layoutRef() string {
	return registry.LayoutScheme + r.layout.Dest + "@" + r.sum.Digest
}

// testExported is PR mode's test after export: each platform of the
// exported layout's index, read by the builder from the layout itself
// (lent through the session, as buildx's oci-layout:// contexts are: no
// registry), tested again as test-pushed tests the pushed images. The
// layout was built on one node (a multi-node build writes no layout), so
// the test runs on that builder's first node.
func (r *ciRun) testExported(ctx context.Context) (string, error) {
	p := r.o.Plan
	ref := r.layoutRef()
	ins, err := registry.Inspect(ctx, ref, r.o.Registry)
	if err != nil {
		return "", err
	}
	entries := make([]imagetest.Entry, 0, len(ins.Manifests))
	for _, m := range ins.Manifests {
		entries = append(entries, imagetest.Entry{Platform: m.Platform, Digest: m.Digest})
	}
	b, err := ResolveBuilder(ctx, ResolveOptions{Env: r.o.Env, Builder: r.o.Builder, Start: true,
		Insecure: r.o.Registry.Insecure, OnEmbedded: r.s.OnEmbedded, Logger: r.o.Logger})
	if err != nil {
		return "", err
	}
	addr := b.Address()
	runner, err := container.NewRunner(ctx, addr, container.Options{Registry: r.o.Registry, Logger: r.o.Logger,
		Layouts: map[string]string{layoutStoreID: r.layout.Dest}})
	if err != nil {
		return "", b.wrap(err)
	}
	defer runner.Close()
	node := builder.Node{Endpoint: addr}
	targets, err := imagetest.Targets(ref, entries, p.Platforms, func(pl platform.Platform) bool { return builder.RunsNatively(node, runner.Status(), pl) })
	if err != nil {
		return "", err
	}
	for i := range targets {
		targets[i].Node = addr
	}
	o := imagetest.Options{StrictCPU: p.StrictCPU, Parallel: len(p.Platforms), Logger: r.o.Logger}
	if p.Test != "" {
		o.Command = []string{"sh", "-c", p.Test}
	}
	wctx, stop := b.watch(ctx)
	defer stop()
	rep, err := imagetest.Run(wctx, targets, layoutOpener(runner), o)
	if h := hungCause(wctx); h != nil {
		return "", b.wrap(h)
	}
	if err != nil {
		return "", err
	}
	sortCells(rep.Cells, p.Platforms)
	r.sum.ExportedMatrix = rep
	if err := imagetest.WriteTable(writerOrDiscard(r.s.Detail), rep); err != nil {
		return "", err
	}
	if !rep.Passed {
		return "", fmt.Errorf("%w: %d of %d exported platform(s) failed: %w", ErrChecksFailed, rep.Failed, rep.Total, rep.Err())
	}
	return passedDetail(rep) + ", read from the OCI layout", nil
}

// layoutOpener opens containers of the images of the layout lent to
// runner, as imageOpener does of registry images.
func layoutOpener(runner *container.Runner) imagetest.Opener {
	return func(ctx context.Context, t imagetest.Target, fn func(context.Context, imagetest.Container) error) error {
		img := container.Image{Ref: t.Tag, Digest: t.Digest, Platform: t.Platform, Layout: layoutStoreID}
		return runner.RunInImage(ctx, img, func(ctx context.Context, c container.Container) error {
			c, release := container.Shared(ctx, c)
			defer release()
			return fn(ctx, testContainer{c})
		})
	}
}
