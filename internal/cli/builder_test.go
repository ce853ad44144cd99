package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/builder/embedded"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// requireBuildkitd points MULTIARCH_BUILDKITD at the buildkitd binary
// (its value, else the repo's bin/buildkitd).
func requireBuildkitd(t testing.TB) {
	t.Helper()
	testenv.RequireRoot(t)
	t.Setenv(embedded.EnvBuildkitd, testenv.BuildkitdBinary(t))
}

// tempBuilderDirs returns a state dir (not yet created) and a socket path
// in a testenv.ShortTempDir (t.TempDir paths of long test names do not fit
// in sun_path).
func tempBuilderDirs(t testing.TB) (stateDir, socket string) {
	t.Helper()
	dir := testenv.ShortTempDir(t)
	return filepath.Join(dir, "state"), filepath.Join(dir, "bk.sock")
}

// startCLINode starts an embedded builder in temp dirs, stops it when the
// test ends (showing its log when the test failed) and returns its
// address; BUILDKIT_HOST is left alone.
func startCLINode(t testing.TB) string {
	t.Helper()
	addr, _ := startCLINodeState(t)
	return addr
}

// startCLINodeState is startCLINode that also returns the builder's state
// directory (its pid file is buildkitd.pid there).
func startCLINodeState(t testing.TB) (address, stateDir string) {
	t.Helper()
	requireBuildkitd(t)
	state, sock := tempBuilderDirs(t)
	// An embedded builder of the environment, so $MULTIARCH_BUILDKITD
	// still names its buildkitd.
	e, err := embedded.New(embedded.WithEnv(getenv), embedded.WithStateDir(state), embedded.WithSocket(sock))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("buildkitd log (%s):\n%s", e.LogFile(), testenv.LogTail(e.LogFile()))
		}
		if _, err := e.Down(context.Background()); err != nil {
			t.Errorf("down: %v", err)
		}
	})
	if _, _, err := e.Up(t.Context()); err != nil {
		t.Fatal(err)
	}
	return e.Address(), state
}

// startCLIBuilder starts a node (startCLINode) and points BUILDKIT_HOST
// at it.
func startCLIBuilder(t testing.TB) string {
	t.Helper()
	addr := startCLINode(t)
	t.Setenv(builder.EnvBuildkitHost, addr)
	return addr
}

func TestBuilderUpStatusDownCLI(t *testing.T) {
	requireBuildkitd(t)
	t.Setenv(builder.EnvBuildkitHost, "")
	os.Unsetenv(builder.EnvBuildkitHost)
	state, sock := tempBuilderDirs(t)
	flags := []string{"--state-dir", state, "--socket", sock}
	t.Cleanup(func() {
		runCLI(t, cliRun{ctx: context.Background(), args: append([]string{"builder", "down"}, flags...)})
	})

	r := runArgs(t, append([]string{"builder", "status"}, flags...)...)
	if out := r.stdout; !r.failed() || !strings.Contains(out, "not reachable") || !strings.Contains(out, "multiarch builder up") {
		t.Fatalf("status before up: exit %d, err=%v\n%s", r.code, r.err, out)
	}
	r = runArgs(t, append([]string{"builder", "up"}, flags...)...)
	if !r.ok() || !strings.Contains(r.stdout, "builder started") {
		t.Fatalf("up: %v\n%s", r.err, r.stdout)
	}
	r = runArgs(t, append([]string{"builder", "up"}, flags...)...)
	if !r.ok() || !strings.Contains(r.stdout, "already running") {
		t.Fatalf("second up: %v\n%s", r.err, r.stdout)
	}
	r = runArgs(t, append([]string{"builder", "status"}, flags...)...)
	if out := r.stdout; !r.ok() || !strings.Contains(out, "state:      running (pid ") || !strings.Contains(out, "linux/arm64") || !strings.Contains(out, "unix://"+sock) {
		t.Fatalf("status: %v\n%s", r.err, out)
	}
	t.Logf("status:\n%s", r.stdout)
	// BUILDKIT_HOST names the builder status reports.
	t.Setenv(builder.EnvBuildkitHost, "unix://"+sock)
	r = runArgs(t, "builder", "status")
	if !r.ok() || !strings.Contains(r.stdout, "remote (BUILDKIT_HOST)") || !strings.Contains(r.stdout, "linux/s390x") {
		t.Fatalf("status via BUILDKIT_HOST: %v\n%s", r.err, r.stdout)
	}
	os.Unsetenv(builder.EnvBuildkitHost)
	r = runArgs(t, append([]string{"builder", "down"}, flags...)...)
	if !r.ok() || !strings.Contains(r.stdout, "builder stopped") {
		t.Fatalf("down: %v\n%s", r.err, r.stdout)
	}
	r = runArgs(t, append([]string{"builder", "down"}, flags...)...)
	if !r.ok() || !strings.Contains(r.stdout, "not running") {
		t.Fatalf("second down: %v\n%s", r.err, r.stdout)
	}
}
