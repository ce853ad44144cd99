package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/builder/embedded"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

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
	bkd := testenv.BuildkitdBinary(t)
	_, err := exec.LookPath("go")
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
		if !strings.HasPrefix(kv, builder.EnvBuildkitHost+"=") {
			e.env = append(e.env, kv)
		}
	}
	e.env = append(e.env, embedded.EnvBuildkitd+"="+bkd, embedded.EnvStateDir+"="+e.stateDir,
		embedded.EnvSocket+"="+filepath.Join(dir, "bk.sock"))
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
	if out := e.run(t, embedded.StopGrace+20*time.Second, "builder", "down"); !strings.Contains(out, "builder stopped") {
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
