package app

import (
	"context"
	"fmt"

	"github.com/multiarch-dev/multiarch/internal/builder"
)

// AppendNodes adds o.Builder's nodes to the stored builder of its name
// (`builder create --append`), after asking them for their workers
// (unless o.NoCheck) as CreateBuilder does. The report's Nodes is the
// builder's node count afterwards.
func AppendNodes(ctx context.Context, o CreateOptions) (*CreateReport, error) {
	b := o.Builder
	s := store(o.Env)
	rep := &CreateReport{Path: s.Path()}
	if _, err := s.Get(b.Name); err != nil {
		return nil, err
	}
	if len(b.Nodes) == 0 {
		return nil, fmt.Errorf("%w: --append %s: no --node given", builder.ErrInvalidBuilder, b.Name)
	}
	if err := checkNodes(ctx, o, rep); err != nil {
		return rep, err
	}
	stored, err := s.Append(b.Name, b.Nodes)
	if err != nil {
		return rep, err
	}
	rep.Nodes = len(stored.Nodes)
	return rep, nil
}

// RemoveNode removes one node (by name or endpoint) from a named builder;
// its daemon keeps running.
func RemoveNode(env Env, name, node string) error {
	return store(env).RemoveNode(name, node)
}

// checkReservedName refuses a builder named like the embedded builder,
// which --builder and $MULTIARCH_BUILDER take to mean that one.
func checkReservedName(name string) error {
	if name == builder.EmbeddedName {
		return fmt.Errorf("%w: name %q is the embedded builder's (`--builder %s` picks it); choose another name", builder.ErrInvalidBuilder, name, name)
	}
	return nil
}
