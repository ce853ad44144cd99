package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// interruptBound is how long the CLI may take to exit after the signal.
const interruptBound = 20 * time.Second

// runMarker is what the RUN step prints once it runs; the Dockerfile
// spells it as $((6*7)) so the step's own name never matches it.
const runMarker = "sleeping-42"

// slowDockerfile sleeps in a RUN step long enough to be interrupted in
// it; %s is a token that names the step's shell in the process table.
const slowDockerfile = `ARG BASE=busybox
FROM ${BASE}
RUN echo "sleeping-$((6*7))" && sleep 60 && echo %s
`

// TestInterruptBuildE2E sends SIGINT and SIGTERM to a real `multiarch
// build --push` while its RUN step runs: the process exits promptly,
// non-zero, by its own exit (not killed by the signal), says it was
// interrupted, pushes nothing, the step's processes are gone and the
// builder still runs.
func TestInterruptBuildE2E(t *testing.T) {
	env := newCLIEnv(t)
	reg := testenv.StartRegistry(t)
	base := reg.Ref("busybox", "latest")
	testenv.PushBusyboxIndex(t, base, testenv.Platforms(t, "linux/amd64")...)
	env.run(t, time.Minute, "builder", "up")
	t.Cleanup(func() { env.down(t) })

	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			token := fmt.Sprintf("ma-interrupt-%d-%s", os.Getpid(), sigName(sig))
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), fmt.Appendf(nil, slowDockerfile, token), 0o644); err != nil {
				t.Fatal(err)
			}
			tag := reg.Ref("slow", strings.ToLower(sigName(sig)))
			p := env.start(t, "build", dir, "--platform", "linux/amd64", "-t", tag, "--push",
				"--progress", "plain", "--build-arg", "BASE="+base)
			p.waitFor(t, runMarker, 2*time.Minute)
			if n := processesWith(t, token); n == 0 {
				t.Fatalf("the RUN step's shell (%s) is not in the process table", token)
			}
			interrupt(t, p, sig)
			testenv.CheckNotPushed(t, tag)
			if !waitNoProcessWith(t, token, 10*time.Second) {
				t.Errorf("the RUN step's processes (%s) still run 10s after the build was interrupted", token)
			}
			env.run(t, time.Minute, "builder", "status")
		})
	}
}

// interrupt sends sig to p and checks how it ends.
func interrupt(t *testing.T, p *proc, sig syscall.Signal) {
	t.Helper()
	sent := time.Now()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	st := p.wait(t, interruptBound)
	stderr := p.stderr()
	t.Logf("%s: exit %d after %v\nstderr tail:\n%s", sig, st.ExitCode(), time.Since(sent), tail(stderr, 1500))
	if !st.Exited() || st.ExitCode() != 128+int(sig) {
		t.Errorf("want exit %d (128 + the signal) of its own, got %v", 128+int(sig), st)
	}
	for _, want := range []string{"multiarch: interrupted (" + sig.String() + " signal received)", "nothing exported"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
}

// processesWith counts the processes whose command line contains s.
func processesWith(t *testing.T, s string) int {
	t.Helper()
	paths, err := filepath.Glob("/proc/[0-9]*/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil && strings.Contains(string(b), s) {
			n++
		}
	}
	return n
}

// waitNoProcessWith waits up to d until no process's command line
// contains s.
func waitNoProcessWith(t *testing.T, s string, d time.Duration) bool {
	t.Helper()
	for deadline := time.Now().Add(d); processesWith(t, s) > 0; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			return false
		}
	}
	return true
}

// sigName names the signal as kill -l does, for the tag.
func sigName(sig syscall.Signal) string {
	return map[syscall.Signal]string{syscall.SIGINT: "INT", syscall.SIGTERM: "TERM"}[sig]
}
