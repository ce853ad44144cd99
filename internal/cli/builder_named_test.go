package cli

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/spf13/pflag"

	"github.com/multiarch-dev/multiarch/internal/build"
	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/registry"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// tempConfigDir points the builder store at a temp dir.
func tempConfigDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv(builder.EnvConfigDir, dir)
	return dir
}

// parseCreateArgs parses args with builder create's flags: NAME, the node
// groups in order, and whether to check the nodes.
func parseCreateArgs(args []string) (builder.Builder, bool, error) {
	f := &createFlags{}
	fs := pflag.NewFlagSet("create", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f.register(fs)
	if err := fs.Parse(args); err != nil {
		return builder.Builder{}, false, err
	}
	b, err := f.builder(fs.Args())
	return b, !f.noCheck, err
}

func TestParseCreateArgs(t *testing.T) {
	b, check, err := parseCreateArgs([]string{"farm", "--node", "unix:///a.sock", "--platform", "linux/arm64,linux/arm/v7",
		"--node=tcp://b:1234", "--tls-ca", "/ca.pem", "--tls-cert=/c.pem", "--tls-key", "/k.pem", "--tls-server-name", "b", "--no-check"})
	if err != nil || check || b.Name != "farm" || len(b.Nodes) != 2 {
		t.Fatalf("%+v %v %v", b, check, err)
	}
	if n := b.Nodes[0]; n.Endpoint != "unix:///a.sock" || strings.Join(n.PlatformNames(), " ") != "linux/arm64 linux/arm/v7" || n.TLS != nil {
		t.Errorf("node 0: %+v", n)
	}
	if n := b.Nodes[1]; n.Endpoint != "tcp://b:1234" || n.TLS == nil || *n.TLS != (builder.TLSFiles{CA: "/ca.pem", Cert: "/c.pem", Key: "/k.pem", ServerName: "b"}) {
		t.Errorf("node 1: %+v %+v", n, n.TLS)
	}
	for _, bad := range [][]string{
		{"--node", "unix:///a"},                      // no name
		{"x", "--platform", "linux/arm64"},           // before --node
		{"x", "--node"},                              // no value
		{"x", "--node", "unix:///a", "--bogus", "1"}, // unknown flag
		{"x", "y", "--node", "unix:///a"},            // two names
	} {
		if _, _, err := parseCreateArgs(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestBuilderCreateLsStatusRmCLI covers the named-builder commands and
// their bad input: duplicate name, unreachable node, unknown builder.
func TestBuilderCreateLsStatusRmCLI(t *testing.T) {
	dir := tempConfigDir(t)
	addr := startCLINode(t)
	dead := "unix://" + filepath.Join(t.TempDir(), "dead.sock")

	r := runArgs(t, "builder", "ls")
	if !r.ok() || !strings.Contains(r.stdout, "no named builders") {
		t.Fatalf("empty ls: %v\n%s", r.err, r.stdout)
	}
	r = runArgs(t, "builder", "create", "farm", "--node", addr, "--platform", "linux/arm64")
	if !r.ok() || !strings.Contains(r.stdout, "builder farm created with 1 node(s)") {
		t.Fatalf("create: %v\n%s", r.err, r.stdout)
	}
	var doc struct {
		Builders []struct {
			Nodes []struct {
				Platforms []string `json:"platforms"`
			} `json:"nodes"`
		} `json:"builders"`
	}
	b, _ := os.ReadFile(filepath.Join(dir, "builders.json"))
	if json.Unmarshal(b, &doc) != nil || len(doc.Builders) != 1 || doc.Builders[0].Nodes[0].Platforms[0] != "linux/arm64" {
		t.Fatalf("builders.json:\n%s", b)
	}

	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"duplicate", []string{"builder", "create", "farm", "--node", addr}, []string{`"farm" already exists`, "builder rm farm"}},
		{"unreachable node", []string{"builder", "create", "deadfarm", "--node", addr, "--node", dead}, []string{"node " + dead + " is not reachable", "--no-check"}},
		{"bad endpoint", []string{"builder", "create", "x", "--node", "http://h:1"}, []string{"scheme", "unix:// or tcp://"}},
		{"no node", []string{"builder", "create", "x"}, []string{"x has no node\ngive --node ENDPOINT"}},
		{"rm unknown", []string{"builder", "rm", "nope"}, []string{`no builder named "nope"`, "farm", "builder ls"}},
		{"status unknown", []string{"builder", "status", "nope"}, []string{`no builder named "nope"`}},
		{"build unknown", []string{"build", t.TempDir(), "--builder", "nope", "--platform", "linux/amd64"}, []string{`no builder named "nope"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "build unknown" {
				os.WriteFile(filepath.Join(tc.args[1], "Dockerfile"), []byte("FROM scratch\n"), 0o644)
			}
			requireFailureSays(t, tc.name, runArgs(t, tc.args...), tc.want...)
		})
	}
	// The unreachable node can be stored on purpose; status then says so.
	if r := runArgs(t, "builder", "create", "deadfarm", "--node", addr, "--node", dead, "--no-check"); !r.ok() {
		t.Fatal(r.err)
	}
	r = runArgs(t, "builder", "status", "deadfarm")
	if out := r.stdout; !r.failed() || !strings.Contains(out, "state:      not reachable") || !strings.Contains(out, "state:      running") || !strings.Contains(out, "linux/s390x") {
		t.Fatalf("status deadfarm: exit %d, %v\n%s", r.code, r.err, out)
	}
	ctxDir := t.TempDir()
	os.WriteFile(filepath.Join(ctxDir, "Dockerfile"), []byte("FROM scratch\n"), 0o644)
	r = runArgs(t, "build", ctxDir, "--builder", "deadfarm", "--platform", "linux/amd64")
	if !r.failed() || !strings.Contains(r.message(), dead) || !strings.Contains(r.message(), "multiarch builder status deadfarm") {
		t.Fatalf("build on a builder with a dead node: exit %d, %v", r.code, r.err)
	}
	r = runArgs(t, "builder", "status", "farm")
	if !r.ok() || !strings.Contains(r.stdout, "native:     linux/arm64 (declared)") {
		t.Fatalf("status farm: %v\n%s", r.err, r.stdout)
	}
	r = runArgs(t, "builder", "ls")
	if out := r.stdout; !r.ok() || !strings.Contains(out, "deadfarm") || !strings.Contains(out, dead) || !strings.Contains(out, "linux/arm64") {
		t.Fatalf("ls: %v\n%s", r.err, out)
	}
	if r = runArgs(t, "builder", "rm", "deadfarm"); !r.ok() || !strings.Contains(r.stdout, "removed") {
		t.Fatalf("rm: %v\n%s", r.err, r.stdout)
	}
	if r = runArgs(t, "builder", "ls"); strings.Contains(r.stdout, "deadfarm") {
		t.Errorf("ls after rm:\n%s", r.stdout)
	}
}

// TestBuildTwoNodesCLI builds a scratch image (no RUN, so no emulation)
// on a two-node builder and reads the summary, label and annotations.
func TestBuildTwoNodesCLI(t *testing.T) {
	tempConfigDir(t)
	armAddr, genAddr := startCLINode(t), startCLINode(t)
	reg := testenv.StartRegistry(t)
	if r := runArgs(t, "builder", "create", "pair", "--node", armAddr, "--platform", "linux/arm64", "--node", genAddr); !r.ok() {
		t.Fatal(r.err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\nCOPY hello.txt /hello.txt\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "hello.txt"), []byte("hi\n"), 0o644)
	tag := reg.Ref("pair", "v1")
	meta := filepath.Join(t.TempDir(), "meta.json")
	r := runArgs(t, "build", dir, "--builder", "pair", "--platform", "linux/amd64,linux/arm64",
		"-t", tag, "--push", "--progress", "plain", "--label", "org.example.l=1", "--annotation", "org.example.a=2",
		"--metadata-file", meta)
	out, stderr := r.stdout, r.stderr
	if !r.ok() {
		t.Fatalf("build: %v\n%s", r.err, stderr)
	}
	t.Logf("summary:\n%s", out)
	for _, s := range []string{"built 2 platform(s)", "linux/arm64  " + armAddr, "linux/amd64  " + genAddr, "pushed: " + tag} {
		if !strings.Contains(out, s) {
			t.Errorf("summary lacks %q", s)
		}
	}
	if !strings.Contains(stderr, "node0: ") || !strings.Contains(stderr, "node1: ") {
		t.Errorf("progress does not label the nodes:\n%s", stderr)
	}
	ref, _ := name.ParseReference(tag)
	idx, err := remote.Index(ref)
	if err != nil {
		t.Fatal(err)
	}
	im, _ := idx.IndexManifest()
	// Two platform images, each with the provenance attestation a push
	// makes by default, kept next to its image when the nodes' images
	// are merged.
	plats, atts := indexEntries(t, tag)
	if im.Annotations["org.example.a"] != "2" || len(im.Manifests) != 4 || len(plats) != 2 {
		t.Errorf("index: %+v", im)
	}
	requireAttested(t, "two nodes", plats, atts, "https://slsa.dev/provenance/")
	for i, d := range im.Manifests {
		if subject, ok := registry.Attestation(d); ok && (i == 0 || im.Manifests[i-1].Digest.String() != subject) {
			t.Errorf("attestation %s is not right after its image %s", d.Digest, subject)
		}
	}
	for _, p := range testenv.Platforms(t, "linux/amd64", "linux/arm64") {
		img := testenv.ImageFor(t, idx, p)
		cf, _ := img.ConfigFile()
		m, _ := img.Manifest()
		if cf.Config.Labels["org.example.l"] != "1" || m.Annotations["org.example.a"] != "2" {
			t.Errorf("%s: labels %v annotations %v", p, cf.Config.Labels, m.Annotations)
		}
	}
	var md Metadata
	b, _ := os.ReadFile(meta)
	if json.Unmarshal(b, &md) != nil || len(md.Platforms) != 2 || md.Platforms[0].Node == "" {
		t.Errorf("metadata:\n%s", b)
	}
}

func TestSummaryEmulationHint(t *testing.T) {
	r := &build.Result{Address: "unix:///x", Duration: 10 * time.Second, EmulatedRun: 8 * time.Second, EmulatedCompile: 8 * time.Second,
		Stats: []build.PlatformStat{{Platform: "linux/s390x", Node: "unix:///x", Emulated: true, Duration: 9 * time.Second, EmulatedRun: 8 * time.Second}}}
	var b strings.Builder
	renderSummary(&b, r)
	for _, s := range []string{"linux/s390x", "unix:///x (emulated)", "RUN steps under emulation: 8s of 10s (80%), 8s of it running a compiler", "FROM --platform=$BUILDPLATFORM", "TARGETARCH"} {
		if !strings.Contains(b.String(), s) {
			t.Errorf("summary lacks %q:\n%s", s, b.String())
		}
	}
	// The same time in steps that install packages or wait: no hint.
	r.EmulatedCompile = 0
	b.Reset()
	renderSummary(&b, r)
	if strings.Contains(b.String(), "BUILDPLATFORM") || !strings.Contains(b.String(), "(80%)\n") {
		t.Errorf("hint without compiling:\n%s", b.String())
	}
	r.EmulatedRun, r.EmulatedCompile = 4*time.Second, 4*time.Second
	b.Reset()
	renderSummary(&b, r)
	if strings.Contains(b.String(), "BUILDPLATFORM") || !strings.Contains(b.String(), "(40%)") {
		t.Errorf("hint at 40%%:\n%s", b.String())
	}
}

// TestBuilderCreateUsageCLI: a node option before any --node, a missing
// NAME and an unknown flag are usage errors that show the usage; --help
// shows how node groups work.
func TestBuilderCreateUsageCLI(t *testing.T) {
	tempConfigDir(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"x", "--platform", "linux/arm64", "--node", "unix:///a"}, "builder create: --platform before any --node: node options follow the --node they belong to"},
		{[]string{"x", "--tls-ca", "/ca.pem"}, "--tls-ca before any --node"},
		{[]string{"--node", "unix:///a"}, "builder create: no NAME given"},
		{[]string{"x", "y", "--node", "unix:///a"}, `unexpected argument "y" (one NAME)`},
		{[]string{"x", "--node", "unix:///a", "--bogus", "1"}, "--bogus"},
		{[]string{"x", "--node", "unix:///a", "--platform", "linux/vax"}, "node unix:///a"},
	} {
		r := runArgs(t, append([]string{"builder", "create"}, tc.args...)...)
		requireFailureSays(t, strings.Join(tc.args, " "), r, tc.want, "usage: multiarch builder create NAME --node ENDPOINT")
	}
	r := runArgs(t, "builder", "create", "--help")
	if !r.ok() || !strings.Contains(r.stdout, "Every --node starts a node") || !strings.Contains(r.stdout, "--tls-server-name") {
		t.Errorf("--help: %v\n%s", r.err, r.stdout)
	}
}
