package cli

import (
	"github.com/spf13/cobra"

	"github.com/multiarch-dev/multiarch/internal/app"
)

func newBinfmtInstallCmd(dirs *binfmtDirs) *cobra.Command {
	var o app.BinfmtInstallOptions
	cmd := &cobra.Command{
		Use:   "install [PLATFORM|ARCH ...|all]",
		Short: "Register QEMU handlers for foreign platforms",
		Long: `Register the static QEMU emulator of each platform in binfmt_misc.
Platforms are separated by commas or spaces; "all" means every foreign
platform whose emulator is found. The host's own architectures are refused:
a handler for them would hijack every native binary. An existing entry with
other settings is replaced only with --force.

Without --flags, each entry gets C and F, and P (keep argv[0]) when a trial
shows the emulator honours it: the emulator is registered for a moment under
a private name and runs a probe started with an argv[0] other than its path.
Without P, busybox-style multi-call binaries break, and install warns.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.BinfmtOptions, o.Targets = dirs.options(cmd), args
			rep, err := app.BinfmtInstall(cmd.Context(), o)
			if err != nil {
				return err
			}
			return printBinfmtChanges(cmd.OutOrStdout(), cmd.ErrOrStderr(), rep)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Flags, "flags", "", "entry flags, a subset of POCF (default: CF, plus P where a trial shows the emulator keeps argv[0])")
	f.StringVar(&o.QEMUDir, "qemu-dir", "", "directory of the qemu-<arch>-static binaries (default: search PATH)")
	f.BoolVar(&o.Persist, "persist", false, "also write /etc/binfmt.d/<name>.conf so the entries survive a reboot")
	f.BoolVar(&o.DryRun, "dry-run", false, "print the register lines and write nothing")
	f.BoolVar(&o.Force, "force", false, "replace existing entries that have other settings")
	return cmd
}

func newBinfmtUninstallCmd(dirs *binfmtDirs) *cobra.Command {
	var o app.BinfmtUninstallOptions
	cmd := &cobra.Command{
		Use:   "uninstall [PLATFORM|ARCH|NAME ...|all]",
		Short: "Remove binfmt_misc entries and their persisted files",
		Long: `Remove entries given by platform, architecture or entry name, or every
qemu-* entry with "all", together with their persisted .conf files.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.BinfmtOptions, o.Targets = dirs.options(cmd), args
			rep, err := app.BinfmtUninstall(cmd.Context(), o)
			if err != nil {
				return err
			}
			return printBinfmtChanges(cmd.OutOrStdout(), cmd.ErrOrStderr(), rep)
		},
	}
	cmd.Flags().BoolVar(&o.DryRun, "dry-run", false, "print what would be removed and write nothing")
	return cmd
}

func newBinfmtReregisterCmd(dirs *binfmtDirs) *cobra.Command {
	var o app.BinfmtReregisterOptions
	cmd := &cobra.Command{
		Use:   "reregister [PLATFORM ...]",
		Short: "Re-register existing qemu-* entries with the missing flags",
		Long: `Re-register every qemu-* entry (or those serving the given platforms) with
its own magic, mask and interpreter and the union of its flags and --flags,
as the classic reregister script did for entries registered without F or C.
Without --flags, that is C and F, and P where a trial shows the entry's
emulator honours it (an emulator that does not would shift every argument).`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.BinfmtOptions, o.Platforms = dirs.options(cmd), args
			rep, err := app.BinfmtReregister(cmd.Context(), o)
			if err != nil {
				return err
			}
			return printBinfmtChanges(cmd.OutOrStdout(), cmd.ErrOrStderr(), rep)
		},
	}
	cmd.Flags().StringVar(&o.Flags, "flags", "", "flags every entry must have, a subset of POCF (default: CF, plus P where a trial shows the emulator keeps argv[0])")
	cmd.Flags().BoolVar(&o.DryRun, "dry-run", false, "print the register lines and write nothing")
	return cmd
}
