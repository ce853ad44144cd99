package cli

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/builder/embedded"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// embeddedEnv unsets BUILDKIT_HOST and points MULTIARCH_STATE_DIR and
// MULTIARCH_SOCKET into a fresh directory short enough for sun_path, so
// the embedded builder of the test is never the one at the default paths.
func embeddedEnv(t *testing.T) (stateDir, socket string) {
	t.Helper()
	stateDir, socket = tempBuilderDirs(t)
	t.Setenv(builder.EnvBuildkitHost, "")
	os.Unsetenv(builder.EnvBuildkitHost)
	t.Setenv(embedded.EnvStateDir, stateDir)
	t.Setenv(embedded.EnvSocket, socket)
	return stateDir, socket
}

// scratchContext writes a FROM-scratch Dockerfile and the file it copies.
func scratchContext(t *testing.T, content string) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"Dockerfile": "FROM scratch\nCOPY hello.txt /hello.txt\n",
		"hello.txt":  content,
	}
	for n, c := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestBuildStartsEmbeddedBuilderE2E: with no builder given and
// BUILDKIT_HOST unset, build starts the embedded builder where
// MULTIARCH_STATE_DIR and MULTIARCH_SOCKET say, builds and pushes on it;
// builder status and down (no flags) find the same daemon.
func TestBuildStartsEmbeddedBuilderE2E(t *testing.T) {
	requireBuildkitd(t)
	state, sock := embeddedEnv(t)
	reg := testenv.StartRegistry(t)
	t.Cleanup(func() { stopEmbeddedCLI(t, state, sock) })

	tag := reg.Ref("ondemand", "v1")
	r := runArgs(t, "build", scratchContext(t, "on demand\n"),
		"--platform", "linux/amd64", "-t", tag, "--push", "--progress", "plain")
	out, stderr := r.stdout, r.stderr
	if !r.ok() {
		t.Fatalf("build: %v\nstdout:\n%s\nstderr:\n%s", r.err, out, stderr)
	}
	if want := "starting the embedded builder at " + sock; !strings.Contains(stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr)
	}
	if want := "on unix://" + sock; !strings.Contains(out, want) {
		t.Errorf("summary lacks %q:\n%s", want, out)
	}
	t.Logf("stdout:\n%s\nstderr:\n%s", out, stderr)
	pid := runningPID(t, state, sock)

	r = runArgs(t, "builder", "status")
	if out := r.stdout; !r.ok() || !strings.Contains(out, "state:      running (pid "+strconv.Itoa(pid)+")") ||
		!strings.Contains(out, "address:    unix://"+sock) || !strings.Contains(out, "state dir:  "+state) {
		t.Errorf("builder status (no flags): %v\n%s", r.err, r.stdout)
	}
	checkPushed(t, tag, "on demand\n")
}

// runningPID returns the pid in the state dir's pid file and checks that
// the process lives and its socket exists.
func runningPID(t *testing.T, state, sock string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(state, "buildkitd.pid"))
	if err != nil {
		t.Fatalf("no pid file in %s: %v", state, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || syscall.Kill(pid, 0) != nil {
		t.Fatalf("pid file %q: no live process (%v)", b, err)
	}
	if _, err := os.Stat(sock); err != nil {
		t.Errorf("socket: %v", err)
	}
	return pid
}

// checkPushed reads tag's linux/amd64 image back and its /hello.txt.
func checkPushed(t *testing.T, tag, want string) {
	t.Helper()
	ref, err := name.ParseReference(tag)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(ref, remote.WithContext(t.Context()))
	if err != nil {
		t.Fatalf("%s not in the registry: %v", tag, err)
	}
	img := testenv.ImageFor(t, idx, testenv.Platforms(t, "linux/amd64")[0])
	if got := string(testenv.ReadFile(t, img, "/hello.txt")); got != want {
		t.Errorf("/hello.txt = %q, want %q", got, want)
	}
}

// stopEmbeddedCLI runs `builder down` (no flags, the test's environment)
// and checks that the daemon, its pid file and its socket are gone.
func stopEmbeddedCLI(t *testing.T, state, sock string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), embedded.StopGrace+20*time.Second)
	defer cancel()
	if t.Failed() {
		log := filepath.Join(state, "buildkitd.log")
		t.Logf("buildkitd log (%s):\n%s", log, testenv.LogTail(log))
	}
	pidb, _ := os.ReadFile(filepath.Join(state, "buildkitd.pid"))
	r := runCLI(t, cliRun{ctx: ctx, args: []string{"builder", "down"}})
	if !r.ok() || !strings.Contains(r.stdout, "builder stopped") {
		t.Errorf("builder down: %v\n%s%s", r.err, r.stdout, r.stderr)
	}
	for _, p := range []string{filepath.Join(state, "buildkitd.pid"), sock} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left behind: %v", p, err)
		}
	}
	if pid, err := strconv.Atoi(strings.TrimSpace(string(pidb))); err == nil && !processGone(pid, 5*time.Second) {
		t.Errorf("buildkitd (pid %d) still runs after builder down", pid)
	}
}

// processGone waits up to d for pid to disappear (it may be a zombie
// until the goroutine that started it reaps it).
func processGone(pid int, d time.Duration) bool {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
			return true
		}
	}
	return false
}

// TestBuildEmbeddedEnvBadInputCLI: a relative MULTIARCH_SOCKET or
// MULTIARCH_STATE_DIR is an error naming the variable, before anything
// starts (the buildkitd binary is /bin/false so nothing could).
func TestBuildEmbeddedEnvBadInputCLI(t *testing.T) {
	for _, tc := range []struct{ env, value string }{
		{embedded.EnvSocket, "bk.sock"},
		{embedded.EnvStateDir, "state"},
	} {
		t.Run(tc.env, func(t *testing.T) {
			state, _ := embeddedEnv(t)
			t.Setenv(embedded.EnvBuildkitd, "/bin/false")
			t.Setenv(tc.env, tc.value)
			want := tc.env + ": "
			for _, args := range [][]string{
				{"build", scratchContext(t, "x"), "--platform", "linux/amd64"},
				{"builder", "status"},
				{"builder", "up"},
			} {
				requireFailureSays(t, strings.Join(args, " "), runArgs(t, args...), want, "absolute path")
			}
			if _, err := os.Stat(state); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("state dir created despite the bad variable: %v", err)
			}
		})
	}
}
