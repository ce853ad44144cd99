package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/multiarch-dev/multiarch/internal/app"
	"github.com/multiarch-dev/multiarch/internal/builder"
)

// createExtFlags are builder create's --node-name, --append and --mirror.
type createExtFlags struct {
	appendTo bool
	mirrors  []string
}

func (x *createExtFlags) register(fs *pflag.FlagSet, f *createFlags) {
	fs.Var(&nodeFlag{f, "--node-name", func(n *builder.Node, v string) error { n.Name = v; return nil }}, "node-name", "name of the node (default node0, node1, ... by its place)")
	fs.BoolVar(&x.appendTo, "append", false, "add the nodes to the existing builder NAME")
	fs.StringArrayVar(&x.mirrors, "mirror", nil, "refused: prints the buildkitd.toml lines each node needs for `REGISTRY=HOST` (nodes are daemons multiarch does not configure)")
}

// refuseMirrors refuses --mirror on a named builder, printing the lines
// the nodes' own buildkitd.toml need instead.
func (x *createExtFlags) refuseMirrors() error {
	if len(x.mirrors) == 0 {
		return nil
	}
	var b strings.Builder
	byReg := map[string][]string{}
	var order []string
	for _, spec := range x.mirrors {
		reg, m, err := app.ParseMirror(spec)
		if err != nil {
			return err
		}
		if byReg[reg] == nil {
			order = append(order, reg)
		}
		byReg[reg] = append(byReg[reg], fmt.Sprintf("%q", m))
	}
	for _, reg := range order {
		fmt.Fprintf(&b, "  [registry.%q]\n    mirrors = [%s]\n", reg, strings.Join(byReg[reg], ", "))
	}
	return fmt.Errorf("builder create: --mirror: the nodes of a named builder are buildkitd's multiarch does not start or configure; "+
		"add to each node's buildkitd.toml (then restart it):\n%s(the embedded builder takes `multiarch builder up --mirror REGISTRY=HOST`)", b.String())
}

// runCreate stores b (or appends its nodes, --append) and says so.
func runCreate(cmd *cobra.Command, f *createFlags, b builder.Builder) error {
	o := app.CreateOptions{Env: appEnv(), Builder: b, NoCheck: f.noCheck}
	var (
		rep *app.CreateReport
		err error
	)
	if f.ext.appendTo {
		rep, err = app.AppendNodes(cmd.Context(), o)
	} else {
		rep, err = app.CreateBuilder(cmd.Context(), o)
	}
	if rep != nil {
		renderUndeclared(cmd.ErrOrStderr(), rep.Undeclared)
	}
	if err != nil {
		return err
	}
	if f.ext.appendTo {
		fmt.Fprintf(cmd.OutOrStdout(), "builder %s: added %d node(s), %d in all, in %s\n", b.Name, len(b.Nodes), rep.Nodes, rep.Path)
		return nil
	}
	fmt.Fprintf(cmd.OutOrStdout(), "builder %s created with %d node(s) in %s\n", b.Name, len(b.Nodes), rep.Path)
	return nil
}

// runRemoveNode removes one node of a named builder.
func runRemoveNode(cmd *cobra.Command, name, node string) error {
	if err := app.RemoveNode(appEnv(), name, node); err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "node %s removed from builder %s\n", node, name)
	return nil
}

func newBuilderUseCmd() *cobra.Command {
	var dflt bool
	cmd := &cobra.Command{
		Use:   "use NAME | use --default",
		Short: "Make builder NAME the default of build, test, ci and doctor ($MULTIARCH_BUILDER and --builder override it); --default (or NAME embedded) goes back",
		Long: `Make the named builder NAME the default: build, test, ci, doctor and builder status use it
when no --builder is given. $` + builder.EnvBuilder + ` overrides it, --builder overrides both; either
may name "` + builder.EmbeddedName + `" for the embedded builder. The default wins over $` + builder.EnvBuildkitHost + `.
` + "`builder use --default`" + ` (or ` + "`builder use embedded`" + `) goes back to $` + builder.EnvBuildkitHost + `, else the
embedded builder. The default is kept in the builder store (builders.json).`,
		RunE: func(cmd *cobra.Command, args []string) error {
			name, err := useName(args, dflt)
			if err != nil {
				return err
			}
			rep, err := app.UseBuilder(appEnv(), name)
			if err != nil {
				return err
			}
			renderUse(cmd.OutOrStdout(), cmd.ErrOrStderr(), rep)
			return nil
		},
	}
	cmd.Flags().BoolVar(&dflt, "default", false, "go back to $"+builder.EnvBuildkitHost+", else the embedded builder")
	return cmd
}

// useName is NAME, or "" for --default; one of them.
func useName(args []string, dflt bool) (string, error) {
	switch {
	case dflt && len(args) > 0:
		return "", errors.New("builder use: give NAME or --default, not both")
	case dflt:
		return "", nil
	case len(args) != 1:
		return "", errors.New("builder use: give one NAME (see `multiarch builder ls`), or --default")
	}
	return args[0], nil
}

func renderUse(w, errw io.Writer, rep *app.UseReport) {
	if rep.Name == "" {
		fmt.Fprintf(w, "no default builder: build uses $%s when set, else the embedded builder (%s)\n", builder.EnvBuildkitHost, rep.Path)
	} else {
		fmt.Fprintf(w, "default builder: %s (%s)\n", rep.Name, rep.Path)
	}
	if rep.Overridden != "" {
		fmt.Fprintf(errw, "note: %s=%s is set, so commands run here use that instead\n", rep.Overridden, rep.OverriddenBy)
	}
}
