package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1"

	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// layerOf is the digest of the first layer of idx's entry for p.
func layerOf(t *testing.T, idx v1.ImageIndex, p string) string {
	t.Helper()
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range im.Manifests {
		if d.Platform == nil || d.Platform.OS+"/"+d.Platform.Architecture != p {
			continue
		}
		img, err := idx.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		ls, err := img.Layers()
		if err != nil || len(ls) == 0 {
			t.Fatalf("%s: layers %v", p, err)
		}
		h, err := ls[0].Digest()
		if err != nil {
			t.Fatal(err)
		}
		return h.String()
	}
	t.Fatalf("no %s entry", p)
	return ""
}

// TestCellTimeoutCoversPullE2E: a registry that sends a layer's headers
// and then stalls its body holds the builder's pull; --cell-timeout ends
// that cell with what it was waiting on, the next cell still runs (the
// builder lets the stalled fetch go), and the command ends within the
// deadline plus the other cell. One cell at a time: while the stalled
// fetch lasts, BuildKit may hold another cell's lazy layer fetch from
// the same registry behind it, which then times out the same way.
func TestCellTimeoutCoversPullE2E(t *testing.T) {
	testenv.LockHostBinfmt(t)
	startCLIBuilder(t)
	reg := testenv.StartRegistry(t)
	proxy := testenv.StartFaultProxy(t, reg)
	ps := testenv.Platforms(t, "linux/amd64", "linux/arm64")
	idx := testenv.BusyboxIndex(t, ps...)
	testenv.PushIndex(t, reg.Ref("busybox", "stall"), idx)
	layer := layerOf(t, idx, "linux/amd64")
	proxy.Inject(t, testenv.Fault{Kind: testenv.FaultStallBody, Method: "GET", Path: "/blobs/" + layer + "$", AfterBytes: 1000})

	const timeout = 8 * time.Second
	start := time.Now()
	r, res := runJSON[struct {
		Passed bool
		Failed int
		Cells  []struct {
			Platform, Error string
			Passed          bool
		}
	}](t, cliRun{args: []string{"test", "--json", "--parallel", "1", "--cell-timeout", timeout.String(), proxy.Ref("busybox", "stall"), "--", "sh", "-c", "echo hi"}, timeout: 2 * time.Minute})
	elapsed := time.Since(start)
	if res.code != 1 || r.Passed || r.Failed != 1 || len(r.Cells) != 2 {
		t.Fatalf("want exit 1 and one failed cell of two, got exit %d, %v\n%s\n%+v\nrequests: %q (stalled %s)", res.code, res.err, res.stderr, r, proxy.Requests(), layer)
	}
	for _, c := range r.Cells {
		switch c.Platform {
		case "linux/amd64":
			want := "timed out after 8s while pulling " + proxy.Host + "/busybox@sha256:"
			if c.Passed || !strings.HasPrefix(c.Error, want) || !strings.HasSuffix(c.Error, " from "+proxy.Host) {
				t.Errorf("amd64 cell: %+v, want an error starting %q and naming the registry", c, want)
			}
		default:
			if !c.Passed {
				t.Errorf("%s: the other cell did not run to a pass: %+v", c.Platform, c)
			}
		}
	}
	if elapsed > timeout+30*time.Second {
		t.Errorf("the command took %v with --cell-timeout %v", elapsed, timeout)
	}
	if proxy.Hits("GET", "/blobs/"+layer) == 0 {
		t.Errorf("the stalled layer was never asked for: %v", proxy.Requests())
	}
	t.Logf("stalled pull: %v, cell error %q", elapsed, r.Cells[0].Error)
}
