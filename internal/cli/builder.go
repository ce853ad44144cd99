package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/builder/embedded"
)

// embeddedFlags locate the embedded builder; the defaults are
// embedded.DefaultStateDir and embedded.DefaultSocket of the environment,
// which honour $MULTIARCH_STATE_DIR and $MULTIARCH_SOCKET, as
// ensureBuilder does.
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

func (f *embeddedFlags) embedded(cmd *cobra.Command) (*embedded.Builder, error) {
	return newEmbedded(embedded.WithStateDir(f.stateDir), embedded.WithSocket(f.socket),
		embedded.WithReadyTimeout(f.timeout), embedded.WithLogger(logger(cmd)))
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
BUILDKIT_HOST, when set, names the builder ` + "`multiarch build`" + ` uses, else the embedded one.`,
	}
	f.register(cmd)
	cmd.AddCommand(newBuilderUpCmd(f), newBuilderDownCmd(f), newBuilderStatusCmd(f),
		newBuilderCreateCmd(), newBuilderLsCmd(), newBuilderRmCmd())
	return cmd
}

func newBuilderUpCmd(f *embeddedFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "up",
		Short: "Start the embedded builder (no-op when it runs) and wait until it answers",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := f.embedded(cmd)
			if err != nil {
				return err
			}
			st, started, err := e.Up(cmd.Context())
			if err != nil {
				return explainBuildError(err)
			}
			verb := "already running"
			if started {
				verb = "started"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "builder %s at %s (pid %d, log %s)\n", verb, st.Address, st.PID, e.LogFile())
			if addr, ok := buildkitHost(); ok && addr != e.Address() {
				fmt.Fprintf(cmd.ErrOrStderr(), "note: %s=%s, so `multiarch build` uses that builder, not this one\n", builder.EnvBuildkitHost, addr)
			}
			return nil
		},
	}
}

func newBuilderDownCmd(f *embeddedFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "down",
		Short: "Stop the embedded builder",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := f.embedded(cmd)
			if err != nil {
				return err
			}
			stopped, err := e.Down(cmd.Context())
			if err != nil {
				return err
			}
			if stopped {
				fmt.Fprintln(cmd.OutOrStdout(), "builder stopped")
			} else {
				fmt.Fprintln(cmd.OutOrStdout(), "builder was not running")
			}
			return nil
		},
	}
}

func newBuilderStatusCmd(f *embeddedFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "status [NAME]",
		Short: "Show whether the builder (or every node of builder NAME) answers, and its worker platforms (exit 1 when one does not)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				return namedStatus(cmd, args[0])
			}
			st, kind, err := builderStatus(cmd, f)
			if err != nil {
				return err
			}
			renderStatus(cmd.OutOrStdout(), kind, st)
			if !st.Reachable {
				return ErrChecksFailed
			}
			return nil
		},
	}
}

// builderStatus reports the builder `build` would use: $BUILDKIT_HOST when
// set, else the embedded one.
func builderStatus(cmd *cobra.Command, f *embeddedFlags) (*builder.NodeStatus, string, error) {
	if addr, ok := buildkitHost(); ok {
		st, err := builder.Probe(cmd.Context(), addr)
		if err != nil {
			return &builder.NodeStatus{Address: addr}, "remote (" + builder.EnvBuildkitHost + ")", nil
		}
		return st, "remote (" + builder.EnvBuildkitHost + ")", nil
	}
	e, err := f.embedded(cmd)
	if err != nil {
		return nil, "", err
	}
	st, err := e.Status(cmd.Context())
	return st, "embedded", err
}

func renderStatus(w io.Writer, kind string, st *builder.NodeStatus) {
	fmt.Fprintf(w, "builder:    %s\n", kind)
	fmt.Fprintf(w, "address:    %s\n", st.Address)
	state := "not reachable"
	if st.Reachable {
		state = "running"
	}
	if st.PID > 0 {
		state += fmt.Sprintf(" (pid %d)", st.PID)
	}
	fmt.Fprintf(w, "state:      %s\n", state)
	if st.Version != "" {
		fmt.Fprintf(w, "buildkit:   %s\n", st.Version)
	}
	for _, wk := range st.Workers {
		fmt.Fprintf(w, "worker %s: %s\n", shortID(wk.ID), strings.Join(wk.Platforms, ", "))
	}
	if st.StateDir != "" {
		fmt.Fprintf(w, "state dir:  %s\n", st.StateDir)
		fmt.Fprintf(w, "log:        %s\n", st.LogFile)
	}
	if !st.Reachable {
		fmt.Fprintln(w, startAdvice(kind, st.Address))
	}
}

// startAdvice says how to get a builder that does not answer running.
func startAdvice(kind, address string) string {
	if kind == "embedded" {
		return "start it with `multiarch builder up`"
	}
	return fmt.Sprintf("start buildkitd at %s, or unset %s to use the embedded builder", address, builder.EnvBuildkitHost)
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// builderNodes returns the nodes `build` uses: builder name when given,
// else $BUILDKIT_HOST, else the embedded builder (see ensureBuilder).
func builderNodes(ctx context.Context, cmd *cobra.Command, name string, insecure []string) ([]builder.Node, error) {
	if name != "" {
		b, err := builderStore().Get(name)
		if err != nil {
			return nil, explainBuilderError(err)
		}
		return b.Nodes, nil
	}
	addr, err := ensureBuilder(ctx, cmd, insecure)
	if err != nil {
		return nil, err
	}
	return []builder.Node{{Endpoint: addr}}, nil
}

// ensureBuilder returns the address `build` uses: $BUILDKIT_HOST when set,
// else the embedded builder, started on demand (and said so on stderr).
// Insecure registries go into the embedded builder's config; a running
// embedded builder whose config lacks them is restarted (Up does that).
func ensureBuilder(ctx context.Context, cmd *cobra.Command, insecure []string) (string, error) {
	if addr, ok := buildkitHost(); ok {
		return addr, nil
	}
	e, err := newEmbedded(embedded.WithLogger(logger(cmd)), embedded.WithInsecureRegistries(insecure...))
	if err != nil {
		return "", err
	}
	st, err := e.Status(ctx)
	if err != nil {
		return "", err
	}
	if st.Reachable && len(insecure) == 0 {
		return e.Address(), nil
	}
	if !st.Reachable {
		fmt.Fprintf(cmd.ErrOrStderr(), "no builder configured (no --builder, %s unset): starting the embedded builder at %s (log %s)\n", builder.EnvBuildkitHost, e.Socket(), e.LogFile())
	}
	_, started, err := e.Up(ctx)
	if err != nil {
		return "", err
	}
	if st.Reachable && started {
		fmt.Fprintf(cmd.ErrOrStderr(), "restarted the embedded builder to let it reach %s over plain HTTP\n", strings.Join(insecure, ", "))
	}
	return e.Address(), nil
}
