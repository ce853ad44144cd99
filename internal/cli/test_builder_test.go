package cli

import (
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/imagetest"
	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/status"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// twoNodeBuilder starts two buildkitd processes and stores them as
// builder "pair": the first declared the native linux/arm64 node, the
// second a general node (native linux/amd64). BUILDKIT_HOST points
// nowhere, so nothing can pass by running on a default builder.
func twoNodeBuilder(t *testing.T) (armAddr, genAddr string) {
	t.Helper()
	tempConfigDir(t)
	armAddr, genAddr = startCLINode(t), startCLINode(t)
	t.Setenv(builder.EnvBuildkitHost, "unix:///nonexistent/buildkitd.sock")
	if r := runArgs(t, "builder", "create", "pair", "--node", armAddr, "--platform", "linux/arm64", "--node", genAddr); !r.ok() {
		t.Fatal(r.err)
	}
	return armAddr, genAddr
}

// manifestDigests maps each platform of the index at ref to its manifest
// digest.
func manifestDigests(t *testing.T, ref string) map[string]string {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(r)
	if err != nil {
		t.Fatal(err)
	}
	im, _ := idx.IndexManifest()
	out := map[string]string{}
	for _, m := range im.Manifests {
		out[m.Platform.OS+"/"+m.Platform.Architecture] = m.Digest.String()
	}
	return out
}

// daemonSide is what one buildkitd says it did: how many sessions
// (build history records) it ran, and the references it pulled layers
// from.
func daemonSide(t *testing.T, address string) (sessions int, pulled []string) {
	t.Helper()
	a := testenv.DaemonActivity(t, address)
	return a.Sessions, a.PulledFrom
}

// checkPulled checks that the daemon pulled the entries of want
// (platform → manifest digest) and none of the others in all.
func checkPulled(t *testing.T, node string, pulled []string, all map[string]string, want ...string) {
	t.Helper()
	for p, d := range all {
		has := slices.ContainsFunc(pulled, func(ref string) bool { return strings.HasSuffix(ref, "@"+d) })
		if has != slices.Contains(want, p) {
			t.Errorf("%s pulled %s (%s): %v; it pulled %v", node, p, d, has, pulled)
		}
	}
}

// TestTestTwoNodesCLI tests a three-platform busybox index on a two-node
// builder and proves, from the report and from each daemon, that every
// cell ran on the node build routing chose: arm64 on the arm node
// (native), amd64 (native) and s390x (emulated) on the general node.
func TestTestTwoNodesCLI(t *testing.T) {
	testenv.LockHostBinfmt(t)
	armAddr, genAddr := twoNodeBuilder(t)
	reg := testenv.StartRegistry(t)
	ref := reg.Ref("busybox", "3")
	testenv.PushBusyboxIndex(t, ref, testenv.Platforms(t, "linux/amd64", "linux/arm64", "linux/s390x")...)
	digests := manifestDigests(t, ref)

	r, res := runTestJSON(t, "--builder", "pair", ref, "--", "sh", "-c", "echo hi")
	if !res.ok() || !r.Passed || r.Total != 3 {
		t.Fatalf("%v %s\n%+v", res.err, res.stderr, r)
	}
	want := map[string]struct {
		node, cpu string
		emulated  bool
	}{
		"linux/arm64": {armAddr, imagetest.CPUNative, false},
		"linux/amd64": {genAddr, imagetest.CPUNative, false},
		"linux/s390x": {genAddr, imagetest.CPUDefault, true},
	}
	for p, w := range want {
		c := cellOf(t, r, p)
		pl, _ := platform.Parse(p)
		if c.Node != w.node || c.CPU != w.cpu || c.Emulated != w.emulated || !pl.UnameOK(c.Machine) || c.Command.Status != status.Pass {
			t.Errorf("%s: want node %s cpu %s emulated %v, got %+v", p, w.node, w.cpu, w.emulated, c)
		}
	}

	// Daemon side: one gateway session on each node for all its cells,
	// and only the node a cell was routed to pulled its platform entry (by
	// digest).
	armSessions, armPulled := daemonSide(t, armAddr)
	genSessions, genPulled := daemonSide(t, genAddr)
	if armSessions != 1 || genSessions != 1 {
		t.Errorf("sessions: arm node %d (want 1), general node %d (want 1)", armSessions, genSessions)
	}
	checkPulled(t, "arm node", armPulled, digests, "linux/arm64")
	checkPulled(t, "general node", genPulled, digests, "linux/amd64", "linux/s390x")

	t.Run("table and junit name the nodes", func(t *testing.T) {
		junit := filepath.Join(t.TempDir(), "report.xml")
		res := runArgs(t, "test", "--builder", "pair", ref, "--platform", "arm64,s390x", "--junit", junit)
		if !res.ok() {
			t.Fatalf("%v\n%s", res.err, res.stderr)
		}
		out := res.stdout
		for _, s := range []string{"NODE", armAddr, genAddr, "PASS: 2 of 2"} {
			if !strings.Contains(out, s) {
				t.Errorf("table lacks %q:\n%s", s, out)
			}
		}
		var doc struct {
			Suites []struct {
				Cases []struct {
					Name string `xml:"name,attr"`
					Out  string `xml:"system-out"`
				} `xml:"testcase"`
			} `xml:"testsuite"`
		}
		b, _ := os.ReadFile(junit)
		if err := xml.Unmarshal(b, &doc); err != nil || len(doc.Suites) != 1 || len(doc.Suites[0].Cases) != 2 ||
			!strings.Contains(doc.Suites[0].Cases[0].Out, "node="+armAddr) || !strings.Contains(doc.Suites[0].Cases[1].Out, "node="+genAddr) {
			t.Errorf("junit %v:\n%s", err, b)
		}
	})

	t.Run("two tags: one route per platform", func(t *testing.T) {
		second := reg.Ref("busybox", "again")
		testenv.PushBusyboxIndex(t, second, testenv.Platforms(t, "linux/amd64", "linux/arm64", "linux/s390x")...)
		r, res := runTestJSON(t, "--builder", "pair", "--platform", "arm64", ref, second)
		if !res.ok() || r.Total != 2 {
			t.Fatalf("%v %s\n%+v", res.err, res.stderr, r)
		}
		for _, c := range r.Cells {
			if c.Node != armAddr {
				t.Errorf("%s %s ran on %s, want %s", c.Tag, c.Platform, c.Node, armAddr)
			}
		}
	})

	t.Run("bad input", func(t *testing.T) {
		res := runArgs(t, "test", "--builder", "nope", ref)
		var ub *builder.UnknownBuilderError
		if !res.failed() || !errors.As(res.err, &ub) || !strings.Contains(res.message(), `no builder named "nope"`) || !strings.Contains(res.message(), "pair") {
			t.Errorf("unknown builder: exit %d, %v", res.code, res.err)
		}
		dead := "unix://" + filepath.Join(t.TempDir(), "dead.sock")
		if res := runArgs(t, "builder", "create", "halfdead", "--node", armAddr, "--platform", "linux/arm64", "--node", dead, "--no-check"); !res.ok() {
			t.Fatal(res.err)
		}
		res = runArgs(t, "test", "--builder", "halfdead", ref)
		var ue *builder.UnreachableError
		if !res.failed() || !errors.As(res.err, &ue) || !strings.Contains(res.message(), dead) || !strings.Contains(res.message(), "multiarch builder status halfdead") {
			t.Errorf("a node down: exit %d, %v", res.code, res.err)
		}
		t.Logf("a node down: %v", res.err)
	})
}

// TestCITwoNodesCLI runs `ci --builder` on the two-node builder: the
// pushed images are tested on the nodes that built them, as the build
// routed them, not on $BUILDKIT_HOST (which points nowhere).
func TestCITwoNodesCLI(t *testing.T) {
	testenv.LockHostBinfmt(t)
	armAddr, genAddr := twoNodeBuilder(t)
	dockerConfigDir(t, "")
	ciEnv(t)
	reg := testenv.StartRegistry(t)
	base := reg.Ref("busybox", "latest")
	testenv.PushBusyboxIndex(t, base, testenv.Platforms(t, "linux/amd64", "linux/arm64", "linux/s390x")...)
	tag := reg.Ref("hello", "pair")
	s, res := ciJSON(t, filepath.Join(testenv.RepoRoot(t), "examples", "hello"), "--builder", "pair",
		"--platform", "linux/amd64,linux/arm64,linux/s390x", "-t", tag, "--base", base, "--test", "test -s /built-on")
	if !res.ok() || !s.Passed || s.PushedMatrix == nil || s.PushedMatrix.Total != 3 || s.BuildMatrix == nil {
		t.Fatalf("%v\n%s\n%+v", res.err, res.stderr, s)
	}
	for _, m := range []*imagetest.Report{s.BuildMatrix, s.PushedMatrix} {
		for _, c := range m.Cells {
			want := genAddr
			if c.Platform == "linux/arm64" {
				want = armAddr
			}
			if c.Node != want || c.Emulated != (c.Platform == "linux/s390x") {
				t.Errorf("%s ran on %s (emulated %v), want %s", c.Platform, c.Node, c.Emulated, want)
			}
		}
	}
	// Daemon side: each node ran its build and one test session for its
	// cells.
	armSessions, _ := daemonSide(t, armAddr)
	genSessions, _ := daemonSide(t, genAddr)
	if armSessions != 2 || genSessions != 2 {
		t.Errorf("sessions: arm node %d (want 2), general node %d (want 2)", armSessions, genSessions)
	}
}
