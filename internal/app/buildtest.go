package app

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/multiarch-dev/multiarch/internal/build"
	"github.com/multiarch-dev/multiarch/internal/build/container"
	"github.com/multiarch-dev/multiarch/internal/imagetest"
)

// buildTester runs Build's test before export on each node's solved
// results (build.Options.Test) and keeps every node's report for the
// caller to print, whether the build went on or not.
type buildTester struct {
	tag  string
	opts imagetest.Options

	mu      sync.Mutex
	reports []*imagetest.Report
}

// newBuildTester tests with `sh -c command` in every platform; tag names
// the cells in the report. An empty command checks uname only (ci without
// a test command): no sh is needed then, so an image without one (FROM
// scratch) can pass.
func newBuildTester(tag, command string, opts imagetest.Options) *buildTester {
	if command != "" {
		opts.Command = []string{"sh", "-c", command}
	}
	return &buildTester{tag: tag, opts: opts}
}

// test is the build.TestFunc: one cell per platform, run in parallel; an
// error when any fails, so the node exports nothing.
func (bt *buildTester) test(ctx context.Context, results []build.TestResult) error {
	targets := make([]imagetest.Target, len(results))
	for i, r := range results {
		targets[i] = imagetest.Target{Tag: bt.tag, Platform: r.Platform, Native: r.Native, Node: r.Node}
	}
	open := func(ctx context.Context, t imagetest.Target, fn func(context.Context, imagetest.Container) error) error {
		i := slices.IndexFunc(results, func(r build.TestResult) bool { return r.Platform.String() == t.Platform.String() })
		c, release := container.Shared(ctx, results[i].Container)
		defer release()
		return fn(ctx, testContainer{c})
	}
	r, err := imagetest.Run(ctx, targets, open, bt.opts)
	if err != nil {
		return err
	}
	bt.mu.Lock()
	bt.reports = append(bt.reports, r)
	bt.mu.Unlock()
	if !r.Passed {
		return fmt.Errorf("%w: %d of %d platform(s) failed the test before push: %w", ErrChecksFailed, r.Failed, r.Total, r.Err())
	}
	return nil
}

// report is the matrix of every node that got as far as testing (nil
// when none did).
func (bt *buildTester) report() *imagetest.Report {
	bt.mu.Lock()
	defer bt.mu.Unlock()
	if len(bt.reports) == 0 {
		return nil
	}
	return imagetest.Merge(bt.reports...)
}
