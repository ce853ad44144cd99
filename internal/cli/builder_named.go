package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/multiarch-dev/multiarch/internal/app"
	"github.com/multiarch-dev/multiarch/internal/builder"
)

const createUsage = `create NAME --node ENDPOINT [--node-name N] [--platform P,...] [--tls-ca F] [--tls-cert F --tls-key F]
                [--tls-server-name N] [--node ENDPOINT ...] [--no-check] [--append]`

func newBuilderCreateCmd() *cobra.Command {
	f := &createFlags{}
	cmd := &cobra.Command{
		Use:   createUsage,
		Short: "Store a named builder of one or more BuildKit nodes",
		Long: `Store builder NAME in ` + "`builders.json`" + ` of the config directory ($` + builder.EnvConfigDir + `, else
/etc/multiarch as root, else $XDG_CONFIG_HOME/multiarch). Every --node starts a node; the
--platform and --tls-* flags after it belong to that node:

  --node ENDPOINT          unix:///path/to/buildkitd.sock or tcp://host:port
  --node-name N            the node's name (default node0, node1, ... by its place)
  --platform P,...         platforms the node runs natively (default: its workers' first)
  --tls-ca F               CA certificate of a tcp:// node (default: the system's)
  --tls-cert F, --tls-key F  client certificate and key
  --tls-server-name N      name to verify the node's certificate against

Every node is asked for its workers first; an unreachable node is refused unless --no-check.
--append adds the nodes to the existing builder NAME instead. Registry mirrors of a named
builder belong in each node's own buildkitd.toml (--mirror prints the snippet).
` + "`multiarch build --builder NAME`" + ` sends each platform to a node that runs it natively, else
to one that emulates it.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := f.builder(args)
			if err != nil {
				return usageError(err)
			}
			if err := f.ext.refuseMirrors(); err != nil {
				return err
			}
			return runCreate(cmd, f, b)
		},
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError(err) })
	f.register(cmd.Flags())
	return cmd
}

// usageError is a mistake on builder create's command line.
func usageError(err error) error {
	return usage(fmt.Errorf("builder create: %w\nusage: multiarch builder %s", err, createUsage))
}

// createFlags are builder create's node groups, in command-line order:
// every --node starts a node, and the --platform and --tls-* flags after
// it belong to it. Each flag is a pflag.Value appending to nodes as it is
// parsed; the first mistake is kept in err and reported after parsing.
type createFlags struct {
	nodes   []builder.Node
	noCheck bool
	err     error
	ext     createExtFlags
}

func (f *createFlags) register(fs *pflag.FlagSet) {
	fs.Var(&nodeFlag{f, "--node", nil}, "node", "start a node at `ENDPOINT` (unix:///path or tcp://host:port)")
	fs.Var(&nodeFlag{f, "--platform", setNodePlatforms}, "platform", "platforms the node runs natively, comma separated (default: its workers' first)")
	fs.Var(&nodeFlag{f, "--tls-ca", func(n *builder.Node, v string) error { nodeTLS(n).CA = v; return nil }}, "tls-ca", "CA certificate of a tcp:// node")
	fs.Var(&nodeFlag{f, "--tls-cert", func(n *builder.Node, v string) error { nodeTLS(n).Cert = v; return nil }}, "tls-cert", "client certificate for the node")
	fs.Var(&nodeFlag{f, "--tls-key", func(n *builder.Node, v string) error { nodeTLS(n).Key = v; return nil }}, "tls-key", "client key for the node")
	fs.Var(&nodeFlag{f, "--tls-server-name", func(n *builder.Node, v string) error { nodeTLS(n).ServerName = v; return nil }}, "tls-server-name", "name to verify the node's certificate against")
	fs.BoolVar(&f.noCheck, "no-check", false, "store the builder without asking its nodes first")
	f.ext.register(fs, f)
}

// builder is NAME (the one argument) and the nodes, or the first mistake.
func (f *createFlags) builder(args []string) (builder.Builder, error) {
	if f.err != nil {
		return builder.Builder{}, f.err
	}
	switch {
	case len(args) == 0:
		return builder.Builder{}, errors.New("no NAME given")
	case len(args) > 1:
		return builder.Builder{}, fmt.Errorf("unexpected argument %q (one NAME)", args[1])
	}
	return builder.Builder{Name: args[0], Nodes: f.nodes}, nil
}

// nodeFlag is one flag of a node group: --node (set nil) appends a node,
// the others set on the last one.
type nodeFlag struct {
	f    *createFlags
	name string
	set  func(*builder.Node, string) error
}

func (v *nodeFlag) Set(value string) error {
	f := v.f
	if f.err != nil {
		return nil
	}
	if v.set == nil {
		f.nodes = append(f.nodes, builder.Node{Endpoint: value})
		return nil
	}
	if len(f.nodes) == 0 {
		f.err = fmt.Errorf("%s before any --node: node options follow the --node they belong to", v.name)
		return nil
	}
	f.err = v.set(&f.nodes[len(f.nodes)-1], value)
	return nil
}

func (v *nodeFlag) String() string { return "" }
func (v *nodeFlag) Type() string   { return "string" }

func setNodePlatforms(n *builder.Node, value string) error {
	ps, err := builder.ParsePlatforms(strings.FieldsFunc(value, func(r rune) bool { return r == ',' || r == ' ' }))
	if err != nil {
		return fmt.Errorf("%w: node %s: %w", builder.ErrInvalidBuilder, n.Endpoint, err)
	}
	n.Platforms = append(n.Platforms, ps...)
	return nil
}

func nodeTLS(n *builder.Node) *builder.TLSFiles {
	if n.TLS == nil {
		n.TLS = &builder.TLSFiles{}
	}
	return n.TLS
}

// renderUndeclared warns of declared platforms a node's workers do not
// list.
func renderUndeclared(w io.Writer, us []app.Undeclared) {
	for _, u := range us {
		fmt.Fprintf(w, "warning: node %s is declared for %s, but its workers run %s\n", u.Node, u.Platform, strings.Join(u.Runs, ", "))
	}
}

func newBuilderLsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "ls",
		Short: "List the named builders and their nodes",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := app.ListBuilders(appEnv())
			if err != nil {
				return err
			}
			renderBuilders(cmd.OutOrStdout(), l.Builders, l.Path, l.Default)
			return nil
		},
	}
}

func renderBuilders(w io.Writer, bs []builder.Builder, path, dflt string) {
	if len(bs) == 0 {
		fmt.Fprintf(w, "no named builders in %s; `multiarch build` uses $%s, else the embedded builder\n", path, builder.EnvBuildkitHost)
		fmt.Fprintln(w, "create one with `multiarch builder create NAME --node ENDPOINT [--platform P,...]`")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tNODE NAME\tNODE\tDECLARED PLATFORMS")
	for _, b := range bs {
		for i, n := range b.Nodes {
			name := b.Name
			if b.Name == dflt {
				name += " *"
			}
			if i > 0 {
				name = ""
			}
			decl := strings.Join(n.PlatformNames(), ",")
			if decl == "" {
				decl = "(workers' native)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", name, n.DisplayName(i), n.Endpoint, decl)
		}
	}
	tw.Flush()
	if dflt != "" {
		fmt.Fprintf(w, "* default builder (`multiarch builder use`)\n")
	}
}

func newBuilderRmCmd() *cobra.Command {
	var node string
	cmd := &cobra.Command{
		Use:   "rm NAME [--node NODE]",
		Short: "Remove a named builder, or one of its nodes (their daemons keep running)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if node != "" {
				return runRemoveNode(cmd, args[0], node)
			}
			if err := app.RemoveBuilder(appEnv(), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "builder %s removed\n", args[0])
			return nil
		},
	}
	cmd.Flags().StringVar(&node, "node", "", "remove only this node (its name or endpoint)")
	return cmd
}
