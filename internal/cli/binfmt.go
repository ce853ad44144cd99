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
	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/probe"
)

// worksFunc runs the functional probe of p under its registered handler
// and reports whether it ran as p.
type worksFunc func(ctx context.Context, p platform.Platform) (bool, error)

// defaultWorks is the functional probe `binfmt ls` fills its works column
// with: the platform's tiny static binary, run chrooted into an empty
// directory, must report a machine the platform table expects. Entries of
// architectures outside the table stay "unknown".
func defaultWorks() worksFunc {
	return func(ctx context.Context, p platform.Platform) (bool, error) {
		r, err := probe.Run(ctx, p, probe.Options{})
		if err != nil {
			return false, err
		}
		return p.UnameOK(r.Machine), nil
	}
}

// binfmtDirs are the hidden flags every binfmt subcommand shares; tests
// point them at temporary directories.
type binfmtDirs struct {
	root, persist string
}

func (d *binfmtDirs) manager(cmd *cobra.Command) *binfmt.Manager {
	return &binfmt.Manager{Root: d.root, PersistDir: d.persist, Logger: logger(cmd)}
}

func newBinfmtCmd() *cobra.Command { return newBinfmtCmdWith(defaultWorks()) }

func newBinfmtCmdWith(works worksFunc) *cobra.Command {
	dirs := &binfmtDirs{}
	cmd := &cobra.Command{Use: "binfmt", Short: "Manage QEMU handlers in binfmt_misc"}
	pf := cmd.PersistentFlags()
	pf.StringVar(&dirs.root, "binfmt-dir", binfmt.DefaultRoot, "binfmt_misc directory (for tests)")
	pf.StringVar(&dirs.persist, "persist-dir", binfmt.DefaultPersistDir, "directory of persisted .conf files (for tests)")
	_ = pf.MarkHidden("binfmt-dir")
	_ = pf.MarkHidden("persist-dir")
	cmd.AddCommand(
		newBinfmtLsCmd(dirs, works),
		newBinfmtInstallCmd(dirs),
		newBinfmtUninstallCmd(dirs),
		newBinfmtReregisterCmd(dirs),
	)
	return cmd
}

// ---- ls ----

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

// ---- install ----

type binfmtInstallOptions struct {
	flags, qemuDir         string
	persist, dryRun, force bool
}

func newBinfmtInstallCmd(dirs *binfmtDirs) *cobra.Command {
	var o binfmtInstallOptions
	cmd := &cobra.Command{
		Use:   "install [PLATFORM|ARCH ...|all]",
		Short: "Register QEMU handlers for foreign platforms",
		Long: `Register the static QEMU emulator of each platform in binfmt_misc.
Platforms are separated by commas or spaces; "all" means every foreign
platform whose emulator is found. The host's own architectures are refused:
a handler for them would hijack every native binary. An existing entry with
other settings is replaced only with --force.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBinfmtInstall(cmd.Context(), cmd.OutOrStdout(), dirs.manager(cmd), args, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.flags, "flags", "CF", "entry flags, a subset of POCF (empty means CF)")
	f.StringVar(&o.qemuDir, "qemu-dir", "", "directory of the qemu-<arch>-static binaries (default: search PATH)")
	f.BoolVar(&o.persist, "persist", false, "also write /etc/binfmt.d/<name>.conf so the entries survive a reboot")
	f.BoolVar(&o.dryRun, "dry-run", false, "print the register lines and write nothing")
	f.BoolVar(&o.force, "force", false, "replace existing entries that have other settings")
	return cmd
}

func runBinfmtInstall(ctx context.Context, out io.Writer, m *binfmt.Manager, args []string, o binfmtInstallOptions) error {
	flags, err := binfmt.ParseFlags(o.flags)
	if err != nil {
		return err
	}
	opts := binfmt.InstallOptions{Flags: flags, QEMUDir: o.qemuDir, Persist: o.persist, Force: o.force}
	if opts.All, opts.Platforms, err = parseInstallTargets(args); err != nil {
		return err
	}
	if err := mountUnlessDryRun(ctx, m, o.dryRun); err != nil {
		return err
	}
	plan, err := m.PlanInstall(ctx, opts)
	if err != nil {
		return err
	}
	return applyAndReport(ctx, out, m, plan, o.dryRun)
}

// parseInstallTargets reads "all" and platform lists from the arguments.
func parseInstallTargets(args []string) (all bool, ps []platform.Platform, err error) {
	var rest []string
	for _, a := range args {
		if strings.EqualFold(a, "all") {
			all = true
		} else {
			rest = append(rest, a)
		}
	}
	if len(rest) > 0 {
		ps, err = platform.ParseList(strings.Join(rest, ","))
	}
	if !all && len(rest) == 0 {
		err = fmt.Errorf("name the platforms to install (e.g. linux/arm64,linux/arm/v7) or all")
	}
	return all, ps, err
}

// ---- uninstall ----

func newBinfmtUninstallCmd(dirs *binfmtDirs) *cobra.Command {
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "uninstall [PLATFORM|ARCH|NAME ...|all]",
		Short: "Remove binfmt_misc entries and their persisted files",
		Long: `Remove entries given by platform, architecture or entry name, or every
qemu-* entry with "all", together with their persisted .conf files.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return fmt.Errorf("name the entries to remove: platforms, architectures, entry names, or all")
			}
			m := dirs.manager(cmd)
			if err := mountUnlessDryRun(cmd.Context(), m, dryRun); err != nil {
				return err
			}
			plan, err := m.PlanUninstall(cmd.Context(), splitTargets(args))
			if err != nil {
				return err
			}
			return applyAndReport(cmd.Context(), cmd.OutOrStdout(), m, plan, dryRun)
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print what would be removed and write nothing")
	return cmd
}

// splitTargets splits comma separated arguments, as platform lists are.
func splitTargets(args []string) []string {
	var out []string
	for _, a := range args {
		for _, f := range strings.Split(a, ",") {
			if f = strings.TrimSpace(f); f != "" {
				out = append(out, f)
			}
		}
	}
	return out
}

// ---- reregister ----

func newBinfmtReregisterCmd(dirs *binfmtDirs) *cobra.Command {
	var flagStr string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "reregister [PLATFORM ...]",
		Short: "Re-register existing qemu-* entries with the missing flags",
		Long: `Re-register every qemu-* entry (or those serving the given platforms) with
its own magic, mask and interpreter and the union of its flags and --flags,
as the classic reregister script did for entries registered without F or C.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			flags, err := binfmt.ParseFlags(flagStr)
			if err != nil {
				return err
			}
			opts := binfmt.ReregisterOptions{Flags: flags}
			if len(args) > 0 {
				if opts.Platforms, err = platform.ParseList(strings.Join(args, ",")); err != nil {
					return err
				}
			}
			m := dirs.manager(cmd)
			if err := mountUnlessDryRun(cmd.Context(), m, dryRun); err != nil {
				return err
			}
			plan, err := m.PlanReregister(cmd.Context(), opts)
			if err != nil {
				return err
			}
			return applyAndReport(cmd.Context(), cmd.OutOrStdout(), m, plan, dryRun)
		},
	}
	cmd.Flags().StringVar(&flagStr, "flags", "CF", "flags every entry must have, a subset of POCF (empty means CF)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the register lines and write nothing")
	return cmd
}

// ---- shared rendering ----

// mountUnlessDryRun mounts binfmt_misc before planning a real run, so the
// plan sees the entries the kernel has; a dry run writes nothing, mounts
// included.
func mountUnlessDryRun(ctx context.Context, m *binfmt.Manager, dryRun bool) error {
	if dryRun {
		return nil
	}
	return m.EnsureMounted(ctx)
}

// applyAndReport applies the plan (or, for a dry run, prints it) and
// prints what was done.
func applyAndReport(ctx context.Context, out io.Writer, m *binfmt.Manager, plan *binfmt.Plan, dryRun bool) error {
	if dryRun {
		return printDryRun(out, plan, m.Root)
	}
	if err := m.Apply(ctx, plan); err != nil {
		return err
	}
	return printChanges(out, plan)
}

// printDryRun prints each register line as is and everything else as a
// '#' comment, so the output is itself a valid systemd-binfmt file.
func printDryRun(out io.Writer, plan *binfmt.Plan, root string) error {
	if root == "" {
		root = binfmt.DefaultRoot
	}
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
