package cli

import (
	"encoding/json"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// completions runs cobra's hidden __complete command (what the bash, zsh
// and fish scripts call) and returns the candidates, without the trailing
// ":DIRECTIVE" line.
func completions(t *testing.T, args ...string) []string {
	t.Helper()
	r := runArgs(t, append([]string{"__complete"}, args...)...)
	if !r.ok() {
		t.Fatalf("__complete %q: exit %d, %v\n%s", args, r.code, r.err, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[len(lines)-1], ":") {
		t.Fatalf("__complete %q: no directive line:\n%s", args, r.stdout)
	}
	var out []string
	for _, l := range lines[:len(lines)-1] {
		name, _, _ := strings.Cut(l, "\t") // candidate, then its description
		out = append(out, name)
	}
	return out
}

func TestCompletePlatforms(t *testing.T) {
	got := completions(t, "verify", "img", "--platform", "linux/arm")
	for _, want := range []string{"linux/arm64", "linux/arm/v7", "linux/arm/v6"} {
		if !slices.Contains(got, want) {
			t.Errorf("--platform linux/arm: %q lacks %s", got, want)
		}
	}
	if slices.Contains(got, "linux/amd64") {
		t.Errorf("--platform linux/arm: %q offers linux/amd64", got)
	}
	// The last of a comma-separated list; what is before it is kept.
	if got := completions(t, "build", ".", "--platform", "linux/amd64,linux/s3"); !slices.Equal(got, []string{"linux/amd64,linux/s390x"}) {
		t.Errorf("--platform linux/amd64,linux/s3: %q", got)
	}
	// index create's SRC=PLATFORM completes after the '='.
	if got := completions(t, "index", "create", "-t", "r/x:1", "r/a:1", "--platform", "r/a:1=linux/ppc"); !slices.Equal(got, []string{"r/a:1=linux/ppc64le"}) {
		t.Errorf("--platform SRC=linux/ppc: %q", got)
	}
	for _, cmd := range [][]string{{"test", "img"}, {"doctor"}, {"ci"}} {
		if got := completions(t, append(cmd, "--platform", "linux/s390")...); !slices.Equal(got, []string{"linux/s390x"}) {
			t.Errorf("%v --platform: %q", cmd, got)
		}
	}
}

func TestCompleteBuilders(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(builder.EnvConfigDir, dir)
	s := builder.NewStore(dir)
	for _, name := range []string{"fleet", "farm", "other"} {
		if err := s.Create(builder.Builder{Name: name, Nodes: []builder.Node{{Endpoint: "tcp://127.0.0.1:1234"}}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, cmd := range [][]string{{"build", "."}, {"test", "img"}, {"doctor"}, {"ci"}} {
		if got := completions(t, append(cmd, "--builder", "f")...); !slices.Equal(got, []string{"farm", "fleet"}) && !slices.Equal(got, []string{"fleet", "farm"}) {
			t.Errorf("%v --builder f: %q, want fleet and farm", cmd, got)
		}
	}
}

// TestCompleteTags: an image argument with a registry host and a ':'
// completes with the repository's tags from the real registry; a
// registry nobody listens for gives no candidates, quickly.
func TestCompleteTags(t *testing.T) {
	reg := testenv.StartRegistry(t)
	img := testenv.BusyboxImage(t, testenv.Platforms(t, "linux/amd64")[0])
	for _, tag := range []string{"v1", "v2", "latest"} {
		testenv.PushImage(t, reg.Ref("comp/app", tag), img)
	}
	repo := strings.TrimSuffix(reg.Ref("comp/app", "x"), ":x")
	for _, cmd := range []string{"inspect", "verify", "test"} {
		got := completions(t, cmd, repo+":v")
		slices.Sort(got)
		if !slices.Equal(got, []string{repo + ":v1", repo + ":v2"}) {
			t.Errorf("%s %s:v: %q", cmd, repo, got)
		}
	}
	if got := completions(t, "inspect", repo+":"); len(got) != 3 {
		t.Errorf("inspect %s: : %q, want the 3 tags", repo, got)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	start := time.Now()
	if got := completions(t, "inspect", closed+"/comp/app:"); len(got) != 0 {
		t.Errorf("closed port: %q", got)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("closed port: %v to give up", d)
	}
}

func TestCompletionScripts(t *testing.T) {
	for _, sh := range []string{"bash", "zsh", "fish"} {
		r := runArgs(t, "completion", sh)
		if !r.ok() || !strings.Contains(r.stdout, "__complete") {
			t.Errorf("completion %s: exit %d, %v; script lacks __complete", sh, r.code, r.err)
		}
	}
}

// TestDockerPluginProtocol is the Docker CLI plugin protocol without the
// docker CLI (cmd/multiarch's TestDockerCLIPluginE2E runs it through the
// real one): the metadata command, and the plugin name before the
// command line.
func TestDockerPluginProtocol(t *testing.T) {
	r := runArgs(t, "docker-cli-plugin-metadata")
	var md map[string]string
	if err := json.Unmarshal([]byte(r.stdout), &md); !r.ok() || err != nil {
		t.Fatalf("metadata: exit %d, %v, %v\n%s", r.code, r.err, err, r.stdout)
	}
	if md["SchemaVersion"] != "0.1.0" || md["Vendor"] == "" || md["Version"] == "" || md["ShortDescription"] == "" || !strings.HasPrefix(md["URL"], "https://") {
		t.Errorf("metadata: %v", md)
	}
	if r := runArgs(t, "multiarch", "version"); !r.ok() || !strings.HasPrefix(r.stdout, "multiarch ") {
		t.Errorf("multiarch version: exit %d, %q", r.code, r.stdout)
	}
	if r := runArgs(t, "multiarch", "verify", "--no-such-flag"); r.code != ExitUsage {
		t.Errorf("multiarch verify --no-such-flag: exit %d, want %d", r.code, ExitUsage)
	}
	// The docker CLI's completion asks the plugin with its name after __complete.
	if got := completions(t, "multiarch", "verify", "img", "--platform", "linux/s390"); !slices.Equal(got, []string{"linux/s390x"}) {
		t.Errorf("__complete multiarch verify --platform linux/s390: %q", got)
	}
	if r := runArgs(t, "--help"); strings.Contains(r.stdout, pluginMetadataCmd) {
		t.Errorf("help lists the hidden %s:\n%s", pluginMetadataCmd, r.stdout)
	}
}
