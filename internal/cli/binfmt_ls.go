package cli

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/multiarch-dev/multiarch/internal/binfmt"
)

func newBinfmtLsCmd(dirs *binfmtDirs, works worksFunc) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List binfmt_misc entries with their platform, flags and interpreter",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			probe := works
			if dirs.root != binfmt.DefaultRoot {
				// The probe exercises the running kernel; it says nothing
				// about entries read from another directory.
				probe = nil
			}
			return runBinfmtLs(cmd.Context(), cmd.OutOrStdout(), dirs.manager(cmd), asJSON, probe)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// lsJSON is the stable `binfmt ls --json` document.
type lsJSON struct {
	// Enabled is binfmt_misc's global status switch.
	Enabled bool        `json:"enabled"`
	Entries []entryJSON `json:"entries"`
}

type entryJSON struct {
	Name string `json:"name"`
	// Platform is the base table row served ("" when unknown); Platforms
	// every row (arm/v5, arm/v6, arm/v7 share one entry).
	Platform            string   `json:"platform"`
	Platforms           []string `json:"platforms"`
	Enabled             bool     `json:"enabled"`
	Flags               string   `json:"flags"`
	Interpreter         string   `json:"interpreter"`
	InterpreterResolved string   `json:"interpreter_resolved,omitempty"`
	InterpreterExists   bool     `json:"interpreter_exists"`
	Static              bool     `json:"static"`
	// Works is the functional probe's verdict; null when not probed.
	Works      *bool  `json:"works"`
	WorksError string `json:"works_error,omitempty"`
	Offset     int    `json:"offset"`
	Magic      string `json:"magic,omitempty"`
	Mask       string `json:"mask,omitempty"`
	Extension  string `json:"extension,omitempty"`
}

func runBinfmtLs(ctx context.Context, out io.Writer, m *binfmt.Manager, asJSON bool, works worksFunc) error {
	entries, err := m.List(ctx)
	if err != nil {
		return err
	}
	enabled, err := m.Enabled(ctx)
	if err != nil {
		return err
	}
	doc := lsJSON{Enabled: enabled, Entries: []entryJSON{}}
	for _, e := range entries {
		doc.Entries = append(doc.Entries, describeEntry(ctx, e, works))
	}
	if asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(doc)
	}
	return printEntries(out, doc, m.Root)
}

func describeEntry(ctx context.Context, e binfmt.Entry, works worksFunc) entryJSON {
	in := binfmt.InspectInterpreter(e.Interpreter)
	j := entryJSON{
		Name: e.Name, Platforms: []string{}, Enabled: e.Enabled, Flags: e.Flags.String(),
		Interpreter: e.Interpreter, InterpreterResolved: in.Resolved,
		InterpreterExists: in.Exists, Static: in.Static,
		Offset: e.Offset, Magic: hex.EncodeToString(e.Magic), Mask: hex.EncodeToString(e.Mask),
		Extension: e.Extension,
	}
	for _, p := range e.Platforms {
		j.Platforms = append(j.Platforms, p.String())
	}
	p, ok := e.Platform()
	if !ok {
		return j
	}
	j.Platform = p.String()
	if works != nil && e.Enabled {
		ok, err := works(ctx, p)
		j.Works = &ok
		if err != nil {
			j.WorksError = err.Error()
		}
	}
	return j
}

func printEntries(out io.Writer, doc lsJSON, root string) error {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tPLATFORM\tSTATE\tFLAGS\tINTERPRETER\tSTATIC\tWORKS")
	for _, e := range doc.Entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Name, platformColumn(e.Platforms),
			enabledWord(e.Enabled), dash(e.Flags), interpreterColumn(e), staticColumn(e), worksColumn(e))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if !doc.Enabled {
		if root == "" {
			root = binfmt.DefaultRoot
		}
		_, err := fmt.Fprintf(out, "binfmt_misc is disabled globally: no entry is used; enable it: echo 1 | sudo tee %s\n", filepath.Join(root, "status"))
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

func interpreterColumn(e entryJSON) string {
	if !e.InterpreterExists {
		return e.Interpreter + " (missing)"
	}
	return e.Interpreter
}

func staticColumn(e entryJSON) string {
	switch {
	case !e.InterpreterExists:
		return "-"
	case e.Static:
		return "yes"
	default:
		return "no"
	}
}

func worksColumn(e entryJSON) string {
	switch {
	case e.Works == nil:
		return "unknown"
	case *e.Works:
		return "yes"
	default:
		return "no"
	}
}
