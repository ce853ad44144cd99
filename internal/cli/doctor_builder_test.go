package cli

import (
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/builder/embedded"
	"github.com/multiarch-dev/multiarch/internal/status"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// doctorDoc runs `doctor --json args...` and decodes the report.
func doctorDoc(t *testing.T, args ...string) (doctorJSON, cliResult) {
	t.Helper()
	doc, r := runJSON[doctorJSON](t, cliRun{args: append([]string{"doctor", "--json"}, args...)})
	return *doc, r
}

func checkOf(t *testing.T, doc doctorJSON, id string) (status, message, fix string) {
	t.Helper()
	for _, c := range doc.Checks {
		if c.ID == id {
			return c.Status, c.Message, c.Fix
		}
	}
	t.Errorf("no check %s in %+v", id, doc.Checks)
	return "", "", ""
}

func hasCheckPrefix(doc doctorJSON, prefix string) bool {
	for _, c := range doc.Checks {
		if strings.HasPrefix(c.ID, prefix) {
			return true
		}
	}
	return false
}

// TestDoctorNamedBuilderE2E: `doctor --builder pair` asks both real
// daemons, says which node runs each platform and how, and checks this
// host's emulation only for what a local node emulates.
func TestDoctorNamedBuilderE2E(t *testing.T) {
	testenv.LockHostBinfmt(t)
	armAddr, genAddr := twoNodeBuilder(t)
	doc, r := doctorDoc(t, "--builder", "pair", "--platform", "linux/arm64,linux/amd64,linux/arm/v7")
	if !r.ok() || doc.OK == nil || !*doc.OK {
		t.Fatalf("doctor: %v, ok %v: %+v", r.err, doc.OK, doc.Checks)
	}
	for id, want := range map[string]string{
		"builder:node-0":       "native linux/arm64",
		"builder:linux/arm64":  "linux/arm64 runs natively on " + armAddr,
		"builder:linux/amd64":  "linux/amd64 runs natively on " + genAddr,
		"builder:linux/arm/v7": "linux/arm/v7 runs under QEMU on " + genAddr,
	} {
		if st, msg, _ := checkOf(t, doc, id); st != "pass" || !strings.Contains(msg, want) {
			t.Errorf("%s: %s %q, want OK containing %q", id, st, msg, want)
		}
	}
	// arm/v7 is emulated here (both nodes are local); arm64 and amd64 run
	// natively, so the host is not asked about them.
	if st, _, _ := checkOf(t, doc, "linux/arm/v7:probe"); st != "pass" {
		t.Errorf("linux/arm/v7:probe: %s, want OK", st)
	}
	if hasCheckPrefix(doc, "linux/arm64:") || hasCheckPrefix(doc, "linux/amd64:") {
		t.Errorf("host checks for natively routed platforms: %+v", doc.Checks)
	}

	// No node runs mips64le (BuildKit does not detect it): a FAIL with the
	// fix, and the host checks of that platform say why it is not emulated.
	doc, r = doctorDoc(t, "--builder", "pair", "--platform", "linux/mips64le")
	if !r.failed() || !errors.Is(r.err, ErrChecksFailed) {
		t.Errorf("exit %d, err = %v, want ErrChecksFailed, exit 1", r.code, r.err)
	}
	st, msg, fix := checkOf(t, doc, "builder:linux/mips64le")
	if st != "fail" || !strings.Contains(msg, "no node runs it") || !strings.Contains(fix, "builder create") {
		t.Errorf("builder:linux/mips64le: %s %q fix %q", st, msg, fix)
	}
	if !hasCheckPrefix(doc, "linux/mips64le:") {
		t.Errorf("no host checks for the unroutable platform on local nodes: %+v", doc.Checks)
	}
}

// TestDoctorBuilderUnreachable: a named builder whose node does not answer
// and a $BUILDKIT_HOST that does not answer fail with their fixes; a
// remote (tcp) builder needs no emulation on this host.
func TestDoctorBuilderUnreachable(t *testing.T) {
	tempConfigDir(t)
	// This host's own non-loopback address on a closed port: refused at
	// once, and not loopback, so a remote node as doctor sees it.
	far := "tcp://" + net.JoinHostPort(testenv.NonLoopbackIPv4(t).String(), "1")
	if r := runArgs(t, "builder", "create", "far", "--node", far, "--platform", "linux/arm64", "--no-check"); !r.ok() {
		t.Fatal(r.err)
	}
	doc, r := doctorDoc(t, "--builder", "far")
	if !r.failed() || !errors.Is(r.err, ErrChecksFailed) {
		t.Errorf("err = %v (exit %d), want ErrChecksFailed, exit 1", r.err, r.code)
	}
	st, msg, fix := checkOf(t, doc, "builder:node-0")
	if st != "fail" || !strings.Contains(msg, "node "+far+" of builder far does not answer") || !strings.Contains(fix, "builder rm far") {
		t.Errorf("builder:node-0: %s %q fix %q", st, msg, fix)
	}
	if st, _, _ := checkOf(t, doc, "host-emulation"); st != "pass" || hasCheckPrefix(doc, "binfmt_misc") {
		t.Errorf("a remote-only builder: want host-emulation OK and no host checks, got %+v", doc.Checks)
	}

	// ci stops at its doctor step, with the builder's fix, not the
	// emulation's.
	ciEnv(t)
	s, r := ciJSON(t, filepath.Join(testenv.RepoRoot(t), "examples", "hello"), "--builder", "far", "--platform", "linux/arm64", "-t", "127.0.0.1:9/far/hello:1")
	if msg := r.message(); !r.failed() || !errors.Is(r.err, ErrChecksFailed) || stepStatus(s)["doctor"] != status.Fail ||
		!strings.Contains(msg, "1 builder check(s) failed") || !strings.Contains(msg, "multiarch doctor --builder far") || strings.Contains(msg, "--setup-emulation") {
		t.Errorf("ci: exit %d, %v, steps %v", r.code, msg, stepStatus(s))
	}

	t.Setenv(builder.EnvBuildkitHost, "unix:///nonexistent/buildkitd.sock")
	doc, r = doctorDoc(t, "--platform", "linux/arm64")
	if !r.failed() || !errors.Is(r.err, ErrChecksFailed) {
		t.Errorf("exit %d, err = %v, want ErrChecksFailed, exit 1", r.code, r.err)
	}
	st, _, fix = checkOf(t, doc, "builder:node-0")
	if st != "fail" || !strings.Contains(fix, "unset BUILDKIT_HOST") {
		t.Errorf("BUILDKIT_HOST node: %s fix %q", st, fix)
	}
}

func TestDoctorUnknownBuilder(t *testing.T) {
	tempConfigDir(t)
	r := runArgs(t, "doctor", "--builder", "nope")
	var ub *builder.UnknownBuilderError
	if !r.failed() || !errors.As(r.err, &ub) || !strings.Contains(r.message(), "multiarch builder ls") {
		t.Errorf("exit %d, err = %v, want an unknown builder error pointing at builder ls", r.code, r.err)
	}
}

// TestDoctorEmbeddedBuildkitdMissing: the embedded builder cannot start
// without buildkitd; doctor says so and how to get it.
func TestDoctorEmbeddedBuildkitdMissing(t *testing.T) {
	dir, qemu := noQEMUHost(t)
	t.Setenv(embedded.EnvBuildkitd, "/nonexistent/buildkitd")
	doc, r := doctorDoc(t, "--binfmt-dir", dir, "--qemu-dir", qemu)
	if !r.failed() || !errors.Is(r.err, ErrChecksFailed) {
		t.Errorf("exit %d, err = %v, want ErrChecksFailed, exit 1", r.code, r.err)
	}
	st, msg, fix := checkOf(t, doc, "builder:buildkitd")
	if st != "fail" || !strings.Contains(msg, embedded.EnvBuildkitd) || !strings.Contains(fix, "make build") {
		t.Errorf("builder:buildkitd: %s %q fix %q", st, msg, fix)
	}
}
