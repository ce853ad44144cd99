package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/multiarch-dev/multiarch/internal/binfmt"
	"github.com/multiarch-dev/multiarch/internal/platform"
)

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
