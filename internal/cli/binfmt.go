package cli

import (
	"github.com/spf13/cobra"

	"github.com/multiarch-dev/multiarch/internal/app"
	"github.com/multiarch-dev/multiarch/internal/binfmt"
)

// binfmtDirs are the hidden flags every binfmt subcommand shares; tests
// point them at temporary directories.
type binfmtDirs struct {
	root, persist string
}

// options are the app's binfmt options of the flags, logging as cmd does.
func (d *binfmtDirs) options(cmd *cobra.Command) app.BinfmtOptions {
	return app.BinfmtOptions{Dir: d.root, PersistDir: d.persist, Logger: logger(cmd)}
}

func newBinfmtCmd() *cobra.Command {
	dirs := &binfmtDirs{}
	cmd := &cobra.Command{Use: "binfmt", Short: "Manage QEMU handlers in binfmt_misc"}
	pf := cmd.PersistentFlags()
	pf.StringVar(&dirs.root, "binfmt-dir", binfmt.DefaultRoot, "binfmt_misc directory (for tests)")
	pf.StringVar(&dirs.persist, "persist-dir", binfmt.DefaultPersistDir, "directory of persisted .conf files (for tests)")
	_ = pf.MarkHidden("binfmt-dir")
	_ = pf.MarkHidden("persist-dir")
	cmd.AddCommand(
		newBinfmtLsCmd(dirs),
		newBinfmtInstallCmd(dirs),
		newBinfmtUninstallCmd(dirs),
		newBinfmtReregisterCmd(dirs),
	)
	return cmd
}
