package build

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/build/container"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// TestBuildTestHookTwoNodes runs Options.Test on two nodes: each node's
// results arrive in its own session, with containers of the built image;
// a failing test on one node leaves no tag.
func TestBuildTestHookTwoNodes(t *testing.T) {
	testenv.LockHostBinfmt(t)
	_, _, nodes := twoNodes(t)
	ps := testenv.Platforms(t, "linux/amd64", "linux/arm64", "linux/s390x")
	reg, base := registryWithBase(t, ps)
	opts := Options{
		ContextDir: filepath.Join(testenv.RepoRoot(t), "examples", "hello"),
		Platforms:  ps, Push: true, BuildArgs: map[string]string{"BASE": base},
	}

	var mu sync.Mutex
	seen := map[string]string{} // platform → node
	builtOn := map[string]string{}
	opts.Tags = []string{reg.Ref("hello", "tested")}
	opts.Test = func(ctx context.Context, rs []TestResult) error {
		for _, r := range rs {
			c, release := container.Shared(ctx, r.Container)
			// Shared: the second run sees the first one's write.
			if _, err := c.Run(ctx, container.Process{Args: []string{"sh", "-c", "cat /built-on > /seen"}}); err != nil {
				release()
				return err
			}
			res, err := c.Run(ctx, container.Process{Args: []string{"cat", "/seen"}})
			release()
			if err != nil {
				return err
			}
			mu.Lock()
			seen[r.Platform.String()], builtOn[r.Platform.String()] = r.Node, strings.TrimSpace(string(res.Stdout))
			mu.Unlock()
		}
		return nil
	}
	if _, err := BuildOn(t.Context(), nodes, opts); err != nil {
		t.Fatal(err)
	}
	if seen["linux/arm64"] != nodes[0].Endpoint || seen["linux/amd64"] != nodes[1].Endpoint || seen["linux/s390x"] != nodes[1].Endpoint {
		t.Errorf("each platform must be tested on the node that built it: %v", seen)
	}
	if builtOn["linux/arm64"] != "aarch64" || builtOn["linux/s390x"] != "s390x" || builtOn["linux/amd64"] != "x86_64" {
		t.Errorf("containers of the results: %v", builtOn)
	}

	errNo := errors.New("arm64 says no")
	opts.Tags = []string{reg.Ref("refused", "v1")} // a repository of its own: requireNoTag lists it
	opts.Test = func(ctx context.Context, rs []TestResult) error {
		if slices.ContainsFunc(rs, func(r TestResult) bool { return r.Platform.Arch == "arm64" }) {
			return errNo
		}
		return nil
	}
	_, err := BuildOn(t.Context(), nodes, opts)
	var nbe *NodeBuildError
	if !errors.Is(err, errNo) || !errors.As(err, &nbe) || nbe.Node != nodes[0].Endpoint {
		t.Fatalf("want the test's own error from the arm node, got %v", err)
	}
	testenv.CheckNotPushed(t, opts.Tags[0])
}
