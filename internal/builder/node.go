package builder

import (
	"context"
	"fmt"
	"time"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/util/grpcerrors"
	"google.golang.org/grpc/codes"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

// EnvBuildkitHost names the environment variable that addresses a builder
// (as in buildctl): "unix:///path/to/socket" or "tcp://host:port". The
// package never reads it: the command line does, and passes the address.
const EnvBuildkitHost = "BUILDKIT_HOST"

// ProbeTimeout bounds how long Probe waits for a builder to answer.
const ProbeTimeout = 5 * time.Second

// Worker is one BuildKit worker of a builder and the platforms it builds
// (normalised "os/arch[/variant]"), as the daemon itself reports them.
type Worker struct {
	ID        string
	Platforms []string
}

// NodeStatus is what a builder says about itself.
type NodeStatus struct {
	Address   string
	Reachable bool
	// Version is the BuildKit version of the daemon.
	Version string
	Workers []Worker
	// PID, StateDir and LogFile are set for the embedded builder only
	// (PID 0 when it does not run).
	PID      int
	StateDir string
	LogFile  string
}

// Platforms returns the platforms of all workers, without duplicates.
func (s *NodeStatus) Platforms() []string {
	var out []string
	seen := map[string]bool{}
	for _, w := range s.Workers {
		for _, p := range w.Platforms {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// Probe asks the builder at address for its workers. A builder that does
// not answer within ProbeTimeout is an *UnreachableError; a tcp:// one
// that answers in TLS is a *NodeTLSError.
func Probe(ctx context.Context, address string) (*NodeStatus, error) {
	return ProbeNode(ctx, Node{Endpoint: address})
}

// probeClient asks node n, through its client c, for its workers. A node
// that does not answer is an *UnreachableError, unless it is a tcp:// node
// whose TLS (or lack of it) is the reason: a *NodeTLSError.
func probeClient(ctx context.Context, c *client.Client, n Node) (*NodeStatus, error) {
	lctx, cancel := context.WithTimeout(ctx, ProbeTimeout)
	defer cancel()
	ws, err := c.ListWorkers(lctx)
	if err != nil {
		switch grpcerrors.Code(err) {
		case codes.Unavailable:
			if terr := checkTLS(ctx, n, err); terr != nil {
				return nil, terr
			}
			return nil, &UnreachableError{Address: n.Endpoint, Err: err}
		case codes.DeadlineExceeded:
			return nil, &UnreachableError{Address: n.Endpoint, TimedOut: true, Err: err}
		}
		return nil, fmt.Errorf("list workers of %s: %w", n.Endpoint, err)
	}
	st := &NodeStatus{Address: n.Endpoint, Reachable: true}
	for _, w := range ws {
		wk := Worker{ID: w.ID}
		for _, p := range w.Platforms {
			wk.Platforms = append(wk.Platforms, platform.FormatOCI(p))
		}
		st.Workers = append(st.Workers, wk)
		if st.Version == "" {
			st.Version = w.BuildkitVersion.Version
		}
	}
	return st, nil
}

// ConnectionLost reports whether err, the failure of a call to a builder
// made under ctx, says the connection to the builder broke (gRPC
// Unavailable: the daemon went away mid-call; or Canceled though ctx was
// not, which a transport closed under the call reports) rather than the
// builder refusing or the caller cancelling.
func ConnectionLost(ctx context.Context, err error) bool {
	if err == nil {
		return false
	}
	switch grpcerrors.Code(err) {
	case codes.Unavailable:
		return true
	case codes.Canceled:
		return ctx.Err() == nil
	}
	return false
}
