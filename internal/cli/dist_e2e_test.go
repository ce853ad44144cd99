package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// envDistDir names the directory holding the tarballs of `make dist`
// (the Makefile exports it; default <repo>/dist).
const envDistDir = "MULTIARCH_DIST_DIR"

// distTarball returns this architecture's dist tarball and its version
// (the part of the name between multiarch_ and _linux_), after checking
// it against SHA256SUMS. No tarball fails under CI and skips elsewhere.
func distTarball(t *testing.T) (path, version string) {
	t.Helper()
	dir := os.Getenv(envDistDir)
	if dir == "" {
		dir = filepath.Join(testenv.RepoRoot(t), "dist")
	}
	m, _ := filepath.Glob(filepath.Join(dir, "multiarch_*_linux_"+runtime.GOARCH+".tar.gz"))
	testenv.Require(t, len(m) == 1, "exactly one "+dir+"/multiarch_*_linux_"+runtime.GOARCH+
		".tar.gz: run `make dist` (found "+strconv.Itoa(len(m))+")")
	path = m[0]
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	sums, err := os.ReadFile(filepath.Join(dir, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	if line := hex.EncodeToString(sum[:]) + "  " + filepath.Base(path); !slices.Contains(strings.Split(string(sums), "\n"), line) {
		t.Fatalf("SHA256SUMS lacks %q:\n%s", line, sums)
	}
	version = strings.TrimSuffix(strings.TrimPrefix(filepath.Base(path), "multiarch_"), "_linux_"+runtime.GOARCH+".tar.gz")
	return path, version
}

// distRun runs the unpacked multiarch with env only (no inherited
// environment), bounded to d.
func distRun(t *testing.T, dir string, env []string, d time.Duration, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(dir, "multiarch"), args...)
	cmd.Env, cmd.Dir = env, t.TempDir()
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.CombinedOutput()
	t.Logf("$ multiarch %s\n%s", strings.Join(args, " "), out)
	return string(out), err
}

// TestDistTarballE2E: the release tarball works with nothing but itself
// and the system's packages. Unpacked into an empty directory, with PATH
// that directory and the system directories only and no MULTIARCH_*
// variable, `multiarch version` prints the version in the tarball's name,
// doctor passes, and a 3-platform build pushes to the test registry on the
// embedded builder started from the buildkitd next to multiarch (the
// daemon's /proc/PID/exe is the unpacked one), which verify then proves.
func TestDistTarballE2E(t *testing.T) {
	testenv.RequireRoot(t)
	tarball, version := distTarball(t)
	dir := t.TempDir()
	if out, err := exec.Command("tar", "-xzf", tarball, "-C", dir).CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	for _, f := range []string{"multiarch", "buildkitd", "README.md", "LICENSES/go/LICENSE",
		"LICENSES/github.com/moby/buildkit/LICENSE"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("tarball lacks %s: %v", f, err)
		}
	}
	state, sock := tempBuilderDirs(t)
	env := []string{"PATH=" + dir + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=" + t.TempDir(), "MULTIARCH_STATE_DIR=" + state, "MULTIARCH_SOCKET=" + sock}
	t.Cleanup(func() {
		if _, err := distRun(t, dir, env, time.Minute, "builder", "down"); err != nil {
			t.Errorf("builder down: %v", err)
		}
	})

	if out, err := distRun(t, dir, env, time.Minute, "version"); err != nil || !strings.HasPrefix(out, "multiarch "+version+" go1.") {
		t.Errorf("version: %v, %q; want %q", err, out, "multiarch "+version+" go1.…")
	}
	platforms := "linux/amd64,linux/arm64,linux/arm/v7"
	out, err := distRun(t, dir, env, 3*time.Minute, "doctor", "--platform", platforms)
	if err != nil {
		t.Fatalf("doctor: %v", err)
	}
	if want := "buildkitd: " + filepath.Join(dir, "buildkitd") + "\n"; !strings.Contains(out, want) {
		t.Errorf("doctor does not find the tarball's buildkitd: no %q", want)
	}

	reg := testenv.StartRegistry(t)
	base := reg.Ref("dist/busybox", "latest")
	testenv.PushBusyboxIndex(t, base, testenv.Platforms(t, strings.Split(platforms, ",")...)...)
	ctxDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(ctxDir, "Dockerfile"),
		[]byte("ARG BASE\nFROM $BASE\nRUN uname -m > /built-on\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tag := reg.Ref("dist/hello", "1")
	if _, err := distRun(t, dir, env, 10*time.Minute, "build", ctxDir, "--platform", platforms,
		"--build-arg", "BASE="+base, "-t", tag, "--push", "--progress", "plain"); err != nil {
		t.Fatalf("build: %v\nbuildkitd log:\n%s", err, testenv.LogTail(filepath.Join(state, "buildkitd.log")))
	}
	exe, err := os.Readlink("/proc/" + strconv.Itoa(runningPID(t, state, sock)) + "/exe")
	if want := filepath.Join(dir, "buildkitd"); err != nil || exe != want {
		t.Errorf("the embedded builder runs %q (%v), want the tarball's %s", exe, err, want)
	}
	out, err = distRun(t, dir, env, 5*time.Minute, "verify", tag)
	if err != nil || !strings.Contains(out, "linux/arm/v7") {
		t.Errorf("verify %s: %v", tag, err)
	}
}
