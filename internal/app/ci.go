package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/multiarch-dev/multiarch/internal/build"
	"github.com/multiarch-dev/multiarch/internal/doctor"
	"github.com/multiarch-dev/multiarch/internal/pipeline"
	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/registry"
)

// CIOptions are one ci run: the checked plan and where it builds.
type CIOptions struct {
	Plan pipeline.Plan
	// ContextDir is the build context; a relative Plan.File is relative
	// to it.
	ContextDir string
	// Env is the environment ResolveBuilder reads.
	Env Env
	// DockerConfig is the docker config directory the login step stores
	// credentials in (see LoginOptions.ConfigDir).
	DockerConfig string
	// Builder names the builder of the store to build and test on
	// (default: see ResolveBuilder).
	Builder string
	// Progress is the build progress display mode (build.NewDisplay).
	Progress string
	// Registry is the registry policy of every step (insecure registries,
	// logger).
	Registry registry.Options
	Logger   *slog.Logger
	// PushByDigest replaces the tag step by a digest-file step: the run
	// writes no tag, and DigestDir (when set) gets one pipeline.DigestFile
	// per platform for `ci merge` (ci_digest.go).
	PushByDigest bool
	DigestDir    string
}

// CISinks are where a run's output goes while it runs; a nil member
// draws nothing. The summary itself is RunCI's result.
type CISinks struct {
	// Detail gets each step's detail for people: the test matrices (as
	// `multiarch test` prints them) and what the render hooks below draw.
	Detail io.Writer
	// Progress gets the build's progress display.
	Progress io.Writer
	// OnStep sees each step as it ends.
	OnStep func(pipeline.Step)
	// OnEmbedded is told when the embedded builder starts.
	OnEmbedded func(EmbeddedEvent)
	// Render hooks: what setup-emulation changed, the failed checks of a
	// failing doctor step, the built index, verify's reports when they
	// hold a violation.
	Binfmt         func(*BinfmtChangeReport) error
	DoctorFailures func(*doctor.Report) error
	Built          func(*build.Result) error
	Violations     func(*VerifyReport) error
	// StepMessage words a failed step's error for the summary (the CLI
	// adds the next steps it would print); default err.Error().
	StepMessage func(error) string
}

// RunCI runs the pipeline: setup-emulation (when planned), doctor, login
// (when credentials are given), build+test+push (by digest only: no tag),
// verify and test-pushed (of that digest), then tag (every tag, one at a
// time); the first failure stops it, so a failed verify or test moves no
// tag (the summary's Pushed names the digest left untagged, TagsWritten
// what did move). Build options are checked before any step
// runs. The summary is returned whether the run passed or not (nil only
// when the options were refused); the error names the step that failed.
// errPRModeByDigest: a fan-out runner pushes its platform by digest, PR
// mode pushes nothing; both at once is a contradiction, not a choice.
var errPRModeByDigest = errors.New("a fan-out runner pushes its platform by digest, and PR mode (--no-push or push: false) pushes nothing: drop one of them")

func RunCI(ctx context.Context, o CIOptions, s CISinks) (*pipeline.Summary, error) {
	r := &ciRun{o: o, s: s}
	if o.Plan.NoPush && o.PushByDigest {
		return nil, &pipeline.ConfigError{Source: "--push-by-digest", Err: errPRModeByDigest}
	}
	if o.Plan.NoPush {
		return r.runPR(ctx)
	}
	opts, err := r.buildOptions()
	if err != nil {
		return nil, err
	}
	// The digest directory is made now, so a run never proves an image
	// it then cannot record.
	if o.DigestDir != "" {
		if err := os.MkdirAll(o.DigestDir, 0o755); err != nil {
			return nil, fmt.Errorf("digest directory: %w", err)
		}
	}
	r.sum.Tags, r.sum.TagsWritten = o.Plan.Tags, []string{}
	for _, p := range o.Plan.Platforms {
		r.sum.Platforms = append(r.sum.Platforms, p.String())
	}
	runErr := pipeline.Run(ctx, &r.sum, r.tasks(opts), s.OnStep)
	var se *pipeline.StepError
	if errors.As(runErr, &se) {
		runErr = &stoppedError{se}
	}
	return &r.sum, runErr
}

// stoppedError says at which step a run stopped; it unwraps to the
// step's error and pipeline.ErrStepFailed, as the *pipeline.StepError does.
type stoppedError struct{ *pipeline.StepError }

func (e *stoppedError) Error() string {
	return fmt.Sprintf("ci stopped at step %s: %v", e.Step, e.Err)
}

// ciRun is one RunCI: its options, sinks and what the steps found.
type ciRun struct {
	o   CIOptions
	s   CISinks
	sum pipeline.Summary
	// pushed is REPOSITORY@DIGEST of the index the build step pushed.
	pushed string
	// layout is PR mode's export (nil when pushing; see ci_prmode.go).
	layout *build.Export
}

// buildOptions are the build step's, checked before any step runs, so a
// missing Dockerfile or a bad tag fails before anything happens. Without a
// test command uname alone still runs in every platform before the push;
// no sh is needed for it.
func (r *ciRun) buildOptions() (BuildOptions, error) {
	p := r.o.Plan
	o := build.Options{ContextDir: r.o.ContextDir, Platforms: p.Platforms, Tags: p.Tags, Push: !p.NoPush, Export: r.layout,
		BuildArgs: p.BuildArgs, Target: p.Target, Logger: r.o.Logger, Registry: r.o.Registry,
		Labels: p.Labels, Annotations: planAnnotations(p.Annotations)}
	if p.File != "" {
		o.Dockerfile = p.File
		if !filepath.IsAbs(p.File) {
			o.Dockerfile = filepath.Join(r.o.ContextDir, p.File)
		}
	}
	bo := BuildOptions{Build: o, Env: r.o.Env, Builder: r.o.Builder, Progress: r.o.Progress, ProgressOut: r.s.Progress,
		TestCommand: p.Test, TestAlways: true, StrictCPU: p.StrictCPU, MatrixOut: r.s.Detail, OnEmbedded: r.s.OnEmbedded,
		Untagged: true}
	return bo, ValidateBuild(bo)
}

func (r *ciRun) tasks(opts BuildOptions) []pipeline.Task {
	t := []pipeline.Task{
		{Name: "setup-emulation", Skip: "not asked for (--setup-emulation)"},
		{Name: "doctor", Run: r.worded(r.doctor)},
		{Name: "login", Skip: "no credentials given: the stored ones (docker config) are used"},
		{Name: "build+test+push", Run: r.worded(func(ctx context.Context) (string, error) { return r.build(ctx, opts) })},
		{Name: "verify", Run: r.worded(r.untagged(r.verify))},
		{Name: "test-pushed", Run: r.worded(r.untagged(r.testPushed))},
		{Name: "tag", Run: r.worded(r.tag)},
	}
	if r.o.Plan.SetupEmulation {
		t[0].Run = r.worded(r.setupEmulation)
	}
	if r.o.Plan.Login() {
		t[2].Run = r.worded(r.login)
	}
	if r.o.PushByDigest {
		t = r.byDigest(t)
	}
	return t
}

// worded records a failed step by the message the sinks word for its
// error (StepMessage), so the summary says what to do next as the command
// line does; the error itself is unchanged underneath.
func (r *ciRun) worded(step pipeline.StepFunc) pipeline.StepFunc {
	return func(ctx context.Context) (string, error) {
		msg, err := step(ctx)
		if err != nil && r.s.StepMessage != nil {
			err = &wordedError{msg: r.s.StepMessage(err), err: err}
		}
		return msg, err
	}
}

// untagged adds to a failed step's error that the pushed index stays
// untagged: no tag was written (*UntaggedError).
func (r *ciRun) untagged(step pipeline.StepFunc) pipeline.StepFunc {
	return func(ctx context.Context) (string, error) {
		msg, err := step(ctx)
		if err != nil {
			err = &UntaggedError{Pushed: r.pushed, NotWritten: r.o.Plan.Tags, Err: err}
		}
		return msg, err
	}
}

// UntaggedError is a ci step after the push failing before any tag was
// written: Pushed (REPOSITORY@DIGEST) stays in the registry untagged and
// NotWritten still point where they did.
type UntaggedError struct {
	Pushed     string
	NotWritten []string
	Err        error
}

func (e *UntaggedError) Error() string {
	return fmt.Sprintf("%v; nothing was tagged: %s stays pushed by digest only, tags not written: %s",
		e.Err, e.Pushed, strings.Join(e.NotWritten, ", "))
}

func (e *UntaggedError) Unwrap() error { return e.Err }

// wordedError reads as msg and unwraps to err.
type wordedError struct {
	msg string
	err error
}

func (e *wordedError) Error() string { return e.msg }
func (e *wordedError) Unwrap() error { return e.err }

// foreign are the platforms this host runs only under emulation.
func (r *ciRun) foreign() []platform.Platform {
	native := platform.NativeArches()
	var out []platform.Platform
	for _, p := range r.o.Plan.Platforms {
		if !slices.Contains(native, p.QEMUArch) {
			out = append(out, p)
		}
	}
	return out
}

// draw calls a render hook when there is one.
func draw[T any](hook func(T) error, v T) error {
	if hook == nil {
		return nil
	}
	return hook(v)
}
