package cli

import (
	"context"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// TestInsecureRegistryBuildPushCLI pushes builds to a real registry
// serving plain HTTP on a non-loopback address, from buildkitd nodes whose
// config names no registry: only the exporter's registry.insecure option,
// set from --insecure-registry, lets BuildKit push there. Without the
// registry listed, the push check refuses before the build, says to pass
// --insecure-registry HOST:PORT and nothing is pushed; listed, a one-node
// build (one export under the tag) and a two-node build (pushes by digest,
// then the index written by multiarch) both push an index that resolves.
func TestInsecureRegistryBuildPushCLI(t *testing.T) {
	tempConfigDir(t)
	reg := plainRegistry(t)
	single := startCLIBuilder(t)
	// On an x86-64 host linux/386 runs natively, like linux/amd64: neither
	// node needs binfmt_misc, so other tests' changes to it cannot matter.
	i386, gen := startCLINode(t), startCLINode(t)
	if r := runWithin(t, cliQuickTimeout, "builder", "create", "pair", "--node", i386, "--platform", "linux/386", "--node", gen); !r.ok() {
		t.Fatal(r.err)
	}
	t.Run("control", func(t *testing.T) { requireNodeRefusesPlain(t, single, reg.Ref("control", "v1")) })

	for list, hosts := range notAllowing(reg.Host) {
		t.Run("refused-"+list, func(t *testing.T) {
			dir, _ := nonceContext(t)
			tag := reg.Ref("refused-"+list, "v1")
			r := runWithin(t, cliBuildTimeout, append([]string{"build", dir, "--platform", "linux/amd64",
				"-t", tag, "--push", "--progress", "plain"}, insecureArgs(hosts)...)...)
			requirePlainHTTPError(t, "build", r, reg.Host, tag)
			t.Logf("build: %v\n%s", r.err, r.stderr)
			testenv.CheckNotPushed(t, tag, name.Insecure)
		})
	}
	t.Run("one-node", func(t *testing.T) {
		checkPlainPush(t, reg.Ref("one", "v1"), []string{"--insecure-registry", reg.Host}, map[string]string{"linux/amd64": single})
	})
	t.Run("two-nodes", func(t *testing.T) {
		checkPlainPush(t, reg.Ref("two", "v1"), []string{"--builder", "pair", "--insecure-registry", reg.Host},
			map[string]string{"linux/amd64": gen, "linux/386": i386})
	})
}

// requireNodeRefusesPlain is the control of the test: the node at addr,
// asked by buildctl to push to tag without the exporter's
// registry.insecure option, fails, so a push that works owes it to that
// option and not to the daemon's own config.
func requireNodeRefusesPlain(t *testing.T, addr, tag string) {
	t.Helper()
	bin := filepath.Join(testenv.RepoRoot(t), "bin", "buildctl")
	_, err := os.Stat(bin)
	testenv.Require(t, err == nil, "buildctl binary "+bin+" missing: make build")
	dir, _ := nonceContext(t)
	ctx, cancel := context.WithTimeout(t.Context(), cliBuildTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "--addr", addr, "build", "--frontend", "dockerfile.v0",
		"--local", "context="+dir, "--local", "dockerfile="+dir, "--opt", "platform=linux/amd64",
		"--output", "type=image,name="+tag+",push=true").CombinedOutput()
	if err == nil {
		t.Fatalf("buildctl pushed %s over plain HTTP without registry.insecure: the node's config allows it, the test proves nothing\n%s", tag, out)
	}
	if !strings.Contains(string(out), "server gave HTTP response to HTTPS client") {
		t.Errorf("buildctl failed, but not for the scheme:\n%s", out)
	}
	testenv.CheckNotPushed(t, tag, name.Insecure)
}

// checkPlainPush builds a nonce context for the platforms of nodes
// (platform → node address) with args, pushing to tag, and checks the
// summary (each platform on its node) and the index the registry holds.
func checkPlainPush(t *testing.T, tag string, args []string, nodes map[string]string) {
	t.Helper()
	dir, nonce := nonceContext(t)
	meta := filepath.Join(t.TempDir(), "meta.json")
	platforms := slices.Sorted(maps.Keys(nodes))
	r := runWithin(t, cliBuildTimeout, append([]string{"build", dir, "-t", tag, "--push",
		"--platform", strings.Join(platforms, ","), "--progress", "plain", "--metadata-file", meta}, args...)...)
	if !r.ok() {
		t.Fatalf("build: %v\nstderr:\n%s", r.err, r.stderr)
	}
	out := r.stdout
	if !strings.Contains(out, "pushed: "+tag) {
		t.Errorf("summary lacks the tag:\n%s", out)
	}
	for p, n := range nodes {
		if got := summaryNode(out, p); got != n {
			t.Errorf("summary puts %s on %q, want %s:\n%s", p, got, n, out)
		}
	}
	checkPushedNonce(t, tag, meta, nonce, platforms, name.Insecure)
}

// summaryNode is the NODE column of platform's row in a build summary.
func summaryNode(summary, platform string) string {
	for line := range strings.Lines(summary) {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == platform {
			return f[1]
		}
	}
	return ""
}
