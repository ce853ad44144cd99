package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/multiarch-dev/multiarch/internal/doctor"
	"github.com/multiarch-dev/multiarch/internal/imagetest"
	"github.com/multiarch-dev/multiarch/internal/pipeline"
	"github.com/multiarch-dev/multiarch/internal/registry"
	"github.com/multiarch-dev/multiarch/internal/status"
)

func (r *ciRun) setupEmulation(ctx context.Context) (string, error) {
	ps := r.foreign()
	if len(ps) == 0 {
		return "every platform runs natively here", nil
	}
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.String()
	}
	rep, err := BinfmtInstall(ctx, BinfmtInstallOptions{BinfmtOptions: BinfmtOptions{Logger: r.o.Logger},
		Targets: names})
	if err == nil {
		err = draw(r.s.Binfmt, rep)
	}
	if err != nil {
		return "", fmt.Errorf("%w\nemulators come from the distro's qemu-user-static package; registering them needs root", err)
	}
	return "QEMU handlers registered for " + strings.Join(names, ", "), nil
}

// DoctorFailedError is ci's doctor step finding the host or the builder
// not ready: Failed checks failed, Host says whether any is a check of
// this host (its emulation) rather than of the builder (named Builder,
// "" for the default one). The failed checks were drawn already.
type DoctorFailedError struct {
	Failed  int
	Host    bool
	Builder string
}

func (e *DoctorFailedError) Error() string {
	what := "check(s)"
	if !e.Host {
		what = "builder check(s)"
	}
	return fmt.Sprintf("%v: %d %s failed; apply the fixes above", ErrChecksFailed, e.Failed, what)
}

func (e *DoctorFailedError) Unwrap() error { return ErrChecksFailed }

// doctor checks the builder ci will use and this host's emulation of the
// platforms it runs for that builder; a failure draws the failed checks.
func (r *ciRun) doctor(ctx context.Context) (string, error) {
	rep, err := Doctor(ctx, DoctorOptions{Platforms: r.o.Plan.Platforms, Env: r.o.Env, Builder: r.o.Builder, Logger: r.o.Logger})
	if err != nil {
		return "", err
	}
	if rep.OK {
		return fmt.Sprintf("%d checks passed for %d platform(s) and the builder", len(rep.Checks), len(r.o.Plan.Platforms)), nil
	}
	if err := draw(r.s.DoctorFailures, rep); err != nil {
		return "", err
	}
	n, host := DoctorFailures(rep)
	return "", &DoctorFailedError{Failed: n, Host: host, Builder: r.o.Builder}
}

// DoctorFailures counts the failed checks of rep and says whether any is
// a check of this host (by its Kind), not of the builder.
func DoctorFailures(rep *doctor.Report) (n int, host bool) {
	for _, c := range rep.Checks {
		if c.Status == status.Fail {
			n++
			host = host || !c.Kind.Builder()
		}
	}
	return n, host
}

// CredentialsError is ci's login step refused by the registry: the
// credentials it was given are wrong, and nothing was built or pushed.
type CredentialsError struct{ Err error }

func (e *CredentialsError) Error() string { return e.Err.Error() }
func (e *CredentialsError) Unwrap() error { return e.Err }

func (r *ciRun) login(ctx context.Context) (string, error) {
	p := r.o.Plan
	res, err := Login(ctx, LoginOptions{Server: p.Registry(), Username: p.Username, Password: p.Password,
		ConfigDir: r.o.DockerConfig, Registry: r.o.Registry})
	if errors.Is(err, ErrWrongCredentials) {
		return "", &CredentialsError{Err: err}
	}
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("logged in to %s as %s (stored in %s)", res.Registry, res.Username, res.StoredIn), nil
}

func (r *ciRun) build(ctx context.Context, opts BuildOptions) (string, error) {
	res, err := Build(ctx, opts)
	if res != nil {
		r.sum.BuildMatrix = res.Report
	}
	if err != nil {
		return "", err
	}
	r.sum.Digest, r.sum.Pushed, r.pushed = res.Digest, res.Ref, res.Ref
	if err := draw(r.s.Built, res.Result); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s pushed by digest, no tag yet; before push %s", res.Ref, passedDetail(res.Report)), nil
}

// verify verifies the index pushed by digest and draws the reports only
// when they hold a violation.
func (r *ciRun) verify(ctx context.Context) (string, error) {
	n, err := r.verifyRef(ctx, r.pushed, "pushed")
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d ELF files: every platform holds its own architecture", n), nil
}

// verifyRef verifies the index ref (the "pushed" or "exported" one) for
// the plan's platforms, failing fast, and draws the reports only when
// they hold a violation; it returns the number of ELF files read.
func (r *ciRun) verifyRef(ctx context.Context, ref, what string) (int, error) {
	rep, err := Verify(ctx, VerifyOptions{Refs: []string{ref}, Platforms: r.o.Plan.Platforms, Registry: r.o.Registry, FailFast: true})
	var violations *ViolationsError
	if errors.As(err, &violations) {
		if err := draw(r.s.Violations, rep); err != nil {
			return 0, err
		}
		return 0, fmt.Errorf("%w: %d violation(s): the %s images do not hold what their platforms claim (see above); fix the Dockerfile and rerun", ErrChecksFailed, violations.Count, what)
	}
	if err != nil {
		return 0, err
	}
	return rep.ELFFiles(), nil
}

// testPushed pulls each platform of the index pushed by digest and tests
// it again, on the builder that built it: on a named builder each platform
// on the node the build used.
func (r *ciRun) testPushed(ctx context.Context) (string, error) {
	p := r.o.Plan
	o := TestOptions{Refs: []string{r.pushed}, Platforms: p.Platforms, Registry: r.o.Registry, Env: r.o.Env, Builder: r.o.Builder,
		Test:       imagetest.Options{StrictCPU: p.StrictCPU, Parallel: len(p.Platforms), Logger: r.o.Logger},
		OnEmbedded: r.s.OnEmbedded}
	if p.Test != "" {
		o.Test.Command = []string{"sh", "-c", p.Test}
	}
	rep, err := Test(ctx, o)
	if err != nil {
		return "", err
	}
	r.sum.PushedMatrix = rep
	if err := imagetest.WriteTable(writerOrDiscard(r.s.Detail), rep); err != nil {
		return "", err
	}
	if !rep.Passed {
		return "", fmt.Errorf("%w: %d of %d pushed platform(s) failed: %w", ErrChecksFailed, rep.Failed, rep.Total, rep.Err())
	}
	return passedDetail(rep) + ", pulled by digest", nil
}

// passedDetail counts the platforms of a passed matrix; a cell that
// checked nothing (pipeline.CheckedNothing) counts as skipped, not passed.
func passedDetail(rep *imagetest.Report) string {
	skipped := 0
	for _, c := range rep.Cells {
		if pipeline.CheckedNothing(c) {
			skipped++
		}
	}
	msg := fmt.Sprintf("%d of %d platforms passed", rep.Total-rep.Failed-skipped, rep.Total)
	if skipped > 0 {
		msg += fmt.Sprintf(", %d skipped (nothing to check: no uname in the image and no test command)", skipped)
	}
	return msg
}

// tag points every tag at the proven index, one at a time; when that
// fails part-way the summary holds the tags that moved (*registry.TagsError).
func (r *ciRun) tag(ctx context.Context) (string, error) {
	err := registry.WriteTags(ctx, r.pushed, r.o.Plan.Tags, r.o.Registry)
	var te *registry.TagsError
	switch {
	case errors.As(err, &te):
		r.sum.TagsWritten = append([]string{}, te.Moved...)
		return "", err
	case err != nil:
		return "", &UntaggedError{Pushed: r.pushed, NotWritten: r.o.Plan.Tags, Err: err}
	}
	r.sum.TagsWritten = append([]string{}, r.o.Plan.Tags...)
	return fmt.Sprintf("%s now point(s) at %s", strings.Join(r.o.Plan.Tags, ", "), r.sum.Digest), nil
}
