package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/multiarch-dev/multiarch/internal/app"
	"github.com/multiarch-dev/multiarch/internal/binfmt"
	"github.com/multiarch-dev/multiarch/internal/doctor"
	"github.com/multiarch-dev/multiarch/internal/status"
)

type doctorOptions struct {
	platforms string
	json      bool
	fix       bool
	strict    bool
	binfmtDir string
	qemuDir   string
	builder   string
}

func newDoctorCmd() *cobra.Command {
	var o doctorOptions
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check that this host is ready to build and test multi-arch images",
		Long: `Checks the kernel, binfmt_misc, and for each platform its QEMU handler (registered,
enabled, F and C flags, static interpreter, QEMU version) and a functional probe: a tiny
static binary of that architecture run chrooted into an empty directory, as a container
would run it; then an argv[0] probe, started with an argv[0] other than its path: when
the program does not see it (no P flag), busybox-style multi-call binaries break (a
warning; --strict makes every warning a failure). Then the builder that build and test would use: the embedded builder
(buildkitd and runc found, running or startable), $BUILDKIT_HOST, or --builder NAME (every
node answers, and which node runs each platform, natively or under QEMU). Platforms that
run natively or on remote nodes need no emulation on this host, and are not checked here.
Each failed check prints the exact fix; --fix applies the safe ones.
Exits 1 when any check fails.`,
		Example: `  sudo multiarch doctor
  sudo multiarch doctor --platform linux/arm64,linux/arm/v6 --json
  sudo multiarch doctor --fix
  multiarch doctor --builder native --platform linux/amd64,linux/arm64`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runDoctor(cmd, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.platforms, "platform", "", "platforms to check, comma or space separated (default: every foreign platform with an emulator or a handler)")
	f.BoolVar(&o.json, "json", false, `print {"ok","checks":[{"id","kind","platform","node","status","message","fix"}]}`)
	f.BoolVar(&o.fix, "fix", false, "apply the safe fixes (mount, install, re-register, enable), then check again")
	f.BoolVar(&o.strict, "strict", false, "a warning fails too (argv[0] lost, no C flag, strict CPU model missing)")
	f.StringVar(&o.binfmtDir, "binfmt-dir", binfmt.DefaultRoot, "binfmt_misc mount point")
	f.StringVar(&o.qemuDir, "qemu-dir", "", "directory holding qemu-<arch>-static (default: PATH)")
	f.StringVar(&o.builder, "builder", "", "check the named builder `NAME` (see multiarch builder ls) instead of $BUILDKIT_HOST or the embedded builder")
	_ = f.MarkHidden("binfmt-dir")
	return cmd
}

func runDoctor(cmd *cobra.Command, o doctorOptions) error {
	ps, err := platformFlag(o.platforms)
	if err != nil {
		return err
	}
	opts := app.DoctorOptions{Fix: o.fix, Strict: o.strict, BinfmtDir: o.binfmtDir, QEMUDir: o.qemuDir, Platforms: ps, Env: appEnv(), Builder: o.builder, Logger: logger(cmd)}
	rep, err := app.Doctor(cmd.Context(), opts)
	if rep != nil {
		if perr := printDoctor(cmd.OutOrStdout(), rep, o.json); perr != nil {
			return perr
		}
	}
	if err != nil {
		return err
	}
	if !rep.OK {
		return fmt.Errorf("%w: not ready; apply the fixes above (`sudo multiarch doctor --fix` applies those to the emulation)", ErrChecksFailed)
	}
	return nil
}

func printDoctor(w io.Writer, rep *doctor.Report, asJSON bool) error {
	rep = wordFixes(rep)
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	for _, f := range rep.Fixed {
		fmt.Fprintf(w, "fixed: %s\n", f)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, g := range groupChecks(rep.Checks) {
		printGroup(tw, g)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	verdict := "ready"
	if !rep.OK {
		verdict = "NOT ready"
	}
	_, err := fmt.Fprintf(w, "\nhost %s: %s\n", verdict, summary(rep))
	return err
}

// checkGroup is the checks of one subject (doctor.Check.Subject): a host
// check such as "kernel", a platform, or the builder.
type checkGroup struct {
	subject string
	builder bool
	checks  []doctor.Check
}

func groupChecks(cs []doctor.Check) []checkGroup {
	var out []checkGroup
	for _, c := range cs {
		subject := c.Subject()
		if n := len(out); n > 0 && out[n-1].subject == subject {
			out[n-1].checks = append(out[n-1].checks, c)
			continue
		}
		out = append(out, checkGroup{subject: subject, builder: c.Kind.Builder(), checks: []doctor.Check{c}})
	}
	return out
}

// printGroup prints one line for the subject: a lone check's own line, or
// the worst status and how many checks passed; then each check that did
// not pass (every one, for the builder), with its fix.
func printGroup(w io.Writer, g checkGroup) {
	worst, passed := status.Pass, 0
	for _, c := range g.checks {
		worst = status.Worse(worst, c.Status)
		if c.Status == status.Pass {
			passed++
		}
	}
	if len(g.checks) == 1 && !g.builder {
		c := g.checks[0]
		fmt.Fprintf(w, "%s\t%s\t%s\n", doctorLabel(c.Status), g.subject, strings.TrimPrefix(c.Message, g.subject+": "))
		printFix(w, c)
		return
	}
	fmt.Fprintf(w, "%s\t%s\t%d/%d checks passed\n", doctorLabel(worst), g.subject, passed, len(g.checks))
	for _, c := range g.checks {
		// The builder's lines say where each platform runs: all shown.
		if c.Status != status.Pass || g.builder {
			fmt.Fprintf(w, "  %s\t  %s\t%s\n", doctorLabel(c.Status), c.Name(), strings.TrimPrefix(c.Message, g.subject+": "))
			printFix(w, c)
		}
	}
}

func printFix(w io.Writer, c doctor.Check) {
	if c.Fix != "" && c.Status != status.Pass {
		fmt.Fprintf(w, "\t\tfix: %s\n", c.Fix)
	}
}

// doctorLabel is how doctor's text report spells a status (its JSON
// says "pass", "warn", "fail").
func doctorLabel(s status.Status) string {
	switch s {
	case status.Pass:
		return "OK"
	case status.Warn:
		return "WARN"
	case status.Fail:
		return "FAIL"
	}
	return strings.ToUpper(string(s))
}

func summary(rep *doctor.Report) string {
	n := map[status.Status]int{}
	for _, c := range rep.Checks {
		n[c.Status]++
	}
	return strings.Join([]string{
		fmt.Sprintf("%d ok", n[status.Pass]),
		fmt.Sprintf("%d warnings", n[status.Warn]),
		fmt.Sprintf("%d failed", n[status.Fail]),
	}, ", ")
}
