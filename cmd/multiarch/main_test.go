package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/multiarch-dev/multiarch/internal/build"
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
			requireNotPushed(t, tag)
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
	if !st.Exited() || st.ExitCode() == 0 {
		t.Errorf("want a non-zero exit of its own, got %v", st)
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

// requireNotPushed checks that the registry answers 404 for tag.
func requireNotPushed(t *testing.T, tag string) {
	t.Helper()
	ref, err := name.ParseReference(tag)
	if err != nil {
		t.Fatal(err)
	}
	_, err = remote.Head(ref, remote.WithContext(t.Context()))
	var te *transport.Error
	if !errors.As(err, &te) || te.StatusCode != http.StatusNotFound {
		t.Errorf("%s: want 404 (nothing pushed), got %v", tag, err)
	}
}

// cliEnv is a freshly built multiarch binary and the environment that
// points it at an embedded builder of its own (temp state dir and socket,
// no BUILDKIT_HOST).
type cliEnv struct {
	bin, stateDir string
	env           []string
}

func newCLIEnv(t *testing.T) *cliEnv {
	t.Helper()
	testenv.RequireRoot(t)
	bkd := os.Getenv(build.EnvBuildkitd)
	if bkd == "" {
		bkd = filepath.Join(testenv.RepoRoot(t), "bin", "buildkitd")
	}
	_, err := os.Stat(bkd)
	testenv.Require(t, err == nil, "buildkitd binary "+bkd+" missing: make build")
	_, err = exec.LookPath("go")
	testenv.Require(t, err == nil, "no go command to build multiarch")

	dir, err := os.MkdirTemp("", "ma")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	e := &cliEnv{bin: filepath.Join(dir, "multiarch"), stateDir: filepath.Join(dir, "state")}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", e.bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, build.EnvBuildkitHost+"=") {
			e.env = append(e.env, kv)
		}
	}
	e.env = append(e.env, build.EnvBuildkitd+"="+bkd, build.EnvStateDir+"="+e.stateDir,
		build.EnvSocket+"="+filepath.Join(dir, "bk.sock"))
	return e
}

// run runs the binary to completion within d and fails the test when it
// fails.
func (e *cliEnv) run(t *testing.T, d time.Duration, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	cmd := exec.CommandContext(ctx, e.bin, args...)
	cmd.Env = e.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("multiarch %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// down stops the builder (in a cleanup: no t.Context) and shows its log
// when the test failed.
func (e *cliEnv) down(t *testing.T) {
	t.Helper()
	if t.Failed() {
		b, _ := os.ReadFile(filepath.Join(e.stateDir, "buildkitd.log"))
		t.Logf("buildkitd log (tail):\n%s", tail(string(b), 8<<10))
	}
	if out := e.run(t, build.StopGrace+20*time.Second, "builder", "down"); !strings.Contains(out, "builder stopped") {
		t.Errorf("builder down: %s", out)
	}
}

// proc is a running multiarch whose stderr is collected as it comes.
type proc struct {
	cmd    *exec.Cmd
	done   chan struct{} // stderr closed
	waited chan error
	mu     sync.Mutex
	buf    strings.Builder
}

func (e *cliEnv) start(t *testing.T, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(e.bin, args...), done: make(chan struct{}), waited: make(chan error, 1)}
	p.cmd.Env = e.env
	r, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.cmd.Process.Kill() })
	go p.collect(r)
	return p
}

func (p *proc) collect(r io.Reader) {
	defer close(p.done)
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		p.mu.Lock()
		fmt.Fprintln(&p.buf, sc.Text())
		p.mu.Unlock()
	}
}

func (p *proc) stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.buf.String()
}

// waitFor waits until stderr contains s.
func (p *proc) waitFor(t *testing.T, s string, d time.Duration) {
	t.Helper()
	timeout := time.After(d)
	for !strings.Contains(p.stderr(), s) {
		select {
		case <-p.done:
			t.Fatalf("exited before printing %q:\n%s", s, p.stderr())
		case <-timeout:
			t.Fatalf("no %q within %v:\n%s", s, d, p.stderr())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// wait waits up to d for the process to exit, killing it when it does not.
func (p *proc) wait(t *testing.T, d time.Duration) *os.ProcessState {
	t.Helper()
	go func() {
		<-p.done // all of stderr read before Wait closes the pipe
		p.waited <- p.cmd.Wait()
	}()
	select {
	case <-p.waited:
		return p.cmd.ProcessState
	case <-time.After(d):
		p.cmd.Process.Kill()
		<-p.waited
		t.Fatalf("still running %v after the signal:\n%s", d, p.stderr())
		return nil
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
