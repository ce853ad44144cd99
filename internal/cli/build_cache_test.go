package cli

import (
	"errors"
	"fmt"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/build"
)

// TestGHAFromEnv: a gha cache takes token and URLs from the runner's
// variables as buildx does, unless its attributes name them; other types
// are left alone.
func TestGHAFromEnv(t *testing.T) {
	t.Setenv("ACTIONS_RUNTIME_TOKEN", "tok")
	t.Setenv("ACTIONS_CACHE_URL", "https://cache/")
	t.Setenv("ACTIONS_RESULTS_URL", "https://results/")
	t.Setenv("ACTIONS_CACHE_SERVICE_V2", "true")
	var o build.Options
	if err := cacheOptions([]string{"type=gha,scope=a,token=mine"}, []string{"type=gha,scope=a", "type=local,dest=" + t.TempDir()}, &o); err != nil {
		t.Fatal(err)
	}
	if a := o.CacheFrom[0].Attrs; a["token"] != "mine" || a["url"] != "https://cache/" || a["url_v2"] != "https://results/" {
		t.Errorf("from %v", a)
	}
	if a := o.CacheTo[0].Attrs; a["token"] != "tok" || a["scope"] != "a" {
		t.Errorf("to %v", a)
	}
	if _, ok := o.CacheTo[1].Attrs["token"]; ok {
		t.Errorf("a local cache got a token: %v", o.CacheTo[1].Attrs)
	}
}

// TestCacheNetExitCodes: a node that does not grant an entitlement and a
// cache backend BuildKit refuses are configuration errors (exit 2): the
// same command fails again until the builder or the attributes change.
func TestCacheNetExitCodes(t *testing.T) {
	for _, err := range []error{
		fmt.Errorf("node: %w", &build.EntitlementError{Node: "tcp://n:1", Entitlement: "network.host", Err: errors.New("refused")}),
		fmt.Errorf("node: %w", &build.CacheBackendError{Type: "gha", Err: errors.New("token not set")}),
		fmt.Errorf("--cache-to: %w", build.ErrInvalidOptions),
	} {
		if got := ExitCode(err); got != ExitUsage {
			t.Errorf("%v: exit %d, want %d", err, got, ExitUsage)
		}
	}
}
