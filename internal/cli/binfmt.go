package cli

import (
	"context"

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
		return r.OK, err
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
