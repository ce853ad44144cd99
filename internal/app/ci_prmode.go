package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/multiarch-dev/multiarch/internal/build"
	"github.com/multiarch-dev/multiarch/internal/pipeline"
)

// runPR is RunCI in PR mode (Plan.NoPush): setup-emulation and doctor as
// in a pushing run, no login, then build+test+export (every platform
// tested inside the build session before anything is exported, then the
// index written into a local OCI layout), verify of that layout,
// test-exported (each platform read by the builder from the layout itself,
// see testExported), and no push and no tag. The layout goes to
// Plan.OCIDir, or a temp directory removed when the run ends.
func (r *ciRun) runPR(ctx context.Context) (*pipeline.Summary, error) {
	dest, cleanup, err := r.prLayout()
	if err != nil {
		return nil, err
	}
	defer cleanup()
	r.layout = &build.Export{Type: build.ExportOCIDir, Dest: dest}
	// Nothing to clean up here: a failed run leaves nothing at Dest.
	opts, err := r.buildOptions()
	if err != nil {
		return nil, err
	}
	r.sum.Tags, r.sum.TagsWritten = r.o.Plan.Tags, []string{}
	if r.sum.Tags == nil {
		r.sum.Tags = []string{}
	}
	r.sum.PRMode, r.sum.Published = true, pipeline.NotPushed
	for _, p := range r.o.Plan.Platforms {
		r.sum.Platforms = append(r.sum.Platforms, p.String())
	}
	runErr := pipeline.Run(ctx, &r.sum, r.prTasks(opts), r.s.OnStep)
	var se *pipeline.StepError
	if errors.As(runErr, &se) {
		runErr = &stoppedError{se}
	}
	return &r.sum, runErr
}

// prLayout is where PR mode writes its layout: Plan.OCIDir as given, or
// oci-layout in a new temp directory that cleanup removes.
func (r *ciRun) prLayout() (dest string, cleanup func(), err error) {
	if dir := r.o.Plan.OCIDir; dir != "" {
		// Absolute: the summary says where it is, and the layout reference
		// verify and the test read must not depend on the directory.
		abs, err := filepath.Abs(dir)
		return abs, func() {}, err
	}
	tmp, err := os.MkdirTemp("", "multiarch-ci-*")
	if err != nil {
		return "", nil, fmt.Errorf("temp directory for the OCI layout: %w", err)
	}
	return filepath.Join(tmp, "oci-layout"), func() { _ = os.RemoveAll(tmp) }, nil
}

// prMessage is why the steps PR mode leaves out did not run.
const prMessage = "PR mode: nothing reaches a registry"

func (r *ciRun) prTasks(opts BuildOptions) []pipeline.Task {
	t := []pipeline.Task{
		{Name: "setup-emulation", Skip: "not asked for (--setup-emulation)"},
		{Name: "doctor", Run: r.worded(r.doctor)},
		{Name: "login", Skip: prMessage + ", no login"},
		{Name: "build+test+export", Run: r.worded(func(ctx context.Context) (string, error) { return r.exportBuild(ctx, opts) })},
		{Name: "verify", Run: r.worded(r.verifyLayout)},
		{Name: "test-exported", Run: r.worded(r.testExported)},
		{Name: "tag", Skip: prMessage + ", no tag written"},
	}
	if r.o.Plan.SetupEmulation {
		t[0].Run = r.worded(r.setupEmulation)
	}
	return t
}

// exportBuild builds, tests before export and writes the layout.
func (r *ciRun) exportBuild(ctx context.Context, opts BuildOptions) (string, error) {
	res, err := Build(ctx, opts)
	if res != nil {
		r.sum.BuildMatrix = res.Report
	}
	if err != nil {
		return "", err
	}
	r.sum.Digest = res.Digest
	r.sum.Layout, r.sum.LayoutKept = r.layout.Dest, r.o.Plan.OCIDir != ""
	if err := draw(r.s.Built, res.Result); err != nil {
		return "", err
	}
	return fmt.Sprintf("index %s exported to the OCI layout %s, %s; before export %s",
		res.Digest, r.layout.Dest, pipeline.NotPushed, passedDetail(res.Report)), nil
}

// verifyLayout verifies the index in the exported layout, by digest, and
// draws the reports only when they hold a violation.
func (r *ciRun) verifyLayout(ctx context.Context) (string, error) {
	n, err := r.verifyRef(ctx, r.layoutRef(), "exported")
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d ELF files in the layout: every platform holds its own architecture", n), nil
}
