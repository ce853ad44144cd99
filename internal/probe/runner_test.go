package probe

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

const testToken = "multiarch-runner-0123456789abcdef"

// runnerOutput is a runner's two streams split per command.
type runnerOutput struct {
	stdout, stderr *RunnerStream
	out, err       map[int]string
}

func newRunnerOutput() *runnerOutput {
	o := &runnerOutput{out: map[int]string{}, err: map[int]string{}}
	o.stdout = NewRunnerStream(testToken, true, func(i int, p []byte) { o.out[i] += string(p) })
	o.stderr = NewRunnerStream(testToken, false, func(i int, p []byte) { o.err[i] += string(p) })
	return o
}

// The runner runs each command as its child, in order, and reports how
// each ended: exit codes, a signal, a command that cannot be executed;
// each command's output is its own. Natively, on the host's target.
func TestRunnerRunsEachCommand(t *testing.T) {
	testenv.Require(t, runtime.GOOS == "linux" && runtime.GOARCH == "amd64", "an x86-64 Linux host (the native runner is x86-64)")
	p := platform.Host()
	b, err := Runner(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 1024 {
		t.Errorf("%d bytes, want a tiny file", len(b))
	}
	bin := filepath.Join(t.TempDir(), "runner")
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal(err)
	}
	cmds := []RunnerCommand{
		{Path: sh, Args: []string{"sh", "-c", "echo out; echo err >&2; exit 3"}},
		{Path: "/nonexistent", Args: []string{"nope"}},
		{Path: sh, Args: []string{"sh", "-c", "echo $FOO; kill -SEGV $$"}},
		{Path: sh, Args: []string{"sh", "-c", "printf 'no newline'"}},
	}
	o := newRunnerOutput()
	cmd := exec.Command(bin, RunnerArgs(bin, testToken, cmds)[1:]...)
	cmd.Env = []string{"FOO=bar"}
	cmd.Stdout, cmd.Stderr = o.stdout, o.stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("runner: %v", err)
	}
	o.stdout.Close()
	o.stderr.Close()
	recs, err := RunnerRecords(o.stdout, o.stderr, len(cmds))
	if err != nil || len(recs) != 4 {
		t.Fatalf("records %+v, %v", recs, err)
	}
	if r := recs[0]; !r.Status.Exited() || r.Status.ExitStatus() != 3 || o.out[0] != "out\n" || o.err[0] != "err\n" {
		t.Errorf("command 1: %+v %q %q", r, o.out[0], o.err[0])
	}
	if r := recs[1]; r.ExecErrno != syscall.ENOENT || r.Status.ExitStatus() != 127 {
		t.Errorf("command 2: %+v", r)
	}
	if r := recs[2]; !r.Status.Signaled() || r.Status.Signal() != syscall.SIGSEGV || o.out[2] != "bar\n" {
		t.Errorf("command 3: %+v %q", r, o.out[2])
	}
	if r := recs[3]; !r.Status.Exited() || r.Status.ExitStatus() != 0 || o.out[3] != "no newline" || o.out[4] != "" {
		t.Errorf("command 4: %+v %v", r, o.out)
	}
	// Bad arguments: no token, or a command without its closing token.
	for _, args := range [][]string{{}, {testToken, sh, "sh"}, {strings.Repeat("x", MaxRunnerToken+1), sh, "sh", strings.Repeat("x", MaxRunnerToken+1)}} {
		err := exec.Command(bin, args...).Run()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
			t.Errorf("runner %q: %v, want exit 2", args, err)
		}
	}
}

// record is a runner record as the runner writes it.
func record(lo, hi byte) string { return testToken + string([]byte{lo, hi}) }

// A garbled or incomplete report is an error or a command that did not
// end, never a record that says it passed.
func TestRunnerRecordsGarbled(t *testing.T) {
	ok := record(0, 0)
	cases := []struct {
		name           string
		stdout, stderr string
		n, want        int
		bad            bool
	}{
		{name: "both commands", stdout: "a" + ok + "b" + record(0, 3), stderr: ok + record(0, 3), n: 2, want: 2},
		{name: "second not ended", stdout: ok + "partial", stderr: ok, n: 2, want: 1},
		{name: "stderr behind", stdout: ok + record(0, 3), stderr: ok, n: 2, want: 1},
		{name: "streams disagree", stdout: record(0, 1), stderr: ok, n: 1, bad: true},
		{name: "one record too many", stdout: ok + ok, stderr: ok + ok, n: 1, bad: true},
		{name: "exec failure on stderr", stdout: ok, stderr: record(execFailed, 2) + ok, n: 1, bad: true},
		{name: "exec failure twice", stdout: record(execFailed, 2) + record(execFailed, 2) + ok, stderr: ok, n: 1, bad: true},
		{name: "exec failure without status", stdout: record(execFailed, 2), stderr: "", n: 1, bad: true, want: 0},
		{name: "cut record", stdout: testToken + "\x00", stderr: "", n: 1, want: 0},
		{name: "no report", stdout: "hello", stderr: "", n: 2, want: 0},
	}
	for _, c := range cases {
		for _, chunk := range []int{1, 7, 1 << 20} {
			o := newRunnerOutput()
			for _, w := range []struct {
				s   *RunnerStream
				txt string
			}{{o.stdout, c.stdout}, {o.stderr, c.stderr}} {
				for b := []byte(w.txt); len(b) > 0; {
					n := min(chunk, len(b))
					w.s.Write(b[:n])
					b = b[n:]
				}
				w.s.Close()
			}
			recs, err := RunnerRecords(o.stdout, o.stderr, c.n)
			if (err != nil) != c.bad || len(recs) != c.want {
				t.Errorf("%s (writes of %d): %d records, %v; want %d, error %v", c.name, chunk, len(recs), err, c.want, c.bad)
			}
			for _, s := range []string{o.out[0], o.out[1], o.out[2]} {
				if strings.Contains(s, testToken) {
					t.Errorf("%s: the token leaked into a command's output: %q", c.name, s)
				}
			}
		}
	}
	// Output passes through in order, split at the records.
	o := newRunnerOutput()
	o.stdout.Write([]byte("x" + testToken[:5]))
	o.stdout.Write([]byte(testToken[5:] + "\x00\x00y" + testToken[:3]))
	o.stdout.Close()
	if o.out[0] != "x" || o.out[1] != "y"+testToken[:3] {
		t.Errorf("split: %v", o.out)
	}
}
