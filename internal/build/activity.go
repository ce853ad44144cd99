package build

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	controlapi "github.com/moby/buildkit/api/services/control"
	bkclient "github.com/moby/buildkit/client"
)

// Activity is what one buildkitd says it has done: the build sessions it
// completed (its build history) and the image references its cache holds
// layers pulled from. Tests use it to prove which node did which work from
// the daemon's own records rather than from multiarch's output.
type Activity struct {
	Sessions   int
	PulledFrom []string
}

// DaemonActivity asks the buildkitd at address for its Activity.
func DaemonActivity(ctx context.Context, address string) (*Activity, error) {
	c, err := bkclient.New(ctx, address)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", address, err)
	}
	defer c.Close()
	a := &Activity{}
	if a.Sessions, err = completedSessions(ctx, c); err != nil {
		return nil, fmt.Errorf("build history of %s: %w", address, err)
	}
	du, err := c.DiskUsage(ctx)
	if err != nil {
		return nil, fmt.Errorf("disk usage of %s: %w", address, err)
	}
	for _, u := range du {
		if ref, ok := strings.CutPrefix(u.Description, "pulled from "); ok && !slices.Contains(a.PulledFrom, ref) {
			a.PulledFrom = append(a.PulledFrom, ref)
		}
	}
	return a, nil
}

func completedSessions(ctx context.Context, c *bkclient.Client) (int, error) {
	cl, err := c.ControlClient().ListenBuildHistory(ctx, &controlapi.BuildHistoryRequest{EarlyExit: true})
	if err != nil {
		return 0, err
	}
	n := 0
	for {
		ev, err := cl.Recv()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return 0, err
		}
		if ev.Record != nil && ev.Record.CompletedAt != nil {
			n++
		}
	}
}
