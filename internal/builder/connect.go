package builder

import (
	"context"
	"errors"
	"fmt"

	"github.com/moby/buildkit/client"
	"golang.org/x/sync/errgroup"
)

// Conns are the open clients of a builder's nodes and what each said
// about itself: Clients[i] and Statuses[i] belong to the i-th node.
type Conns struct {
	Clients  []*client.Client
	Statuses []*NodeStatus
}

// Connect connects to and probes every node at once, each over its TLS
// options. Every node that does not answer is reported (an
// *UnreachableError or *NodeTLSError each, joined). Close the result when
// done; a caller that keeps a client sets its entry to nil first.
func Connect(ctx context.Context, nodes []Node) (*Conns, error) {
	if len(nodes) == 0 {
		return nil, fmt.Errorf("%w: no builder node", ErrInvalidBuilder)
	}
	cs := &Conns{Clients: make([]*client.Client, len(nodes)), Statuses: make([]*NodeStatus, len(nodes))}
	errs := make([]error, len(nodes))
	var eg errgroup.Group
	for i, n := range nodes {
		eg.Go(func() error {
			c, err := connectNode(ctx, n)
			if err != nil {
				errs[i] = err
				return nil
			}
			cs.Clients[i] = c
			cs.Statuses[i], errs[i] = probeClient(ctx, c, n)
			return nil
		})
	}
	_ = eg.Wait()
	if err := errors.Join(errs...); err != nil {
		cs.Close()
		return nil, err
	}
	return cs, nil
}

// Close closes every client still held.
func (cs *Conns) Close() {
	for _, c := range cs.Clients {
		if c != nil {
			c.Close()
		}
	}
}
