package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/multiarch-dev/multiarch/internal/app"
	"github.com/multiarch-dev/multiarch/internal/build"
	"github.com/multiarch-dev/multiarch/internal/doctor"
	"github.com/multiarch-dev/multiarch/internal/imagetest"
	"github.com/multiarch-dev/multiarch/internal/pipeline"
	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/status"
)

// envStepSummary is GitHub Actions' job summary file.
const envStepSummary = "GITHUB_STEP_SUMMARY"

// ciRun is one `multiarch ci`: the plan, where step detail goes, and what
// the steps found.
type ciRun struct {
	cmd    *cobra.Command
	f      *ciFlags
	ctxDir string
	plan   pipeline.Plan
	out    io.Writer
	sum    pipeline.Summary
}

func runCI(cmd *cobra.Command, f *ciFlags, ctxDir string, plan pipeline.Plan) error {
	r := &ciRun{cmd: cmd, f: f, ctxDir: ctxDir, plan: plan, out: f.ciOutput(cmd)}
	opts, err := r.buildOptions()
	if err != nil {
		return err
	}
	r.sum.Tags = plan.Tags
	for _, p := range plan.Platforms {
		r.sum.Platforms = append(r.sum.Platforms, p.String())
	}
	runErr := pipeline.Run(cmd.Context(), &r.sum, r.tasks(opts), func(st pipeline.Step) {
		fmt.Fprintf(cmd.ErrOrStderr(), "ci: %s: %s\n", st.Name, st.Status)
	})
	if err := r.report(); err != nil {
		return errors.Join(runErr, err)
	}
	var se *pipeline.StepError
	if errors.As(runErr, &se) {
		return fmt.Errorf("ci stopped at step %s: %w", se.Step, se.Err)
	}
	return runErr
}

// buildOptions are checked before any step runs, so a missing Dockerfile
// or a bad tag fails before anything happens. Without a test command
// uname alone still runs in every platform before the push; no sh is
// needed for it.
func (r *ciRun) buildOptions() (app.BuildOptions, error) {
	p := r.plan
	o := build.Options{ContextDir: r.ctxDir, Platforms: p.Platforms, Tags: p.Tags, Push: true,
		BuildArgs: p.BuildArgs, Target: p.Target, Logger: logger(r.cmd)}
	if p.File != "" {
		o.Dockerfile = p.File
		if !strings.HasPrefix(p.File, "/") {
			o.Dockerfile = r.ctxDir + "/" + p.File
		}
	}
	o.Registry.Insecure, _ = r.cmd.Flags().GetStringArray("insecure-registry")
	ao := app.BuildOptions{Build: o, Env: appEnv(), Builder: r.f.builder, Progress: r.f.progress, ProgressOut: r.cmd.ErrOrStderr(),
		TestCommand: p.Test, TestAlways: true, StrictCPU: p.StrictCPU, MatrixOut: r.out, OnEmbedded: embeddedNotice(r.cmd.ErrOrStderr())}
	return ao, app.ValidateBuild(ao)
}

func (r *ciRun) tasks(opts app.BuildOptions) []pipeline.Task {
	t := []pipeline.Task{
		{Name: "setup-emulation", Skip: "not asked for (--setup-emulation)"},
		{Name: "doctor", Run: r.doctor},
		{Name: "login", Skip: "no credentials given: the stored ones (docker config) are used"},
		{Name: "build+test+push", Run: func(ctx context.Context) (string, error) { return r.build(ctx, opts) }},
		{Name: "verify", Run: r.verify},
		{Name: "test-pushed", Run: r.testPushed},
	}
	if r.plan.SetupEmulation {
		t[0].Run = r.setupEmulation
	}
	if r.plan.Login() {
		t[2].Run = r.login
	}
	return t
}

// foreign are the platforms this host runs only under emulation.
func (r *ciRun) foreign() []platform.Platform {
	native := platform.NativeArches()
	var out []platform.Platform
	for _, p := range r.plan.Platforms {
		if !slices.Contains(native, p.QEMUArch) {
			out = append(out, p)
		}
	}
	return out
}

func (r *ciRun) setupEmulation(ctx context.Context) (string, error) {
	ps := r.foreign()
	if len(ps) == 0 {
		return "every platform runs natively here", nil
	}
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.String()
	}
	rep, err := app.BinfmtInstall(ctx, app.BinfmtInstallOptions{BinfmtOptions: app.BinfmtOptions{Logger: logger(r.cmd)},
		Targets: names, Flags: "CF"})
	if err == nil {
		err = printBinfmtChanges(r.out, rep)
	}
	if err != nil {
		return "", fmt.Errorf("%w\nemulators come from the distro's qemu-user-static package; registering them needs root", err)
	}
	return "QEMU handlers registered for " + strings.Join(names, ", "), nil
}

// doctor checks the builder ci will use and this host's emulation of the
// platforms it runs for that builder; a failure prints each failed check
// with its fix.
func (r *ciRun) doctor(ctx context.Context) (string, error) {
	rep, err := app.Doctor(ctx, app.DoctorOptions{Platforms: r.plan.Platforms, Env: appEnv(), Builder: r.f.builder, Logger: logger(r.cmd)})
	if err != nil {
		return "", withHints(err)
	}
	if rep.OK {
		return fmt.Sprintf("%d checks passed for %d platform(s) and the builder", len(rep.Checks), len(r.plan.Platforms)), nil
	}
	n, host := printDoctorFailures(r.out, rep)
	see := "multiarch doctor"
	if r.f.builder != "" {
		see += " --builder " + r.f.builder
	}
	if !host {
		return "", fmt.Errorf("%w: %d builder check(s) failed; apply the fixes above (`%s` shows every check)", ErrChecksFailed, n, see)
	}
	return "", fmt.Errorf("%w: %d check(s) failed; apply the fixes above (`sudo %s --fix` fixes the emulation), or rerun with --setup-emulation as root", ErrChecksFailed, n, see)
}

// printDoctorFailures prints each failed check with its fix; host says
// whether any is a check of this host rather than of the builder.
func printDoctorFailures(w io.Writer, rep *doctor.Report) (n int, host bool) {
	for _, c := range rep.Checks {
		if c.Status == status.Fail {
			n++
			host = host || !c.Kind.Builder()
			fmt.Fprintf(w, "doctor: FAIL %s: %s\n", c.ID, c.Message)
			if c.Fix != "" {
				fmt.Fprintf(w, "        fix: %s\n", c.Fix)
			}
		}
	}
	return n, host
}

func (r *ciRun) login(ctx context.Context) (string, error) {
	res, err := app.Login(ctx, loginOptions(r.cmd, r.plan.Registry(), r.plan.Username, r.plan.Password))
	if err != nil {
		if errors.Is(err, ErrWrongCredentials) {
			return "", fmt.Errorf("%w\ncheck %s and %s (or --username and --password-stdin); nothing was built or pushed", err, pipeline.EnvUsername, pipeline.EnvPassword)
		}
		return "", err
	}
	return fmt.Sprintf("logged in to %s as %s (stored in %s)", res.Registry, res.Username, res.StoredIn), nil
}

func (r *ciRun) build(ctx context.Context, opts app.BuildOptions) (string, error) {
	res, err := app.Build(ctx, opts)
	if res != nil {
		r.sum.BuildMatrix = res.Report
	}
	if err != nil {
		return "", withHints(err)
	}
	r.sum.Digest = res.Digest
	renderSummary(r.out, res.Result)
	return fmt.Sprintf("%s pushed as %s; before push %s", res.Digest, strings.Join(res.Tags, ", "), passedDetail(res.Report)), nil
}

// verify verifies every pushed tag (they name one index: the first that
// cannot be read stops it) and prints the reports only when they hold a
// violation.
func (r *ciRun) verify(ctx context.Context) (string, error) {
	rep, err := app.Verify(ctx, app.VerifyOptions{Refs: r.plan.Tags, Platforms: r.plan.Platforms,
		Registry: registryOptions(r.cmd), FailFast: true})
	var violations *app.ViolationsError
	if errors.As(err, &violations) {
		if err := printVerify(r.out, rep.Results, false); err != nil {
			return "", err
		}
		return "", fmt.Errorf("%w: %d violation(s): the pushed images do not hold what their platforms claim (see above); fix the Dockerfile and rerun", ErrChecksFailed, violations.Count)
	}
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d tag(s), %d ELF files: every platform holds its own architecture", len(r.plan.Tags), rep.ELFFiles()), nil
}

// testPushed pulls each platform of the first tag by digest (every tag
// names the same index) and tests it again, on the builder that built it:
// with --builder each platform on the node the build used.
func (r *ciRun) testPushed(ctx context.Context) (string, error) {
	o := app.TestOptions{Refs: r.plan.Tags[:1], Platforms: r.plan.Platforms, Registry: registryOptions(r.cmd), Env: appEnv(), Builder: r.f.builder,
		Test:       imagetest.Options{StrictCPU: r.plan.StrictCPU, Parallel: len(r.plan.Platforms), Logger: logger(r.cmd)},
		OnEmbedded: embeddedNotice(r.cmd.ErrOrStderr())}
	if r.plan.Test != "" {
		o.Test.Command = []string{"sh", "-c", r.plan.Test}
	}
	rep, err := app.Test(ctx, o)
	if err != nil {
		return "", withHints(err)
	}
	r.sum.PushedMatrix = rep
	if err := imagetest.WriteTable(r.out, rep); err != nil {
		return "", err
	}
	if !rep.Passed {
		return "", fmt.Errorf("%w: %d of %d pushed platform(s) failed: %w", ErrChecksFailed, rep.Failed, rep.Total, rep.Err())
	}
	return passedDetail(rep) + ", pulled by digest", nil
}

// hintedError is an error whose text holds its hints (Message): ci's
// summary records a failed step by its error's text, which is to say what
// to do next as the command line does.
type hintedError struct{ err error }

func (e hintedError) Error() string { return Message(e.err) }
func (e hintedError) Unwrap() error { return e.err }

func withHints(err error) error { return hintedError{err} }

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

// report prints the summary and appends it to $GITHUB_STEP_SUMMARY.
func (r *ciRun) report() error {
	w := r.cmd.OutOrStdout()
	var err error
	if r.f.asJSON {
		err = pipeline.WriteJSON(w, &r.sum)
	} else {
		err = pipeline.WriteTable(w, &r.sum)
	}
	if path := os.Getenv(envStepSummary); path != "" {
		err = errors.Join(err, appendMarkdown(path, &r.sum))
	}
	return err
}

func appendMarkdown(path string, s *pipeline.Summary) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("$%s: %w", envStepSummary, err)
	}
	werr := pipeline.WriteMarkdown(f, s)
	return errors.Join(werr, f.Close())
}
