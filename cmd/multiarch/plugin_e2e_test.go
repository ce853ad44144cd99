package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// TestDockerCLIPluginE2E installs the binary as a Docker CLI plugin
// ($DOCKER_CONFIG/cli-plugins/docker-multiarch) and runs it through the
// real docker CLI, which needs no daemon for a plugin: docker lists it
// with its metadata, `docker multiarch version` runs it, and its exit
// codes come through docker (2 for an unknown flag, 3 for a registry
// nobody listens for).
func TestDockerCLIPluginE2E(t *testing.T) {
	docker, err := exec.LookPath("docker")
	testenv.Require(t, err == nil, "no docker CLI (the client alone is enough)")
	env := newCLIEnv(t)
	cfg := t.TempDir()
	plugins := filepath.Join(cfg, "cli-plugins")
	b, err := os.ReadFile(env.bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(plugins, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(plugins, "docker-multiarch"), b, 0o755); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (int, string) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, docker, args...)
		cmd.Env = append(env.env, "DOCKER_CONFIG="+cfg, "DOCKER_HOST=unix:///nonexistent/docker.sock")
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatalf("docker %s: %v", strings.Join(args, " "), err)
		}
		t.Logf("docker %s: exit %d\n%s", strings.Join(args, " "), cmd.ProcessState.ExitCode(), tail(string(out), 1000))
		return cmd.ProcessState.ExitCode(), string(out)
	}
	if code, out := run("--help"); code != 0 || !strings.Contains(out, "multiarch*") || !strings.Contains(out, "multi-architecture images") {
		t.Errorf("docker --help: exit %d, no multiarch plugin with its description listed", code)
	}
	if code, out := run("multiarch", "version"); code != 0 || !strings.HasPrefix(out, "multiarch ") {
		t.Errorf("docker multiarch version: exit %d, %q", code, out)
	}
	// docker's own completion asks the plugin (docker-multiarch __complete
	// multiarch ...) since docker 26; an older CLI completes no plugin
	// command at all, which is said rather than failed.
	if _, out := run("__complete", "multiarch", ""); !strings.Contains(out, "verify") {
		t.Logf("this docker CLI does not pass completion on to plugins; completion through it not checked")
	} else if code, out := run("__complete", "multiarch", "verify", "img", "--platform", "linux/s390"); code != 0 || !strings.Contains(out, "linux/s390x") {
		t.Errorf("docker __complete multiarch verify img --platform linux/s390: exit %d, no linux/s390x", code)
	}
	if code, out := run("multiarch", "verify", "--no-such-flag"); code != 2 || !strings.Contains(out, "unknown flag") {
		t.Errorf("docker multiarch verify --no-such-flag: exit %d, want 2", code)
	}
	if code, out := run("multiarch", "inspect", closedPort(t)+"/x:1"); code != 3 || !strings.Contains(out, "registry unreachable") {
		t.Errorf("docker multiarch inspect CLOSED: exit %d, want 3", code)
	}
}
