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

// TestOptions configure a test of images pushed to a registry.
type TestOptions struct {
	// Refs are the images (or indexes) to test, each from a registry.
	Refs []string
	// Platforms limits the test to these platforms, each of which every
	// image must have (default: all of each image's entries).
	Platforms []platform.Platform
	// Test is the matrix's options: the command, strict CPU, parallelism,
	// cell timeout and logger.
	Test imagetest.Options
	// Registry is how the images' entries are listed.
	Registry registry.Options
	// Env is the environment ResolveBuilder reads.
	Env Env
	// Builder names the builder of the store to test on: each platform
	// runs on the node a build would send it to (default: see
	// ResolveBuilder; the embedded builder is started on demand).
	Builder string
	// OnEmbedded is told when the embedded builder starts (see
	// ResolveOptions).
	OnEmbedded func(EmbeddedEvent)
}

// Test runs the matrix of the platform entries of o.Refs, each pulled by
// digest, on the builder ResolveBuilder picks: on a named builder's nodes
// each platform on the node `build` would use, else on the one builder.
// The entries are listed before any builder starts, so a missing image
// fails fast. Failed cells are in the report, not an error.
func Test(ctx context.Context, o TestOptions) (*imagetest.Report, error) {
	for _, ref := range o.Refs {
		if registry.IsLocalPath(ref) {
			return nil, &LocalImageError{Ref: ref}
		}
	}
	entries, err := testEntries(ctx, o.Refs, o.Registry)
	if err != nil {
		return nil, err
	}
	b, err := ResolveBuilder(ctx, ResolveOptions{Env: o.Env, Builder: o.Builder, Start: true,
		Insecure: o.Registry.Insecure, OnEmbedded: o.OnEmbedded, Logger: o.Test.Logger})
	if err != nil {
		return nil, err
	}
	if b.Source == SourceNamed {
		return testOnNodes(ctx, b, o, entries)
	}
	addr := b.Address()
	runner, err := container.NewRunner(ctx, addr, container.Options{Logger: o.Test.Logger})
	if err != nil {
		return nil, b.wrap(err)
	}
	defer runner.Close()
	node := builder.Node{Endpoint: addr}
	native := func(p platform.Platform) bool { return builder.RunsNatively(node, runner.Status(), p) }
	targets, err := testTargets(o.Refs, entries, o.Platforms, native)
	if err != nil {
		return nil, err
	}
	for i := range targets {
		targets[i].Node = addr
	}
	wctx, stop := b.watch(ctx)
	defer stop()
	rep, err := imagetest.Run(wctx, targets, imageOpener(func(imagetest.Target) *container.Runner { return runner }), o.Test)
	if h := hungCause(wctx); h != nil {
		// The cells say "interrupted"; the reason is the daemon.
		return rep, b.wrap(h)
	}
	return rep, err
}

// testOnNodes runs the matrix on the nodes of the named builder b: each
// platform on the node Build would build it on (builder.Plan,
// through container.RouteContainers), native there or emulated, every
// node's cells at once.
func testOnNodes(ctx context.Context, b *ResolvedBuilder, o TestOptions, entries [][]imagetest.Entry) (*imagetest.Report, error) {
	// Native is set from the route below.
	targets, err := testTargets(o.Refs, entries, o.Platforms, func(platform.Platform) bool { return false })
	if err != nil {
		return nil, err
	}
	ps := make([]platform.Platform, len(targets))
	for i, t := range targets {
		ps[i] = t.Platform
	}
	routes, err := container.RouteContainers(ctx, b.Nodes, ps, container.Options{Logger: o.Test.Logger})
	if err != nil {
		return nil, b.wrap(err)
	}
	defer routes.Close()
	runners := make(map[string]*container.Runner, len(targets))
	for i, t := range targets {
		r, _ := routes.Route(t.Platform) // every target's platform was routed
		targets[i].Node, targets[i].Native = r.Node, r.Native
		runners[t.Platform.String()] = r.Runner
	}
	return imagetest.Run(ctx, targets, imageOpener(func(t imagetest.Target) *container.Runner { return runners[t.Platform.String()] }), o.Test)
}

// testTargets are the targets of every reference, in order.
func testTargets(refs []string, entries [][]imagetest.Entry, want []platform.Platform, native func(platform.Platform) bool) ([]imagetest.Target, error) {
	var targets []imagetest.Target
	for i, ref := range refs {
		ts, err := imagetest.Targets(ref, entries[i], want, native)
		if err != nil {
			return nil, err
		}
		targets = append(targets, ts...)
	}
	return targets, nil
}

// testEntries lists the platform entries of every reference.
func testEntries(ctx context.Context, refs []string, opts registry.Options) ([][]imagetest.Entry, error) {
	out := make([][]imagetest.Entry, len(refs))
	for i, ref := range refs {
		ins, err := registry.Inspect(ctx, ref, opts)
		if err != nil {
			return nil, err
		}
		for _, m := range ins.Manifests {
			out[i] = append(out[i], imagetest.Entry{Platform: m.Platform, Digest: m.Digest})
		}
		if len(out[i]) == 0 {
			return nil, fmt.Errorf("%s has no platform entries to test", ref)
		}
	}
	return out, nil
}

// LocalImageError is Test given an OCI layout or archive: its cells run
// images the builder pulls from a registry.
type LocalImageError struct{ Ref string }

func (e *LocalImageError) Error() string {
	return e.Ref + ": `multiarch test` runs images from a registry, not from an OCI layout or archive"
}
