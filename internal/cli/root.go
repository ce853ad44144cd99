package cli

import (
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/multiarch-dev/multiarch/internal/app"
)

// NewRootCmd builds the whole command tree. It holds no package-level state,
// so tests build a fresh tree per case and run it in-process.
func NewRootCmd() *cobra.Command {
	var verbose bool
	root := &cobra.Command{
		Use:           "multiarch",
		Short:         "Build, test, verify and publish multi-architecture container images",
		SilenceUsage:  true,
		SilenceErrors: true,
		// Before every command (none has a hook of its own): the
		// environment's fallback of a flag, checked like the flag.
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error { return applyRegistryTimeoutEnv(cmd) },
	}
	root.PersistentFlags().BoolVarP(&verbose, "verbose", "v", false, "log debug detail to stderr")
	root.AddCommand(
		newVersionCmd(),
		newBinfmtCmd(),
		newDoctorCmd(),
		newInspectCmd(),
		newIndexCmd(),
		newVerifyCmd(),
		newBuilderCmd(),
		newBuildCmd(),
		newTestCmd(),
		newLoginCmd(),
		newCICmd(),
		newPluginMetadataCmd(),
	)
	registerCompletions(root)
	return root
}

// logger returns the library logger: silent unless --verbose.
func logger(cmd *cobra.Command) *slog.Logger {
	if v, _ := cmd.Flags().GetBool("verbose"); v {
		return slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// ErrChecksFailed is returned by commands whose job is to report (doctor,
// verify, test) when what they report contains a failure; the report itself
// has already been printed. It is the application tier's own.
var ErrChecksFailed = app.ErrChecksFailed
