package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/spf13/cobra"
)

const createUsage = `create NAME --node ENDPOINT [--platform P,...] [--tls-ca F] [--tls-cert F --tls-key F] [--tls-server-name N]
                [--node ENDPOINT ...] [--no-check]`

func newBuilderCreateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   createUsage,
		Short: "Store a named builder of one or more BuildKit nodes",
		Long: `Store builder NAME in ` + "`builders.json`" + ` of the config directory ($` + builder.EnvConfigDir + `, else
/etc/multiarch as root, else $XDG_CONFIG_HOME/multiarch). Every --node starts a node; the
--platform and --tls-* flags after it belong to that node:

  --node ENDPOINT          unix:///path/to/buildkitd.sock or tcp://host:port
  --platform P,...         platforms the node runs natively (default: its workers' first)
  --tls-ca F               CA certificate of a tcp:// node (default: the system's)
  --tls-cert F, --tls-key F  client certificate and key
  --tls-server-name N      name to verify the node's certificate against

Every node is asked for its workers first; an unreachable node is refused unless --no-check.
` + "`multiarch build --builder NAME`" + ` sends each platform to a node that runs it natively, else
to one that emulates it.`,
		// Node groups are order-sensitive, which pflag does not keep.
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if slices.Contains(args, "--help") || slices.Contains(args, "-h") {
				return cmd.Help()
			}
			b, check, err := parseCreateArgs(args)
			if err != nil {
				return fmt.Errorf("builder create: %w\nusage: multiarch builder %s", err, createUsage)
			}
			return runBuilderCreate(cmd, b, check)
		},
	}
}

// parseCreateArgs reads NAME and the node groups in order.
func parseCreateArgs(args []string) (b builder.Builder, check bool, err error) {
	check = true
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if !strings.HasPrefix(arg, "-") {
			if b.Name != "" {
				return b, check, fmt.Errorf("unexpected argument %q (one NAME)", arg)
			}
			b.Name = arg
			continue
		}
		flag, value, inline := strings.Cut(arg, "=")
		if flag == "--no-check" {
			check = false
			continue
		}
		if !inline {
			if i+1 >= len(args) {
				return b, check, fmt.Errorf("%s needs a value", flag)
			}
			i++
			value = args[i]
		}
		if err := applyNodeFlag(&b, flag, value); err != nil {
			return b, check, err
		}
	}
	if b.Name == "" {
		return b, check, errors.New("no NAME given")
	}
	return b, check, nil
}

func applyNodeFlag(b *builder.Builder, flag, value string) error {
	if flag == "--node" {
		b.Nodes = append(b.Nodes, builder.Node{Endpoint: value})
		return nil
	}
	if len(b.Nodes) == 0 {
		return fmt.Errorf("%s before any --node: node options follow the --node they belong to", flag)
	}
	n := &b.Nodes[len(b.Nodes)-1]
	tls := func() *builder.TLSFiles {
		if n.TLS == nil {
			n.TLS = &builder.TLSFiles{}
		}
		return n.TLS
	}
	switch flag {
	case "--platform":
		ps, err := builder.ParsePlatforms(strings.FieldsFunc(value, func(r rune) bool { return r == ',' || r == ' ' }))
		if err != nil {
			return fmt.Errorf("%w: node %s: %w", builder.ErrInvalidBuilder, n.Endpoint, err)
		}
		n.Platforms = append(n.Platforms, ps...)
	case "--tls-ca":
		tls().CA = value
	case "--tls-cert":
		tls().Cert = value
	case "--tls-key":
		tls().Key = value
	case "--tls-server-name":
		tls().ServerName = value
	default:
		return fmt.Errorf("unknown flag %s", flag)
	}
	return nil
}

func runBuilderCreate(cmd *cobra.Command, b builder.Builder, check bool) error {
	if err := b.Validate(); err != nil {
		return err
	}
	store := builderStore()
	if _, err := store.Get(b.Name); err == nil {
		return fmt.Errorf("%w\nremove it first (`multiarch builder rm %s`) or choose another name", &builder.DuplicateBuilderError{Name: b.Name}, b.Name)
	}
	if check {
		sts := probeNodes(cmd.Context(), b.Nodes)
		var errs []error
		for i, st := range sts {
			if st.err != nil {
				errs = append(errs, nodeError(b.Nodes[i], st.err))
				continue
			}
			warnUndeclared(cmd.ErrOrStderr(), b.Nodes[i], st.NodeStatus)
		}
		if err := errors.Join(errs...); err != nil {
			return explainCreateError(err)
		}
	}
	if err := store.Create(b); err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "builder %s created with %d node(s) in %s\n", b.Name, len(b.Nodes), store.Path())
	return nil
}

// nodeError names the node whose probe failed with err, and says it is
// not reachable unless it answered: a TLS error names the node itself, and
// TLS files that do not load are the builder's fault.
func nodeError(n builder.Node, err error) error {
	var tlsErr *builder.NodeTLSError
	if errors.As(err, &tlsErr) || errors.Is(err, builder.ErrInvalidBuilder) {
		return err
	}
	return fmt.Errorf("node %s is not reachable: %w", n.Endpoint, err)
}

// explainCreateError says what to do about the nodes that failed the
// check of builder create: a node that answered but failed TLS gets what
// to check in its TLS files, one that did not answer to be started.
func explainCreateError(err error) error {
	var (
		tlsErr      *builder.NodeTLSError
		unreachable *builder.UnreachableError
		advice      []string
	)
	if errors.As(err, &tlsErr) {
		advice = append(advice, tlsErr.Hint(), "fix the node's --tls-* options, or pass --no-check to store the builder anyway")
	}
	if errors.As(err, &unreachable) {
		advice = append(advice, "start its buildkitd, check the endpoint, or pass --no-check to store the builder anyway")
	}
	if len(advice) == 0 {
		return err
	}
	return fmt.Errorf("%w\n%s", err, strings.Join(advice, "\n"))
}

// warnUndeclared notes declared platforms the node's workers do not list.
func warnUndeclared(w io.Writer, n builder.Node, st *builder.NodeStatus) {
	for _, p := range n.PlatformNames() {
		if !slices.Contains(st.Platforms(), p) {
			fmt.Fprintf(w, "warning: node %s is declared for %s, but its workers run %s\n", n.Endpoint, p, strings.Join(st.Platforms(), ", "))
		}
	}
}

// probed is one node's answer.
type probed struct {
	*builder.NodeStatus
	err error
}

// probeNodes asks every node at once.
func probeNodes(ctx context.Context, nodes []builder.Node) []probed {
	out := make([]probed, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Go(func() {
			st, err := builder.ProbeNode(ctx, n)
			out[i] = probed{st, err}
		})
	}
	wg.Wait()
	return out
}

func newBuilderLsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "ls",
		Short: "List the named builders and their nodes",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store := builderStore()
			bs, err := store.List()
			if err != nil {
				return err
			}
			renderBuilders(cmd.OutOrStdout(), bs, store.Path())
			return nil
		},
	}
}

func renderBuilders(w io.Writer, bs []builder.Builder, path string) {
	if len(bs) == 0 {
		fmt.Fprintf(w, "no named builders in %s; `multiarch build` uses $%s, else the embedded builder\n", path, builder.EnvBuildkitHost)
		fmt.Fprintln(w, "create one with `multiarch builder create NAME --node ENDPOINT [--platform P,...]`")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tNODE\tDECLARED PLATFORMS")
	for _, b := range bs {
		for i, n := range b.Nodes {
			name := b.Name
			if i > 0 {
				name = ""
			}
			decl := strings.Join(n.PlatformNames(), ",")
			if decl == "" {
				decl = "(workers' native)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", name, n.Endpoint, decl)
		}
	}
	tw.Flush()
}

func newBuilderRmCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "rm NAME",
		Short: "Remove a named builder (its daemons keep running)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := builderStore().Remove(args[0]); err != nil {
				return explainBuilderError(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "builder %s removed\n", args[0])
			return nil
		},
	}
}

// namedStatus reports every node of builder name; any unreachable node
// makes it ErrChecksFailed, after the report.
func namedStatus(cmd *cobra.Command, name string) error {
	b, err := builderStore().Get(name)
	if err != nil {
		return explainBuilderError(err)
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "builder:    %s (%d node(s))\n", b.Name, len(b.Nodes))
	var errs []error
	for i, p := range probeNodes(cmd.Context(), b.Nodes) {
		n := b.Nodes[i]
		fmt.Fprintf(w, "\nnode %d:     %s\n", i, n.Endpoint)
		if p.err != nil {
			errs = append(errs, p.err)
			fmt.Fprintf(w, "state:      %s\n", nodeState(p.err))
			continue
		}
		fmt.Fprintf(w, "state:      running\nbuildkit:   %s\n", p.Version)
		native := strings.Join(builder.NativePlatforms(n, p.NodeStatus), ", ")
		if len(n.Platforms) > 0 {
			native += " (declared)"
		}
		fmt.Fprintf(w, "native:     %s\n", native)
		for _, wk := range p.Workers {
			fmt.Fprintf(w, "worker %s: %s\n", shortID(wk.ID), strings.Join(wk.Platforms, ", "))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	err = errors.Join(errs...)
	var (
		tlsErr      *builder.NodeTLSError
		unreachable *builder.UnreachableError
	)
	if errors.As(err, &tlsErr) {
		fmt.Fprintf(w, "\n%s\nto change a node's TLS options: `multiarch builder rm %s` and `create` again\n", tlsErr.Hint(), b.Name)
	}
	if errors.As(err, &unreachable) {
		fmt.Fprintln(w, "\nstart the unreachable nodes' buildkitd (or fix their endpoint: `multiarch builder rm` and `create` again)")
	}
	return ErrChecksFailed
}

// nodeState is the state line of a node whose probe failed with err.
func nodeState(err error) string {
	var (
		tlsErr      *builder.NodeTLSError
		unreachable *builder.UnreachableError
	)
	switch {
	case errors.As(err, &tlsErr):
		return "TLS failed: " + tlsErr.Problem
	case errors.As(err, &unreachable):
		return fmt.Sprintf("not reachable: %v", err)
	}
	return fmt.Sprintf("error: %v", err)
}

// explainBuilderError adds what to do next to the store's typed errors.
func explainBuilderError(err error) error {
	var unknown *builder.UnknownBuilderError
	if errors.As(err, &unknown) {
		return fmt.Errorf("%w\nsee `multiarch builder ls`, or create it with `multiarch builder create %s --node ENDPOINT`", err, unknown.Name)
	}
	return err
}
