package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// TestBuildEmbeddedGrantsEntitlementsE2E: an embedded builder started
// before it granted entitlements (its config lacks insecure-entitlements,
// as older versions wrote it) refuses --network host; build restarts it
// with the config that grants it, says so, and the build succeeds.
func TestBuildEmbeddedGrantsEntitlementsE2E(t *testing.T) {
	requireBuildkitd(t)
	state, sock := embeddedEnv(t)
	t.Cleanup(func() { stopEmbeddedCLI(t, state, sock) })
	if r := runArgs(t, "builder", "up"); !r.ok() {
		t.Fatalf("builder up: %v\n%s%s", r.err, r.stdout, r.stderr)
	}
	config := filepath.Join(state, "buildkitd.toml")
	b, err := os.ReadFile(config)
	if err != nil || !strings.Contains(string(b), "insecure-entitlements") {
		t.Fatalf("config grants no entitlements (%v):\n%s", err, b)
	}
	if r := runArgs(t, "builder", "down"); !r.ok() {
		t.Fatalf("builder down: %v\n%s", r.err, r.stdout)
	}
	var old []string
	for line := range strings.Lines(string(b)) {
		if !strings.HasPrefix(line, "insecure-entitlements") {
			old = append(old, line)
		}
	}
	if err := os.WriteFile(config, []byte(strings.Join(old, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	startOldDaemon(t, state, config, sock)

	ctxDir := scratchContext(t, "granted\n")
	t.Setenv(builder.EnvBuildkitHost, "unix://"+sock)
	r := runArgs(t, "build", ctxDir, "--platform", "linux/amd64", "--network", "host")
	requireFailureSays(t, "old daemon", r, "does not grant the entitlement network.host")

	t.Setenv(builder.EnvBuildkitHost, "")
	os.Unsetenv(builder.EnvBuildkitHost)
	r = runArgs(t, "build", ctxDir, "--platform", "linux/amd64", "--network", "host", "--allow", "security.insecure")
	if !r.ok() {
		t.Fatalf("build on the embedded builder: %v\n%s", r.err, r.stderr)
	}
	if want := "restarted the embedded builder to let it grant security.insecure, network.host"; !strings.Contains(r.stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
	}
	r = runArgs(t, "build", ctxDir, "--platform", "linux/amd64", "--network", "host")
	if !r.ok() || strings.Contains(r.stderr, "restarted") {
		t.Errorf("second build restarted the builder again or failed: %v\n%s", r.err, r.stderr)
	}
}

// startOldDaemon starts buildkitd with config as the embedded builder
// starts it (same command line and pid file), and waits for its socket.
func startOldDaemon(t *testing.T, state, config, sock string) {
	t.Helper()
	cmd := exec.Command(testenv.BuildkitdBinary(t), "--config", config)
	logf, err := os.OpenFile(filepath.Join(state, "buildkitd.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go cmd.Wait()
	t.Cleanup(func() { cmd.Process.Kill() })
	if err := os.WriteFile(filepath.Join(state, "buildkitd.pid"), []byte(strconv.Itoa(cmd.Process.Pid)), 0o644); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if _, err := os.Stat(sock); err == nil {
			return
		}
	}
	t.Fatalf("old buildkitd did not create %s:\n%s", sock, testenv.LogTail(filepath.Join(state, "buildkitd.log")))
}
