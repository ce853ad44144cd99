package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/multiarch-dev/multiarch/internal/app"
	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/builder/embedded"
)

// embeddedFlags locate the embedded builder; the defaults are
// embedded.DefaultStateDir and embedded.DefaultSocket of the environment,
// which honour $MULTIARCH_STATE_DIR and $MULTIARCH_SOCKET, as build's
// embedded builder does.
type embeddedFlags struct {
	stateDir, socket string
	timeout          time.Duration
}

func (f *embeddedFlags) register(cmd *cobra.Command) {
	pf := cmd.PersistentFlags()
	pf.StringVar(&f.stateDir, "state-dir", embedded.DefaultStateDir(getenv), "state directory of the embedded builder (config, log, pid, BuildKit root); default $"+embedded.EnvStateDir+" when set")
	pf.StringVar(&f.socket, "socket", embedded.DefaultSocket(getenv), "unix socket of the embedded builder; default $"+embedded.EnvSocket+" when set")
	pf.DurationVar(&f.timeout, "timeout", embedded.DefaultReadyTimeout, "how long up waits for buildkitd to answer")
}

func (f *embeddedFlags) options() app.EmbeddedOptions {
	return app.EmbeddedOptions{StateDir: f.stateDir, Socket: f.socket, ReadyTimeout: f.timeout}
}

func (f *embeddedFlags) builderOptions(cmd *cobra.Command) app.EmbeddedBuilderOptions {
	return app.EmbeddedBuilderOptions{Env: appEnv(), Embedded: f.options(), Logger: logger(cmd)}
}

func newBuilderCmd() *cobra.Command {
	f := &embeddedFlags{}
	cmd := &cobra.Command{
		Use:   "builder",
		Short: "Start, stop and inspect the embedded BuildKit builder; create named multi-node builders",
		Long: `The embedded builder is a local buildkitd with the OCI (runc) worker (up, down, status).
The buildkitd binary is $MULTIARCH_BUILDKITD, else buildkitd next to multiarch, else on PATH.
$MULTIARCH_STATE_DIR and $MULTIARCH_SOCKET (absolute paths) move its state directory and socket
for these commands and for ` + "`multiarch build`" + ` alike; the socket defaults to buildkitd.sock in
$MULTIARCH_STATE_DIR when only that is set.
Named builders (create, ls, rm, status NAME) group buildkitd nodes, one per native
architecture; ` + "`multiarch build --builder NAME`" + ` uses one. Without --builder,
$MULTIARCH_BUILDER, else the default of ` + "`builder use NAME`" + `, else BUILDKIT_HOST, when set,
names the builder ` + "`multiarch build`" + ` uses, else the embedded one.
up --mirror/--buildkitd-config configure the embedded builder; du and prune show and free the
build cache of the builder build would use.`,
	}
	f.register(cmd)
	cmd.AddCommand(newBuilderUpCmd(f), newBuilderDownCmd(f), newBuilderStatusCmd(f),
		newBuilderCreateCmd(), newBuilderLsCmd(), newBuilderRmCmd(), newBuilderUseCmd(),
		newBuilderDuCmd(f), newBuilderPruneCmd(f))
	return cmd
}

func newBuilderUpCmd(f *embeddedFlags) *cobra.Command {
	sf := &upSettingsFlags{}
	cmd := &cobra.Command{
		Use:   "up [--mirror REGISTRY=HOST ...] [--insecure-registry HOST ...] [--buildkitd-config FILE] [--reset]",
		Short: "Start the embedded builder (no-op when it runs) and wait until it answers; cleans what a killed one left",
		Long: `Start the embedded builder unless it runs. --mirror, --insecure-registry and
--buildkitd-config are kept in its state directory: build and test start it with them too, until
another ` + "`builder up`" + ` changes them (each flag given replaces its kept value; --reset drops them).
A running builder whose config changes is restarted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o := f.builderOptions(cmd)
			o.Settings = sf.settings()
			rep, err := app.BuilderUp(cmd.Context(), o)
			if err != nil {
				return err
			}
			renderUp(cmd.OutOrStdout(), cmd.ErrOrStderr(), rep)
			if rep.Restarted {
				fmt.Fprintf(cmd.OutOrStdout(), "restarted the builder: its config (%s) changed\n", rep.ConfigFile)
			}
			renderSettings(cmd.OutOrStdout(), rep.Settings, rep.ConfigFile)
			return nil
		},
	}
	sf.register(cmd.Flags())
	return cmd
}

func newBuilderDownCmd(f *embeddedFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "down",
		Short: "Stop the embedded builder (a stopped or stuck one too) and clean what a killed one left",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rep, err := app.BuilderDown(cmd.Context(), f.builderOptions(cmd))
			if rep != nil {
				renderDown(cmd.OutOrStdout(), rep, err == nil)
			}
			return err
		},
	}
}

func newBuilderStatusCmd(f *embeddedFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "status [NAME]",
		Short: "Show whether the builder (or every node of builder NAME) answers, and its worker platforms (exit 1 when one does not)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o := app.StatusOptions{Env: appEnv(), Embedded: f.options(), Logger: logger(cmd)}
			if len(args) == 1 {
				o.Builder = args[0]
			}
			rep, err := app.BuilderStatus(cmd.Context(), o)
			if err != nil {
				return err
			}
			if rep.Source == app.SourceNamed {
				return renderNamedStatus(cmd.OutOrStdout(), rep)
			}
			err = renderStatus(cmd.OutOrStdout(), statusKind(rep.Source), rep.Status)
			renderSettings(cmd.OutOrStdout(), rep.Settings, rep.ConfigFile)
			return err
		},
	}
}

// statusKind is how status names the builder of one node.
func statusKind(s app.Source) string {
	if s == app.SourceEmbedded {
		return "embedded"
	}
	return "remote (" + builder.EnvBuildkitHost + ")"
}
