package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/renameio/v2"
	"github.com/spf13/cobra"

	"github.com/multiarch-dev/multiarch/internal/build/container"
	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/imagetest"
	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/registry"
)

type testFlags struct {
	platforms string
	strictCPU bool
	parallel  int
	asJSON    bool
	junit     string
	timeout   time.Duration
	builder   string
}

func newTestCmd() *cobra.Command {
	f := &testFlags{}
	cmd := &cobra.Command{
		Use:   "test REF [REF...] [-- CMD ARGS...]",
		Short: "Run every platform of an image in a container on the builder: uname -m and your command",
		Long: `For each platform entry of each REF (pulled by digest; attestations skipped) run, in containers
on the builder, ` + "`uname -m`" + ` (it must print a machine the platform produces) and CMD (it must exit 0).
With --strict-cpu emulated platforms run on the oldest CPU model of their variant (QEMU_CPU), so code
for newer CPUs dies with SIGILL. Exit 1 when any cell fails.
The builder is --builder NAME (see ` + "`multiarch builder create`" + `), else $BUILDKIT_HOST, else the
embedded builder (started on demand). With --builder each platform runs on the node a build would
send it to: one that runs it natively where there is one, else one that emulates it; the report
names the node of every cell.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if refs, _ := splitDash(cmd, args); len(refs) == 0 {
				return errors.New("give the image to test: multiarch test REF [-- CMD ARGS...]")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			refs, command := splitDash(cmd, args)
			return runTest(cmd, f, refs, command)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.platforms, "platform", "", "test only these platforms, comma separated (each must be in the image)")
	fl.BoolVar(&f.strictCPU, "strict-cpu", false, "run emulated platforms on the oldest CPU model of their variant (QEMU_CPU)")
	fl.IntVar(&f.parallel, "parallel", imagetest.DefaultParallel, "cells run at once")
	fl.BoolVar(&f.asJSON, "json", false, "print the report as JSON")
	fl.StringVar(&f.junit, "junit", "", "also write the report as JUnit XML to this file")
	fl.DurationVar(&f.timeout, "cell-timeout", imagetest.DefaultCellTimeout, "time limit of each cell")
	fl.StringVar(&f.builder, "builder", "", "test on the named builder `NAME`, each platform on the node a build would use: native where one exists (see multiarch builder ls)")
	addRegistryFlags(cmd)
	return cmd
}

// splitDash separates the references from the command after "--".
func splitDash(cmd *cobra.Command, args []string) (refs, command []string) {
	if i := cmd.ArgsLenAtDash(); i >= 0 {
		return args[:i], args[i:]
	}
	return args, nil
}

func runTest(cmd *cobra.Command, f *testFlags, refs, command []string) error {
	if f.parallel < 1 {
		return fmt.Errorf("--parallel %d: run at least one cell at a time", f.parallel)
	}
	var want []platform.Platform
	if f.platforms != "" {
		var err error
		if want, err = platform.ParseList(f.platforms); err != nil {
			return fmt.Errorf("--platform: %w", err)
		}
	}
	opts := imagetest.Options{Command: command, StrictCPU: f.strictCPU, Parallel: f.parallel, CellTimeout: f.timeout, Logger: logger(cmd)}
	report, err := testRefs(cmd, f.builder, refs, want, opts)
	if err != nil {
		return err
	}
	return renderTest(cmd, f, report)
}

// testRefs runs the matrix of refs' platform entries (all, or want) on
// the builder, each entry pulled by digest: on the nodes of the named
// builder when one is given (see testOnNodes), else on the one builder
// ensureBuilder returns.
func testRefs(cmd *cobra.Command, builderName string, refs []string, want []platform.Platform, opts imagetest.Options) (*imagetest.Report, error) {
	ctx := cmd.Context()
	regOpts := registryOptions(cmd)
	entries, err := testEntries(ctx, refs, regOpts)
	if err != nil {
		return nil, err
	}
	if builderName != "" {
		return testOnNodes(cmd, builderName, refs, entries, want, opts)
	}
	addr, err := ensureBuilder(ctx, cmd, regOpts.Insecure)
	if err != nil {
		return nil, explainBuildError(err)
	}
	runner, err := container.NewRunner(ctx, addr, container.Options{Logger: logger(cmd)})
	if err != nil {
		return nil, explainBuildError(err)
	}
	defer runner.Close()
	node := builder.Node{Endpoint: addr}
	native := func(p platform.Platform) bool { return builder.RunsNatively(node, runner.Status(), p) }
	targets, err := testTargets(refs, entries, want, native)
	if err != nil {
		return nil, err
	}
	for i := range targets {
		targets[i].Node = addr
	}
	return imagetest.Run(ctx, targets, imageOpener(func(imagetest.Target) *container.Runner { return runner }), opts)
}

// testOnNodes runs the matrix on the nodes of the named builder: each
// platform on the node `build --builder` would build it on (builder.Plan,
// through container.RouteContainers), native there or emulated, every node's
// cells at once.
func testOnNodes(cmd *cobra.Command, builderName string, refs []string, entries [][]imagetest.Entry, want []platform.Platform, opts imagetest.Options) (*imagetest.Report, error) {
	ctx := cmd.Context()
	nodes, err := builderNodes(ctx, cmd, builderName, nil)
	if err != nil {
		return nil, err
	}
	// Native is set from the route below.
	targets, err := testTargets(refs, entries, want, func(platform.Platform) bool { return false })
	if err != nil {
		return nil, err
	}
	ps := make([]platform.Platform, len(targets))
	for i, t := range targets {
		ps[i] = t.Platform
	}
	routes, err := container.RouteContainers(ctx, nodes, ps, container.Options{Logger: logger(cmd)})
	if err != nil {
		return nil, explainNodesError(builderName, err)
	}
	defer routes.Close()
	runners := make(map[string]*container.Runner, len(targets))
	for i, t := range targets {
		r, _ := routes.Route(t.Platform) // every target's platform was routed
		targets[i].Node, targets[i].Native = r.Node, r.Native
		runners[t.Platform.String()] = r.Runner
	}
	return imagetest.Run(ctx, targets, imageOpener(func(t imagetest.Target) *container.Runner { return runners[t.Platform.String()] }), opts)
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

// testEntries lists the platform entries of every reference before any
// builder is started, so a missing image fails fast.
func testEntries(ctx context.Context, refs []string, opts registry.Options) ([][]imagetest.Entry, error) {
	out := make([][]imagetest.Entry, len(refs))
	for i, ref := range refs {
		if strings.HasPrefix(ref, registry.LayoutScheme) {
			return nil, fmt.Errorf("%s: `multiarch test` runs images from a registry; push the layout first (`multiarch index create` or `build --push`)", ref)
		}
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

func renderTest(cmd *cobra.Command, f *testFlags, r *imagetest.Report) error {
	var err error
	if f.asJSON {
		err = imagetest.WriteJSON(cmd.OutOrStdout(), r)
	} else {
		err = imagetest.WriteTable(cmd.OutOrStdout(), r)
	}
	if err != nil {
		return err
	}
	if f.junit != "" {
		var b bytes.Buffer
		if err := imagetest.WriteJUnit(&b, r); err != nil {
			return err
		}
		if err := renameio.WriteFile(f.junit, b.Bytes(), 0o644); err != nil {
			return fmt.Errorf("--junit: %w", err)
		}
	}
	if !r.Passed {
		return fmt.Errorf("%w: %d of %d cells failed: %w", ErrChecksFailed, r.Failed, r.Total, r.Err())
	}
	return nil
}

// imageOpener opens containers of registry images on the runner of each
// target.
func imageOpener(runner func(imagetest.Target) *container.Runner) imagetest.Opener {
	return func(ctx context.Context, t imagetest.Target, fn func(context.Context, imagetest.Container) error) error {
		img := container.Image{Ref: t.Tag, Digest: t.Digest, Platform: t.Platform}
		return runner(t).RunInImage(ctx, img, func(ctx context.Context, c container.Container) error {
			// Both checks of the cell in one container: one start, not two.
			c, release := container.Shared(ctx, c)
			defer release()
			return fn(ctx, testContainer{c})
		})
	}
}

// testContainer adapts build's containers to imagetest's: a non-zero exit
// is an Exit there, an *ExitError here. `build --test` uses it for
// containers of solved results.
type testContainer struct{ c container.Container }

func (a testContainer) Run(ctx context.Context, p imagetest.Process) (imagetest.Exit, error) {
	res, err := a.c.Run(ctx, container.Process{Args: p.Args, Env: p.Env})
	var ex imagetest.Exit
	if res != nil {
		ex.Stdout, ex.Output, ex.Duration = res.Stdout, res.Output, res.Duration
	}
	var ee *container.ExitError
	if errors.As(err, &ee) {
		ex.Code = ee.Code
		if ee.Signal != 0 {
			ex.Signal = container.SignalName(ee.Signal)
		}
		return ex, nil
	}
	return ex, err
}

func (a testContainer) LookPath(ctx context.Context, file string) (string, error) {
	return a.c.LookPath(ctx, file)
}

func (a testContainer) ReadFile(ctx context.Context, path string, limit int) ([]byte, error) {
	return a.c.ReadFile(ctx, path, limit)
}
