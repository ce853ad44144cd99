package builder

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"

	"github.com/moby/buildkit/client"
)

// ErrInvalidBuilder is wrapped by errors of Builder.Validate.
var ErrInvalidBuilder = errors.New("invalid builder")

// Conditions of an invalid builder that come with ErrInvalidBuilder.
var (
	// ErrNoNode: the builder has no node.
	ErrNoNode = errors.New("no node")
	// ErrHalfKeyPair: a node has a client certificate without its key,
	// or a key without its certificate.
	ErrHalfKeyPair = errors.New("the client certificate and its key go together")
)

// Validate checks the name, every endpoint and TLS option, without
// contacting any node (declared platforms are parsed already: see
// ParsePlatforms).
func (b *Builder) Validate() error {
	if !builderName.MatchString(b.Name) {
		return fmt.Errorf("%w: name %q: use letters, digits, '.', '_' and '-' (up to 63, starting with a letter or digit)", ErrInvalidBuilder, b.Name)
	}
	if len(b.Nodes) == 0 {
		return fmt.Errorf("%w: %s has %w", ErrInvalidBuilder, b.Name, ErrNoNode)
	}
	seen := map[string]bool{}
	for i := range b.Nodes {
		n := &b.Nodes[i]
		if err := n.validate(); err != nil {
			return fmt.Errorf("%w: node %s: %w", ErrInvalidBuilder, n.Endpoint, err)
		}
		if seen[n.Endpoint] {
			return fmt.Errorf("%w: node %s given twice", ErrInvalidBuilder, n.Endpoint)
		}
		seen[n.Endpoint] = true
	}
	return b.validateNodeNames()
}

func (n *Node) validate() error {
	u, err := url.Parse(n.Endpoint)
	if err != nil {
		return err
	}
	switch u.Scheme {
	case "unix":
		if u.Path == "" {
			return errors.New("unix:// endpoint without a socket path")
		}
		if n.TLS != nil {
			return errors.New("TLS options need a tcp:// endpoint")
		}
	case "tcp":
		if u.Host == "" || u.Port() == "" {
			return errors.New("tcp:// endpoint needs host:port")
		}
	default:
		return fmt.Errorf("scheme %q: want unix:// or tcp://", u.Scheme)
	}
	if t := n.TLS; t != nil {
		if (t.Cert == "") != (t.Key == "") {
			return ErrHalfKeyPair
		}
		for _, f := range []string{t.CA, t.Cert, t.Key} {
			if f == "" {
				continue
			}
			if _, err := os.Stat(f); err != nil {
				return err
			}
		}
	}
	return nil
}

// clientOpts are the BuildKit client options that reach n.
func (n Node) clientOpts() []client.ClientOpt {
	t := n.TLS
	if t == nil {
		return nil
	}
	var opts []client.ClientOpt
	if t.CA != "" {
		opts = append(opts, client.WithServerConfig(t.ServerName, t.CA))
	} else {
		opts = append(opts, client.WithServerConfigSystem(t.ServerName))
	}
	if t.Cert != "" {
		opts = append(opts, client.WithCredentials(t.Cert, t.Key))
	}
	return opts
}

// connectNode opens a client to n; it does not wait for an answer. TLS
// files that do not load are an ErrInvalidBuilder error, not a node that
// does not answer.
func connectNode(ctx context.Context, n Node) (*client.Client, error) {
	if n.TLS != nil {
		if _, err := tlsConfig(n); err != nil {
			return nil, fmt.Errorf("%w: node %s: %w", ErrInvalidBuilder, n.Endpoint, err)
		}
	}
	c, err := client.New(ctx, n.Endpoint, n.clientOpts()...)
	if err != nil {
		return nil, &UnreachableError{Address: n.Endpoint, Err: err}
	}
	return c, nil
}

// ProbeNode asks node n for its workers, like Probe, over n's TLS options:
// a node that answers but whose TLS does not match them is a
// *NodeTLSError.
func ProbeNode(ctx context.Context, n Node) (*NodeStatus, error) {
	c, err := connectNode(ctx, n)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return probeClient(ctx, c, n)
}

// NativePlatforms are the platforms n builds without emulation: its
// declared platforms, else the first platform of its first worker (BuildKit
// lists the daemon's own platform first).
func NativePlatforms(n Node, st *NodeStatus) []string {
	if len(n.Platforms) > 0 {
		return platformNames(n.Platforms)
	}
	if st != nil {
		for _, w := range st.Workers {
			if len(w.Platforms) > 0 {
				return w.Platforms[:1]
			}
		}
	}
	return nil
}
