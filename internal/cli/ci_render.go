package cli

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/multiarch-dev/multiarch/internal/app"
	"github.com/multiarch-dev/multiarch/internal/build"
	"github.com/multiarch-dev/multiarch/internal/doctor"
	"github.com/multiarch-dev/multiarch/internal/pipeline"
	"github.com/multiarch-dev/multiarch/internal/status"
)

// envStepSummary is GitHub Actions' job summary file.
const envStepSummary = "GITHUB_STEP_SUMMARY"

// ciSinks draw a run's steps as they end: detail on out (stdout, or
// stderr with --json), progress and step lines on stderr.
func ciSinks(cmd *cobra.Command, out io.Writer) app.CISinks {
	errw := cmd.ErrOrStderr()
	return app.CISinks{
		Detail:     out,
		Progress:   errw,
		OnStep:     func(st pipeline.Step) { fmt.Fprintf(errw, "ci: %s: %s\n", st.Name, st.Status) },
		OnEmbedded: embeddedNotice(errw),
		Binfmt:     func(rep *app.BinfmtChangeReport) error { return printBinfmtChanges(out, errw, rep) },
		DoctorFailures: func(rep *doctor.Report) error {
			printDoctorFailures(out, rep)
			return nil
		},
		Built: func(r *build.Result) error {
			renderSummary(out, r)
			return nil
		},
		Violations:  func(rep *app.VerifyReport) error { return printVerify(out, rep.Results, false) },
		StepMessage: Message,
	}
}

// printDoctorFailures prints each failed check with its fix.
func printDoctorFailures(w io.Writer, rep *doctor.Report) {
	for _, c := range wordFixes(rep).Checks {
		if c.Status == status.Fail {
			fmt.Fprintf(w, "doctor: FAIL %s: %s\n", c.ID, c.Message)
			if c.Fix != "" {
				fmt.Fprintf(w, "        fix: %s\n", c.Fix)
			}
		}
	}
}

// reportCI prints the summary and appends it to $GITHUB_STEP_SUMMARY.
func reportCI(w io.Writer, s *pipeline.Summary, asJSON bool) error {
	var err error
	if asJSON {
		err = pipeline.WriteJSON(w, s)
	} else {
		err = pipeline.WriteTable(w, s)
	}
	if path := getenv(envStepSummary); path != "" {
		err = errors.Join(err, appendMarkdown(path, s))
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
