package pipeline

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// PR mode (Config.Push false, `ci --no-push`) is the pull-request half of
// "build and test on pull requests, push on main": the same build, the
// same test before export and the same verify, but the index goes into a
// local OCI layout and nothing reaches a registry (no login, no push, no
// tag). Tags are optional then, and kept only as the names in the layout.

// ErrOCIDirPushes is an OCI layout directory asked for without PR mode: a
// pushing run writes its index to the registry, not to a directory.
var ErrOCIDirPushes = errors.New("a layout directory is written only in PR mode (push: false), which pushes nothing")

// NotPushed is what the summary says instead of the pushed digest in PR
// mode.
const NotPushed = "not pushed (PR mode)"

// prMode reports whether c asks for PR mode.
func (c Config) prMode() bool { return c.Push != nil && !*c.Push }

// resolvePR sets p's PR mode from c. Credentials are dropped, not
// refused: a pull request job often has the environment of the pushing
// job with its secrets withheld (a fork's pull request), and nothing is
// logged in to.
func (c Config) resolvePR(p *Plan) error {
	if !c.prMode() {
		if c.OCIDir != "" {
			return &ConfigError{Source: "oci_dir", Err: ErrOCIDirPushes}
		}
		return nil
	}
	p.NoPush, p.OCIDir = true, c.OCIDir
	p.Username, p.Password = "", ""
	return nil
}

// writeLocal says, in PR mode, that nothing was pushed and where the
// layout is (or that it was a temporary one).
func writeLocal(w io.Writer, s *Summary) {
	if !s.PRMode {
		return
	}
	fmt.Fprintf(w, "\n%s: nothing was logged in to, pushed or tagged\n", NotPushed)
	fmt.Fprintf(w, "OCI layout:       %s\n", layoutWords(s))
}

// writeLocalMarkdown is writeLocal for WriteMarkdown.
func writeLocalMarkdown(w io.Writer, s *Summary) {
	if !s.PRMode {
		return
	}
	fmt.Fprintf(w, "**%s**: nothing was logged in to, pushed or tagged  \nOCI layout: %s\n\n", NotPushed, layoutWords(s))
}

func layoutWords(s *Summary) string {
	switch {
	case s.Layout == "":
		return "none written (the run stopped before the export)"
	case !s.LayoutKept:
		return s.Layout + " (temporary, removed after the run)"
	case s.Digest != "":
		return s.Layout + " (index " + s.Digest + ")"
	}
	return s.Layout
}

// matrixHeader is the matrix's header line: in PR mode the columns are the
// test before export and the test of the exported images.
func matrixHeader(s *Summary, pushing string) string {
	if !s.PRMode {
		return pushing
	}
	r := strings.NewReplacer("BEFORE PUSH", "BEFORE EXPORT", "PUSHED", "EXPORTED", "before push", "before export", "pushed", "exported")
	return r.Replace(pushing)
}

// writePlanPR says, in a dry run's plan, that the run would push nothing.
func writePlanPR(w io.Writer, r PlanReport) {
	if !r.PRMode {
		return
	}
	dir := "a temp directory, removed after the run"
	if r.OCIDir != "" {
		dir = r.OCIDir
	}
	fmt.Fprintf(w, "push:        no, %s: OCI layout in %s (the tags below are names only)\n", NotPushed, dir)
}
