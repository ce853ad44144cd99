package cli

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/multiarch-dev/multiarch/internal/app"
)

// printBinfmtList prints `binfmt ls`: a table, or with asJSON the report.
// A failed probe's text ends with its fix, as "; fix: ...", the multiarch
// command included.
func printBinfmtList(out io.Writer, rep *app.BinfmtListReport, asJSON bool) error {
	for i, e := range rep.Entries {
		if e.WorksErr != nil {
			rep.Entries[i].WorksError = worksErrorText(e.WorksErr)
		}
	}
	if asJSON {
		return writeJSONIndent(out, rep)
	}
	return printEntries(out, rep)
}

// worksErrorText is a probe error followed by the fixes of probeHints.
func worksErrorText(err error) string {
	s := err.Error()
	for _, h := range probeHints(err) {
		s += "; fix: " + h
	}
	return s
}

func printEntries(out io.Writer, rep *app.BinfmtListReport) error {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tPLATFORM\tSTATE\tFLAGS\tINTERPRETER\tSTATIC\tWORKS")
	for _, e := range rep.Entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Name, platformColumn(e.Platforms),
			enabledWord(e.Enabled), dash(e.Flags), interpreterColumn(e), staticColumn(e), worksColumn(e))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if !rep.Enabled {
		_, err := fmt.Fprintf(out, "binfmt_misc is disabled globally: no entry is used; enable it: echo 1 | sudo tee %s\n", filepath.Join(rep.Dir, "status"))
		return err
	}
	return nil
}

// platformColumn shortens rows of one architecture: linux/arm/v5,v6,v7.
func platformColumn(rows []string) string {
	if len(rows) == 0 {
		return "-"
	}
	col := rows[0]
	for _, r := range rows[1:] {
		col += "," + r[strings.LastIndex(r, "/")+1:]
	}
	return col
}

func enabledWord(b bool) string {
	if b {
		return "enabled"
	}
	return "disabled"
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func interpreterColumn(e app.BinfmtEntry) string {
	if !e.InterpreterExists {
		return e.Interpreter + " (missing)"
	}
	return e.Interpreter
}

func staticColumn(e app.BinfmtEntry) string {
	switch {
	case !e.InterpreterExists:
		return "-"
	case e.Static:
		return "yes"
	default:
		return "no"
	}
}

func worksColumn(e app.BinfmtEntry) string {
	switch {
	case e.Works == nil:
		return "unknown"
	case *e.Works:
		return "yes"
	default:
		return "no"
	}
}
