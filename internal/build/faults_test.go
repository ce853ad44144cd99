package build

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/multiarch-dev/multiarch/internal/registry"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// stallSlack is what a stalled push may take beyond its deadline: one
// watchdog tick, the solve's cancellation, the daemon's answer.
const stallSlack = 15 * time.Second

// TestPushStalled: the registry (behind the fault proxy) never answers a
// blob upload PUT, or the index PUT; BuildKit's pusher has no deadline,
// the watchdog cancels the solve after the registry deadline with no
// progress, and no tag exists afterwards.
func TestPushStalled(t *testing.T) {
	e := testenv.StartBuildkitd(t)
	dir := writeContext(t, map[string]string{"Dockerfile": scratchDockerfile, "hello.txt": "hi\n"})
	ps := testenv.Platforms(t, "linux/amd64", "linux/arm64")
	const deadline = 5 * time.Second
	for _, tc := range []struct{ name, path string }{
		{"blob upload PUT", `/blobs/uploads/`},
		{"index PUT", `/manifests/sha256:`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up := testenv.StartRegistry(t)
			proxy := testenv.StartFaultProxy(t, up)
			proxy.Inject(t, testenv.Fault{Kind: testenv.FaultHang, Method: http.MethodPut, Path: tc.path})
			tag := proxy.Ref("stall", "v1")
			var progress bytes.Buffer
			disp, err := NewDisplay(&progress, "plain")
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			_, err = buildAt(t.Context(), e.Address, Options{ContextDir: dir, Platforms: ps, Push: true, Tags: []string{tag},
				Display: disp, Registry: registry.Options{ResponseTimeout: deadline}})
			took := time.Since(start)
			t.Logf("took %v, error: %v\nprogress:\n%s\nrequests: %v", took, err, progress.String(), proxy.Requests())
			var stalled *PushStalledError
			if !errors.As(err, &stalled) || stalled.Registry != proxy.Host || stalled.Deadline != deadline {
				t.Fatalf("want a *PushStalledError for %s, got %v", proxy.Host, err)
			}
			if msg := err.Error(); !strings.Contains(msg, "stopped answering") || !strings.Contains(msg, "nothing was tagged") {
				t.Errorf("message: %s", msg)
			}
			if took < deadline || took > deadline+stallSlack {
				t.Errorf("took %v, want between %v and %v", took, deadline, deadline+stallSlack)
			}
			if proxy.Hits(http.MethodPut, tc.path) == 0 {
				t.Errorf("no PUT matched %s: the fault was not hit", tc.path)
			}
			testenv.CheckNotPushed(t, up.Ref("stall", "v1"))
		})
	}
}
