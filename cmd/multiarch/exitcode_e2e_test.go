package main

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// runCode runs the binary to completion within d and returns its exit
// code and combined output; a run that outlives d fails the test.
func (e *cliEnv) runCode(t *testing.T, d time.Duration, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	cmd := exec.CommandContext(ctx, e.bin, args...)
	cmd.Env = e.env
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("multiarch %s: still running after %v:\n%s", strings.Join(args, " "), d, out)
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("multiarch %s: %v", strings.Join(args, " "), err)
	}
	code := cmd.ProcessState.ExitCode()
	t.Logf("multiarch %s: exit %d\n%s", strings.Join(args, " "), code, tail(string(out), 1500))
	return code, string(out)
}

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestExitCodesE2E runs the real binary on a real case of every exit
// code: 0 a passing verify; 1 verify of a wrong-arch image and a test
// whose command fails; 2 an unknown flag, a bad platform, an unknown
// command and a bad argument count; 3 a registry nobody listens for and
// one that hangs past --registry-timeout; 130 and 143 on SIGINT and
// SIGTERM while a registry hangs, promptly.
func TestExitCodesE2E(t *testing.T) {
	env := newCLIEnv(t)
	reg := testenv.StartRegistry(t)
	amd64 := testenv.Platforms(t, "linux/amd64")
	good := reg.Ref("exit/good", "1")
	testenv.PushBusyboxIndex(t, good, amd64...)
	wrong := reg.Ref("exit/wrongarch", "1")
	testenv.PushWrongArchIndex(t, wrong)
	proxy := testenv.StartFaultProxy(t, reg)
	proxy.Inject(t, testenv.Fault{Kind: testenv.FaultHang, Method: "GET", Path: "/manifests/"})
	hanging := proxy.Ref("exit/good", "1")

	cases := []struct {
		name string
		args []string
		code int
		says string
	}{
		{"verify passes", []string{"verify", good}, 0, "verified"},
		{"verify of a wrong-arch image", []string{"verify", wrong}, 1, "violation"},
		{"unknown flag", []string{"verify", good, "--no-such-flag"}, 2, "unknown flag: --no-such-flag"},
		{"bad platform", []string{"verify", good, "--platform", "linux/bogus"}, 2, `unknown platform "linux/bogus"`},
		{"unknown command", []string{"verfy", good}, 2, "unknown command"},
		{"no argument", []string{"inspect"}, 2, "arg"},
		{"bad --registry-timeout", []string{"inspect", good, "--registry-timeout", "soon"}, 2, "registry-timeout"},
		{"registry unreachable", []string{"inspect", closedPort(t) + "/exit/good:1"}, 3, "registry unreachable"},
		{"registry hangs past --registry-timeout", []string{"verify", hanging, "--registry-timeout", "2s"}, 3, "registry timeout"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out := env.runCode(t, time.Minute, c.args...)
			if code != c.code || !strings.Contains(out, c.says) {
				t.Errorf("exit %d, want %d and output containing %q", code, c.code, c.says)
			}
		})
	}

	t.Run("a failing test and a failing RUN step", func(t *testing.T) {
		env.run(t, 2*time.Minute, "builder", "up")
		t.Cleanup(func() { env.down(t) })
		code, out := env.runCode(t, 3*time.Minute, "test", good, "--platform", "linux/amd64", "--", "sh", "-c", "exit 7")
		if code != 1 || !strings.Contains(out, "linux/amd64") {
			t.Errorf("test: exit %d, want 1 and the failed cell", code)
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("ARG BASE\nFROM ${BASE}\nRUN exit 9\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		code, out = env.runCode(t, 3*time.Minute, "build", dir, "--platform", "linux/amd64", "--build-arg", "BASE="+good, "--progress", "plain")
		if code != 1 || !strings.Contains(out, "exit code: 9") {
			t.Errorf("build with a failing RUN step: exit %d, want 1 and the step's exit code", code)
		}
	})

	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run("interrupted by "+sig.String(), func(t *testing.T) {
			before := proxy.Hits("GET", "/manifests/")
			p := env.start(t, "verify", hanging, "--registry-timeout", "10m")
			// The registry was asked for the manifest: the command waits on it.
			deadline := time.Now().Add(30 * time.Second)
			for proxy.Hits("GET", "/manifests/") == before {
				if time.Now().After(deadline) {
					t.Fatalf("no manifest request within 30s:\n%s", p.stderr())
				}
				time.Sleep(50 * time.Millisecond)
			}
			sent := time.Now()
			if err := p.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			st := p.wait(t, 5*time.Second)
			took := time.Since(sent)
			t.Logf("%s: exit %d after %v \n%s", sig, st.ExitCode(), took, tail(p.stderr(), 800))
			if !st.Exited() || st.ExitCode() != 128+int(sig) {
				t.Errorf("want exit %d of its own, got %v", 128+int(sig), st)
			}
			if want := "multiarch: interrupted (" + sig.String() + " signal received)"; !strings.Contains(p.stderr(), want) {
				t.Errorf("stderr lacks %q", want)
			}
		})
	}
}
