package cli

import (
	"os"
	"strings"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/builder"
)

// TestBuilderAppendNodeNamesE2E: create --append adds a node to a named
// builder, --node-name names nodes (node<i> by default), and both show in
// ls and status; rm --node removes one node, not the last.
func TestBuilderAppendNodeNamesE2E(t *testing.T) {
	tempConfigDir(t)
	addr := startCLINode(t)
	dead := "unix:///nonexistent/multiarch-test.sock"

	r := runArgs(t, "builder", "create", "farm", "--node", addr, "--node-name", "amd")
	if !r.ok() {
		t.Fatalf("create: %v\n%s", r.err, r.stderr)
	}
	r = runArgs(t, "builder", "create", "--append", "farm", "--node", dead)
	requireFailureSays(t, "append an unreachable node", r, "not reachable")
	r = runArgs(t, "builder", "create", "--append", "farm", "--node", dead, "--no-check")
	if !r.ok() || !strings.Contains(r.stdout, "added 1 node(s), 2 in all") {
		t.Fatalf("append: %v\n%s%s", r.err, r.stdout, r.stderr)
	}
	r = runArgs(t, "builder", "create", "--append", "farm", "--node", "unix:///other.sock", "--node-name", "amd", "--no-check")
	requireFailureSays(t, "append a taken node name", r, `two nodes named "amd"`)
	r = runArgs(t, "builder", "create", "--append", "nosuch", "--node", dead, "--no-check")
	requireFailureSays(t, "append to an unknown builder", r, `no builder named "nosuch"`)
	r = runArgs(t, "builder", "create", "embedded", "--node", dead, "--no-check")
	requireFailureSays(t, "a builder named embedded", r, `"embedded" is the embedded builder's`)

	r = runArgs(t, "builder", "ls")
	if !r.ok() || !strings.Contains(r.stdout, "amd") || !strings.Contains(r.stdout, "node1") || !strings.Contains(r.stdout, dead) {
		t.Fatalf("ls: %v\n%s", r.err, r.stdout)
	}
	t.Logf("ls:\n%s", r.stdout)
	r = runArgs(t, "builder", "status", "farm")
	if !strings.Contains(r.stdout, "node 0:     "+addr+"\nstate:      running\nname:       amd\n") || !strings.Contains(r.stdout, "name:       node1") {
		t.Fatalf("status: %v\n%s", r.err, r.stdout)
	}
	// du asks every node; the dead one is reported, after the live one's.
	r = runArgs(t, "builder", "du", "--builder", "farm")
	if !r.failed() || !strings.Contains(r.stdout, "node amd ("+addr+"):\nrecords:") || !strings.Contains(r.stdout, "node node1 ("+dead+"):\nerror:") {
		t.Fatalf("du of a builder with a dead node: exit %d %v\n%s", r.code, r.err, r.stdout)
	}
	r = runArgs(t, "builder", "rm", "farm", "--node", "nosuch")
	requireFailureSays(t, "rm an unknown node", r, `no node named "nosuch"`, "amd", "node1")
	r = runArgs(t, "builder", "rm", "farm", "--node", "node1")
	if !r.ok() {
		t.Fatalf("rm --node: %v", r.err)
	}
	r = runArgs(t, "builder", "rm", "farm", "--node", "amd")
	requireFailureSays(t, "rm the last node", r, "the only node of farm", "builder rm farm")
	if r = runArgs(t, "builder", "ls"); strings.Contains(r.stdout, dead) || !strings.Contains(r.stdout, "amd") {
		t.Fatalf("ls after rm --node:\n%s", r.stdout)
	}
	r = runArgs(t, "builder", "create", "farm", "--node", addr, "--mirror", "docker.io=mirror.example:5000")
	requireFailureSays(t, "create --mirror", r, "buildkitd's multiarch does not start or configure", "[registry.\"docker.io\"]\n    mirrors = [\"mirror.example:5000\"]")
}

// TestBuilderUseE2E: `builder use NAME` makes NAME the builder of status,
// build and du; $MULTIARCH_BUILDER overrides it, --builder (status NAME)
// both; an unknown name is a clear error wherever it comes from; use
// --default goes back to $BUILDKIT_HOST.
func TestBuilderUseE2E(t *testing.T) {
	tempConfigDir(t)
	addr := startCLINode(t)
	os.Unsetenv(builder.EnvBuilder)
	t.Setenv(builder.EnvBuildkitHost, addr)
	dead := "unix:///nonexistent/multiarch-test.sock"
	for _, args := range [][]string{{"good", "--node", addr}, {"broken", "--node", dead, "--no-check"}} {
		if r := runArgs(t, append([]string{"builder", "create"}, args...)...); !r.ok() {
			t.Fatalf("create %v: %v", args, r.err)
		}
	}
	r := runArgs(t, "builder", "use", "nosuch")
	requireFailureSays(t, "use an unknown builder", r, `no builder named "nosuch"`, "good", "broken")

	r = runArgs(t, "builder", "use", "good")
	if !r.ok() || !strings.Contains(r.stdout, "default builder: good") {
		t.Fatalf("use good: %v\n%s", r.err, r.stdout)
	}
	r = runArgs(t, "builder", "status")
	if !r.ok() || !strings.Contains(r.stdout, "builder:    good (1 node(s))") {
		t.Fatalf("status with default good (over BUILDKIT_HOST): %v\n%s", r.err, r.stdout)
	}
	if r = runArgs(t, "builder", "ls"); !strings.Contains(r.stdout, "good *") {
		t.Errorf("ls does not mark the default:\n%s", r.stdout)
	}

	// build honours the default: broken's node is not there.
	runArgs(t, "builder", "use", "broken")
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/Dockerfile", []byte("FROM scratch\nCOPY Dockerfile /x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = runArgs(t, "build", dir, "--platform", "linux/amd64")
	requireFailureSays(t, "build with default broken", r, "builder broken", dead)
	r = runArgs(t, "build", dir, "--platform", "linux/amd64", "--builder", "good")
	if !r.ok() {
		t.Fatalf("--builder good over default broken: %v\n%s", r.err, r.stderr)
	}

	// $MULTIARCH_BUILDER overrides the default; status NAME overrides it.
	t.Setenv(builder.EnvBuilder, "good")
	r = runArgs(t, "builder", "status")
	if !r.ok() || !strings.Contains(r.stdout, "builder:    good") {
		t.Fatalf("status with MULTIARCH_BUILDER=good over default broken: %v\n%s", r.err, r.stdout)
	}
	t.Setenv(builder.EnvBuilder, "nosuch")
	r = runArgs(t, "builder", "status")
	requireFailureSays(t, "MULTIARCH_BUILDER=nosuch", r, `$MULTIARCH_BUILDER: no builder named "nosuch"`)
	r = runArgs(t, "builder", "status", "good")
	if !r.ok() {
		t.Fatalf("status good with MULTIARCH_BUILDER=nosuch: %v\n%s", r.err, r.stdout)
	}
	r = runArgs(t, "builder", "use", "good")
	if !r.ok() || !strings.Contains(r.stderr, "MULTIARCH_BUILDER=nosuch is set") {
		t.Errorf("use under MULTIARCH_BUILDER should say it is overridden: %v\n%s", r.err, r.stderr)
	}
	os.Unsetenv(builder.EnvBuilder)

	r = runArgs(t, "builder", "use", "--default")
	if !r.ok() || !strings.Contains(r.stdout, "no default builder") {
		t.Fatalf("use --default: %v\n%s", r.err, r.stdout)
	}
	r = runArgs(t, "builder", "status")
	if !r.ok() || !strings.Contains(r.stdout, "remote (BUILDKIT_HOST)") {
		t.Fatalf("status after use --default: %v\n%s", r.err, r.stdout)
	}
	// rm of the default builder drops the default.
	runArgs(t, "builder", "use", "broken")
	runArgs(t, "builder", "rm", "broken")
	if r = runArgs(t, "builder", "status"); !r.ok() || !strings.Contains(r.stdout, "remote (BUILDKIT_HOST)") {
		t.Fatalf("status after rm of the default: %v\n%s", r.err, r.stdout)
	}
}
