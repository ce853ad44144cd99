package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/multiarch-dev/multiarch/internal/builder"
)

// CreateOptions configure builder create.
type CreateOptions struct {
	// Env is the environment: the store's config dir.
	Env Env
	// Builder is the builder to store.
	Builder builder.Builder
	// NoCheck stores it without asking its nodes first.
	NoCheck bool
}

// CreateReport is what CreateBuilder found and did.
type CreateReport struct {
	// Path is the store's file.
	Path string
	// Undeclared are platforms a node was declared for but its workers
	// do not list (a warning: the node may still build them).
	Undeclared []Undeclared
	// Nodes is the builder's node count after an append (AppendNodes).
	Nodes int
}

// Undeclared is one declared platform a node's workers do not run.
type Undeclared struct {
	Node     string
	Platform string
	Runs     []string
}

// CreateBuilder stores o.Builder under its name after asking every node
// for its workers (unless o.NoCheck): a name in use is a
// *builder.DuplicateBuilderError, nodes that fail the check are a
// *NodeCheckError and nothing is stored. The report is returned with a
// *NodeCheckError too: its warnings are about the nodes that answered.
func CreateBuilder(ctx context.Context, o CreateOptions) (*CreateReport, error) {
	b := o.Builder
	if err := b.Validate(); err != nil {
		return nil, err
	}
	if err := checkReservedName(b.Name); err != nil {
		return nil, err
	}
	s := store(o.Env)
	rep := &CreateReport{Path: s.Path()}
	if _, err := s.Get(b.Name); err == nil {
		return nil, &builder.DuplicateBuilderError{Name: b.Name}
	}
	if err := checkNodes(ctx, o, rep); err != nil {
		return rep, err
	}
	return rep, s.Create(b)
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

// undeclared are n's declared platforms its workers do not list.
func undeclared(n builder.Node, st *builder.NodeStatus) []Undeclared {
	var out []Undeclared
	for _, p := range n.PlatformNames() {
		if !slices.Contains(st.Platforms(), p) {
			out = append(out, Undeclared{Node: n.Endpoint, Platform: p, Runs: st.Platforms()})
		}
	}
	return out
}

// probeNodes asks every node at once.
func probeNodes(ctx context.Context, nodes []builder.Node) []NodeState {
	out := make([]NodeState, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Go(func() {
			st, err := builder.ProbeNode(ctx, n)
			out[i] = NodeState{Node: n, Status: st, Err: err}
		})
	}
	wg.Wait()
	return out
}

// BuilderList is the store's builders and where it keeps them.
type BuilderList struct {
	Builders []builder.Builder
	Path     string
	// Default is the builder `builder use` made the default ("": none).
	Default string
}

// ListBuilders lists the named builders of the environment's store.
func ListBuilders(env Env) (*BuilderList, error) {
	s := store(env)
	bs, err := s.List()
	if err != nil {
		return nil, err
	}
	d, err := s.Default()
	if err != nil {
		return nil, err
	}
	return &BuilderList{Builders: bs, Path: s.Path(), Default: d}, nil
}

// RemoveBuilder removes the named builder (a *builder.UnknownBuilderError
// when there is none); its daemons keep running.
func RemoveBuilder(env Env, name string) error {
	return store(env).Remove(name)
}

// checkNodes probes every node of o.Builder (unless o.NoCheck), noting on
// rep the platforms a node runs that were not declared; any node that
// does not answer fails it with a *NodeCheckError.
func checkNodes(ctx context.Context, o CreateOptions, rep *CreateReport) error {
	if o.NoCheck {
		return nil
	}
	var errs []error
	for _, st := range probeNodes(ctx, o.Builder.Nodes) {
		if st.Err != nil {
			errs = append(errs, nodeError(st.Node, st.Err))
			continue
		}
		rep.Undeclared = append(rep.Undeclared, undeclared(st.Node, st.Status)...)
	}
	if err := errors.Join(errs...); err != nil {
		return &NodeCheckError{Name: o.Builder.Name, Err: err}
	}
	return nil
}
