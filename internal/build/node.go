package build

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/util/grpcerrors"
	"google.golang.org/grpc/codes"
)

// EnvBuildkitHost names the environment variable that addresses a builder
// (as in buildctl): "unix:///path/to/socket" or "tcp://host:port".
const EnvBuildkitHost = "BUILDKIT_HOST"

// ProbeTimeout bounds how long Probe waits for a builder to answer.
const ProbeTimeout = 5 * time.Second

// AddressFromEnv returns $BUILDKIT_HOST and whether it is set.
func AddressFromEnv() (string, bool) {
	a := os.Getenv(EnvBuildkitHost)
	return a, a != ""
}

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
// not answer within ProbeTimeout is an *UnreachableError.
func Probe(ctx context.Context, address string) (*NodeStatus, error) {
	c, err := connect(ctx, address)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return probeClient(ctx, c, address)
}

func connect(ctx context.Context, address string) (*client.Client, error) {
	return connectNode(ctx, Node{Endpoint: address})
}

func probeClient(ctx context.Context, c *client.Client, address string) (*NodeStatus, error) {
	ctx, cancel := context.WithTimeout(ctx, ProbeTimeout)
	defer cancel()
	ws, err := c.ListWorkers(ctx)
	if err != nil {
		switch grpcerrors.Code(err) {
		case codes.Unavailable, codes.DeadlineExceeded:
			return nil, &UnreachableError{Address: address, Err: err}
		}
		return nil, fmt.Errorf("list workers of %s: %w", address, err)
	}
	st := &NodeStatus{Address: address, Reachable: true}
	for _, w := range ws {
		wk := Worker{ID: w.ID}
		for _, p := range w.Platforms {
			wk.Platforms = append(wk.Platforms, platforms.Format(platforms.Normalize(p)))
		}
		st.Workers = append(st.Workers, wk)
		if st.Version == "" {
			st.Version = w.BuildkitVersion.Version
		}
	}
	return st, nil
}
