package embedded

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/testenv"
)

func TestDaemonEnv(t *testing.T) {
	got := daemonEnv(envOf("DOCKER_PASSWORD", "s3cret", "HTTPS_PROXY", "http://proxy:3128", "HOME", "/root"))
	want := []string{"PATH=" + daemonPath, "HTTPS_PROXY=http://proxy:3128"}
	if !slices.Equal(got, want) {
		t.Errorf("daemonEnv = %q, want %q", got, want)
	}
	if got := daemonEnv(envOf("PATH", "/opt/bin")); !slices.Equal(got, []string{"PATH=/opt/bin"}) {
		t.Errorf("daemonEnv with PATH = %q", got)
	}
}

// TestDaemonEnvironE2E starts a real buildkitd from a process whose
// environment holds a password: the daemon's /proc/PID/environ holds only
// what daemonEnv passes, so neither it nor the runc it spawns sees the
// secret.
func TestDaemonEnvironE2E(t *testing.T) {
	const secret = "multiarch-test-secret-9f3c"
	t.Setenv("DOCKER_PASSWORD", secret)
	bin := testenv.BuildkitdBinary(t)
	e := newTestEmbedded(t, bin)
	e.getenv = func(k string) string {
		if k == EnvBuildkitd {
			return bin
		}
		return os.Getenv(k) // the whole process environment, as the CLI lends it
	}
	st, _, err := e.Up(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	environ, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", st.PID))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(environ, []byte(secret)) || bytes.Contains(environ, []byte("DOCKER_PASSWORD")) {
		t.Errorf("buildkitd's environment holds the password: %q", environ)
	}
	for _, kv := range bytes.Split(bytes.TrimRight(environ, "\x00"), []byte{0}) {
		name, _, _ := bytes.Cut(kv, []byte("="))
		if !slices.Contains(daemonVars, string(name)) {
			t.Errorf("buildkitd got %s, which is not in daemonVars", name)
		}
	}
	if !bytes.Contains(environ, []byte("PATH=")) {
		t.Errorf("buildkitd has no PATH: %q", environ)
	}
}

// An empty or garbage pid file names no daemon: Up starts one over it
// instead of failing for good (issue 10, item 8).
func TestUpOverStalePIDFile(t *testing.T) {
	for _, content := range []string{"", "garbage\n", "-3"} {
		if pid, err := readPID(writeTemp(t, content)); pid != 0 || err != nil {
			t.Errorf("readPID(%q) = %d, %v; want 0, nil", content, pid, err)
		}
	}
	e := newTestEmbedded(t, testenv.BuildkitdBinary(t))
	if err := os.MkdirAll(e.stateDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e.pidFile(), []byte("not a pid"), 0o644); err != nil {
		t.Fatal(err)
	}
	st, started, err := e.Up(t.Context())
	if err != nil || !started || st.PID == 0 {
		t.Fatalf("up over a garbage pid file: started=%v pid=%d err=%v", started, st.PID, err)
	}
	if pid, _ := readPID(e.pidFile()); pid != st.PID {
		t.Errorf("pid file holds %d, want the new daemon's %d", pid, st.PID)
	}
}

func writeTemp(t *testing.T, content string) string {
	t.Helper()
	p := t.TempDir() + "/pid"
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
