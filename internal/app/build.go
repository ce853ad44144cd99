package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/multiarch-dev/multiarch/internal/build"
	"github.com/multiarch-dev/multiarch/internal/imagetest"
	"github.com/multiarch-dev/multiarch/internal/platform"
)

// BuildOptions configure one build: what to build, on which builder, and
// whether every platform is tested before anything is exported.
type BuildOptions struct {
	// Build is what to build and where to export it. Build sets its
	// Display and Test; Build.Logger is every step's logger.
	Build build.Options
	// Env is the environment ResolveBuilder reads.
	Env Env
	// Builder names the builder of the store to build on (default: see
	// ResolveBuilder; the embedded builder is started on demand).
	Builder string
	// Progress is the progress display mode (build.NewDisplay: auto,
	// plain, tty, quiet, json), drawn on ProgressOut (nil: none drawn).
	Progress    string
	ProgressOut io.Writer
	// TestCommand, when set, tests every platform before export: `uname
	// -m` must print a machine of the platform and `sh -c TestCommand`
	// must exit 0 (the image needs a sh).
	TestCommand string
	// TestAlways tests before export even without TestCommand: uname
	// only, so no sh is needed (ci's build step).
	TestAlways bool
	// StrictCPU runs the test of emulated platforms on the oldest CPU
	// model of their variant (QEMU_CPU).
	StrictCPU bool
	// MatrixOut gets the test matrix, as `multiarch test` prints it, when
	// a test ran, passed or not (nil: not printed).
	MatrixOut io.Writer
	// OnEmbedded is told when the embedded builder starts (see
	// ResolveOptions).
	OnEmbedded func(EmbeddedEvent)
	// MetadataFile is the file the caller writes the build's metadata to
	// once it succeeded; Build writes nothing there but checks, before any
	// builder is contacted, that it can be written (build.CheckOutputPath),
	// so that a push is never followed by a failure to record it.
	MetadataFile string
	// IIDFile is the file the caller writes the index digest to once the
	// build succeeded (buildx --iidfile); checked as MetadataFile is.
	IIDFile string
	// Untagged, with Build.Push, pushes the index by digest only and
	// writes no tag (Result.Ref names it, Result.Tags is empty): ci proves
	// the pushed digest before it names it (WriteTags). Without it the
	// tags are written after the digest is pushed, one at a time.
	Untagged bool
}

// BuildResult is what a build did. Result is nil when the build failed;
// Report is the test matrix when a test ran, even when the build failed.
type BuildResult struct {
	*build.Result
	Report *imagetest.Report
}

// ValidateBuild checks o as Build does before it contacts any builder:
// the context and Dockerfile exist, platforms and tags are well formed,
// the OCI output, the metadata and image digest files can be written (an
// *InvalidBuildError).
func ValidateBuild(o BuildOptions) error {
	err := build.Validate(o.Build)
	for _, f := range []string{o.MetadataFile, o.IIDFile} {
		if err == nil && f != "" {
			err = build.CheckOutputPath(f)
		}
	}
	if err != nil {
		return &InvalidBuildError{Err: err}
	}
	return nil
}

// Build builds o.Build on the builder ResolveBuilder picks, tests every
// platform inside the build session when asked (a failed cell exports
// nothing and is ErrChecksFailed), and exports. Builder failures are a
// *BuilderError saying which builder it was.
func Build(ctx context.Context, o BuildOptions) (*BuildResult, error) {
	if err := ValidateBuild(o); err != nil {
		return nil, err
	}
	opts := o.Build
	disp, err := build.NewDisplay(writerOrDiscard(o.ProgressOut), o.Progress)
	if err != nil {
		return nil, err
	}
	opts.Display = disp
	var tester *buildTester
	if o.TestCommand != "" || o.TestAlways {
		tester = newBuildTester(testTag(opts.Tags), o.TestCommand, imagetest.Options{StrictCPU: o.StrictCPU, Parallel: len(opts.Platforms), Logger: opts.Logger})
		opts.Test = tester.test
	}
	b, err := ResolveBuilder(ctx, ResolveOptions{Env: o.Env, Builder: o.Builder, Start: true,
		Insecure: opts.Registry.Insecure, OnEmbedded: o.OnEmbedded, Logger: opts.Logger, Entitlements: opts.Network.Entitlements()})
	if err != nil {
		return nil, err
	}
	buildOn := build.BuildOn
	if o.Untagged {
		buildOn = build.BuildByDigest
	}
	wctx, stop := b.watch(ctx)
	res, err := buildOn(wctx, b.Nodes, opts)
	err = hung(wctx, err)
	stop()
	out := &BuildResult{}
	if tester != nil {
		if out.Report = tester.report(); out.Report != nil {
			sortCells(out.Report.Cells, opts.Platforms)
			if werr := writeMatrix(o.MatrixOut, out.Report); werr != nil {
				return out, werr
			}
		}
	}
	switch {
	case err == nil:
		out.Result = res
		return out, addProvenance(ctx, o, res)
	case errors.Is(err, ErrChecksFailed):
		return out, fmt.Errorf("test before push failed, nothing was pushed or written (see the failing platforms above): %w", err)
	}
	return out, b.wrap(err)
}

// writeMatrix prints the matrix as a table to w, unless w is nil.
func writeMatrix(w io.Writer, r *imagetest.Report) error {
	if w == nil {
		return nil
	}
	return imagetest.WriteTable(w, r)
}

func writerOrDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// testTag names build results in the test matrix: the first tag, else
// "(build)".
func testTag(tags []string) string {
	if len(tags) > 0 {
		return tags[0]
	}
	return "(build)"
}

// sortCells puts cells in the order the platforms were requested.
func sortCells(cells []imagetest.Cell, order []platform.Platform) {
	pos := map[string]int{}
	for i, p := range order {
		pos[p.String()] = i
	}
	slices.SortStableFunc(cells, func(a, b imagetest.Cell) int { return pos[a.Platform] - pos[b.Platform] })
}
