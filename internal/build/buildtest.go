package build

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/multiarch-dev/multiarch/internal/build/container"
	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/platform"
)

// TestFunc tests the solved images of one node before anything is
// exported (see Options.Test). A non-nil error fails the build: the
// exporter never runs, so nothing is pushed or written.
type TestFunc func(ctx context.Context, results []TestResult) error

// TestResult is one platform's solved, not yet exported, image.
type TestResult struct {
	Platform platform.Platform
	// Node is the endpoint of the node that built it (and runs its
	// containers).
	Node string
	// Native says the node runs the platform without emulation.
	Native bool
	// Container runs processes in containers of the image's root file
	// system with its configured environment, working directory and user.
	Container container.Container
}

// ErrNoResult says the frontend returned no image for a platform.
var ErrNoResult = errors.New("the build returned no image for the platform")

// testedSolve runs s's solve as a gateway build: the dockerfile.v0
// frontend is solved inside the session, o.Test runs on every platform's
// result, and the result goes to the exporter only when the test passes.
func testedSolve(ctx context.Context, s *nodeSolve, o Options, ch chan *client.SolveStatus) (*client.SolveResponse, error) {
	so := s.so
	req := gateway.SolveRequest{Frontend: so.Frontend, FrontendOpt: so.FrontendAttrs, Evaluate: true}
	for _, im := range so.CacheImports {
		req.CacheImports = append(req.CacheImports, gateway.CacheOptionsEntry{Type: im.Type, Attrs: im.Attrs})
	}
	so.Frontend = ""
	// The build func runs in this process; its errors reach us through
	// the daemon only as text, so keep the typed ones here.
	var inner error
	resp, err := s.c.Build(ctx, so, "multiarch", func(ctx context.Context, gc gateway.Client) (*gateway.Result, error) {
		res, err := gc.Solve(ctx, req)
		if err != nil {
			return nil, err
		}
		results, err := testResults(ctx, gc, res, s.a)
		if err == nil {
			err = o.Test(ctx, results)
		}
		if err == nil {
			err = s.gate.passed(ctx)
		}
		if err != nil {
			inner = err
			return nil, err
		}
		return res, nil
	}, ch)
	if inner != nil {
		return nil, inner
	}
	return resp, err
}

// testResults lends a container of every platform of res, in the order
// the node was asked to build them.
func testResults(ctx context.Context, gc gateway.Client, res *gateway.Result, a builder.Assignment) ([]TestResult, error) {
	ps, err := exptypes.ParsePlatforms(res.Metadata)
	if err != nil {
		return nil, fmt.Errorf("read the platforms of the result: %w", err)
	}
	byName := map[string]exptypes.Platform{}
	for _, p := range ps.Platforms {
		byName[platform.FormatOCI(p.Platform)] = p
	}
	out := make([]TestResult, 0, len(a.Platforms))
	for _, p := range a.Platforms {
		ep, ok := byName[p.String()]
		if !ok {
			return nil, fmt.Errorf("%s: %w", p, ErrNoResult)
		}
		ctr, err := resultContainer(ctx, gc, res, ep, p)
		if err != nil {
			return nil, err
		}
		out = append(out, TestResult{Platform: p, Node: a.Node.Endpoint, Native: !a.Emulated[p.String()], Container: ctr})
	}
	return out, nil
}

func resultContainer(ctx context.Context, gc gateway.Client, res *gateway.Result, ep exptypes.Platform, p platform.Platform) (container.Container, error) {
	ref, ok := res.Refs[ep.ID]
	if !ok && len(res.Refs) == 0 {
		ref, ok = res.Ref, res.Ref != nil
	}
	if !ok {
		return nil, fmt.Errorf("%s: %w", p, ErrNoResult)
	}
	var img ocispecs.Image
	if b := res.Metadata[exptypes.ExporterImageConfigKey+"/"+ep.ID]; len(b) > 0 {
		if err := json.Unmarshal(b, &img); err != nil {
			return nil, fmt.Errorf("%s: image config: %w", p, err)
		}
	}
	return container.FromReference(ctx, gc, ref, p, img.Config)
}

// testGate holds every node's export until every node's test passed: a
// node whose test passes first must not push while another's fails (the
// failure cancels the waiting nodes, which then export nothing).
type testGate struct {
	left int
	mu   sync.Mutex
	all  chan struct{}
}

func newTestGate(nodes int) *testGate {
	return &testGate{left: nodes, all: make(chan struct{})}
}

// passed records one node's passing test and waits for the others' (or
// for ctx: another node failed, or the build was cancelled). A nil gate
// does not wait.
func (g *testGate) passed(ctx context.Context) error {
	if g == nil {
		return nil
	}
	g.mu.Lock()
	if g.left--; g.left == 0 {
		close(g.all)
	}
	g.mu.Unlock()
	select {
	case <-g.all:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
