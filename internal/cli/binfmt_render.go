package cli

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/multiarch-dev/multiarch/internal/app"
	"github.com/multiarch-dev/multiarch/internal/binfmt"
	"github.com/multiarch-dev/multiarch/internal/platform"
)

// printBinfmtChanges prints what an install, uninstall or reregister did,
// or for a dry run the register lines it would write, then the changes'
// warnings to errOut.
func printBinfmtChanges(out, errOut io.Writer, rep *app.BinfmtChangeReport) error {
	var err error
	if rep.DryRun {
		err = printDryRun(out, rep.Plan, rep.Dir)
	} else {
		err = printChanges(out, rep.Plan)
	}
	for _, c := range rep.Plan.Changes {
		if c.Warning != "" && err == nil {
			_, err = fmt.Fprintf(errOut, "warning: %s: %s\n", c.Name, c.Warning)
		}
	}
	return err
}

// printDryRun prints each register line as is and everything else as a
// '#' comment, so the output is itself a valid systemd-binfmt file.
func printDryRun(out io.Writer, plan *binfmt.Plan, root string) error {
	var b strings.Builder
	for _, c := range plan.Changes {
		switch c.Action {
		case binfmt.ActionRegister:
			fmt.Fprintf(&b, "%s\n", c.Line)
		case binfmt.ActionReplace:
			fmt.Fprintf(&b, "# %s: replace (%s): echo -1 > %s, then register:\n%s\n", c.Name, c.Reason, filepath.Join(root, c.Name), c.Line)
		case binfmt.ActionEnable:
			fmt.Fprintf(&b, "# %s: enable (%s): echo 1 > %s\n", c.Name, c.Reason, filepath.Join(root, c.Name))
		case binfmt.ActionRemove:
			if c.Old != nil {
				fmt.Fprintf(&b, "# %s: remove: echo -1 > %s\n", c.Name, filepath.Join(root, c.Name))
			}
		default:
			fmt.Fprintf(&b, "# %s: %s (%s)\n", c.Name, c.Action, c.Reason)
		}
		if c.Persist != "" {
			verb := "write"
			if c.Action == binfmt.ActionRemove {
				verb = "delete"
			}
			fmt.Fprintf(&b, "# %s: would %s %s\n", c.Name, verb, c.Persist)
		}
	}
	b.WriteString("# dry run: nothing was written\n")
	_, err := io.WriteString(out, b.String())
	return err
}

var pastTense = map[binfmt.Action]string{
	binfmt.ActionRegister: "registered", binfmt.ActionReplace: "replaced", binfmt.ActionEnable: "enabled",
	binfmt.ActionRemove: "removed", binfmt.ActionUnchanged: "unchanged", binfmt.ActionSkip: "skipped",
}

func printChanges(out io.Writer, plan *binfmt.Plan) error {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tPLATFORM\tRESULT\tDETAIL")
	for _, c := range plan.Changes {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Name, platformName(c.Platform), pastTense[c.Action], changeDetail(c))
	}
	return tw.Flush()
}

func platformName(p platform.Platform) string {
	if p.Arch == "" {
		return "-"
	}
	return p.String()
}

func changeDetail(c binfmt.Change) string {
	var parts []string
	if c.New != nil && c.Action != binfmt.ActionUnchanged {
		parts = append(parts, fmt.Sprintf("flags %s, %s", c.New.Flags.Effective(), c.New.Interpreter))
	}
	if c.Reason != "" {
		parts = append(parts, c.Reason)
	}
	if c.Persist != "" {
		if c.Action == binfmt.ActionRemove {
			parts = append(parts, "deleted "+c.Persist)
		} else {
			parts = append(parts, "persisted in "+c.Persist)
		}
	}
	return strings.Join(parts, "; ")
}
