package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// The one way the cli tests run multiarch: in-process, the whole command
// tree, through Execute with the streams and the error rendering of Main,
// so a test sees what a user of the binary sees (stdout, stderr with the
// "multiarch: MESSAGE" line, the exit code) and still holds the command's
// error for errors.Is/As.

// cliRun is one command line to run.
type cliRun struct {
	args []string
	// stdin is the command's standard input (empty: nothing to read).
	stdin string
	// timeout bounds the command; the test fails at once when it is
	// reached. Zero: no bound but ctx's.
	timeout time.Duration
	// ctx is the command's context; nil is t.Context(). A cleanup needs
	// its own: t.Context() is cancelled before cleanups run.
	ctx context.Context
	// logStdout logs stdout with the one-line record of the run.
	logStdout bool
}

// cliResult is what one command line did.
type cliResult struct {
	stdout, stderr string
	// code is the exit code Main returns for err.
	code int
	// err is the command's error, unrendered.
	err error
}

// ok reports whether the command succeeded: no error, exit code 0.
func (r cliResult) ok() bool { return r.err == nil && r.code == 0 }

// failed reports whether the command failed with the exit code of a
// failure: 1 (a check failed), 2 (usage or configuration) or 3
// (infrastructure), the class of its error (exitcode.go); not 0, not a
// signal's. failedWith asserts the class too.
func (r cliResult) failed() bool {
	return r.err != nil && (r.code == ExitFailed || r.code == ExitUsage || r.code == ExitInfra)
}

// failedWith reports whether the command failed with exit code code.
func (r cliResult) failedWith(code int) bool { return r.err != nil && r.code == code }

// message is what the user reads for the error (Message: its text and
// its next steps), "" without one.
func (r cliResult) message() string {
	if r.err == nil {
		return ""
	}
	return Message(r.err)
}

// runCLI runs one command line in-process. Its stderr ends, on failure,
// with exactly the line Main prints; TestHarnessIsMain keeps the two the
// same.
func runCLI(t testing.TB, r cliRun) cliResult {
	t.Helper()
	ctx := r.ctx
	if ctx == nil {
		ctx = t.Context()
	}
	if r.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.timeout)
		defer cancel()
	}
	var out, errb bytes.Buffer
	start := time.Now()
	err := Execute(ctx, r.args, Streams{In: strings.NewReader(r.stdin), Out: &out, Err: &errb})
	if err != nil {
		fmt.Fprintln(&errb, "multiarch:", Message(err)) // as Main
	}
	res := cliResult{stdout: out.String(), stderr: errb.String(), code: ExitCode(err), err: err}
	line := fmt.Sprintf("multiarch %s: exit %d in %v", strings.Join(r.args, " "), res.code, time.Since(start).Round(time.Millisecond))
	if r.logStdout {
		line += "\nstdout:\n" + res.stdout
	}
	t.Log(line)
	if r.timeout > 0 && ctx.Err() != nil {
		t.Fatalf("multiarch %s: no answer within %v (%v)", strings.Join(r.args, " "), r.timeout, err)
	}
	return res
}

// runArgs runs args with no input and no bound of its own.
func runArgs(t testing.TB, args ...string) cliResult {
	t.Helper()
	return runCLI(t, cliRun{args: args})
}

// runJSON runs r and decodes its stdout, a --json document, into a T;
// stdout that is not one fails the test now.
func runJSON[T any](t testing.TB, r cliRun) (*T, cliResult) {
	t.Helper()
	res := runCLI(t, r)
	var doc T
	if err := json.Unmarshal([]byte(res.stdout), &doc); err != nil {
		t.Fatalf("multiarch %s: stdout is not a JSON %T (%v):\n%s\nstderr:\n%s\nerr: %v",
			strings.Join(r.args, " "), doc, err, res.stdout, res.stderr, res.err)
	}
	return &doc, res
}

// requireErrorSays fails unless err is an error whose message as the user
// reads it (Message: its text, then its next steps) holds every one of
// wants.
func requireErrorSays(t *testing.T, what string, err error, wants ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error", what)
	}
	for _, w := range wants {
		if msg := Message(err); !strings.Contains(msg, w) {
			t.Errorf("%s: error lacks %q:\n%v", what, w, msg)
		}
	}
}

// requireFailureSays fails unless the command failed with a failure's
// exit code (failed: 1, 2 or 3) and an error that says every one of wants
// (requireErrorSays).
func requireFailureSays(t *testing.T, what string, r cliResult, wants ...string) {
	t.Helper()
	if r.err != nil && !r.failed() {
		t.Errorf("%s: exit code %d, want 1, 2 or 3", what, r.code)
	}
	requireErrorSays(t, what, r.err, wants...)
}

// requireRefusedOffline fails unless the command was refused as
// requireFailureSays checks, without contacting the builder (the tests set
// BUILDKIT_HOST to tcp://127.0.0.1:1, where nothing listens) and with
// nothing on stdout.
func requireRefusedOffline(t *testing.T, what string, r cliResult, wants ...string) {
	t.Helper()
	if !r.failed() {
		t.Fatalf("%s: want a failure, got %v\nstdout:\n%s", what, r.err, r.stdout)
	}
	requireFailureSays(t, what, r, wants...)
	if msg := r.message(); strings.Contains(msg, "127.0.0.1:1") {
		t.Errorf("%s: the builder was contacted:\n%s", what, msg)
	}
	if r.stdout != "" {
		t.Errorf("%s: stdout not empty: %q", what, r.stdout)
	}
}

// TestHarnessIsMain: what runCLI returns is what Main prints and returns,
// for a success and for a failure with a next step.
func TestHarnessIsMain(t *testing.T) {
	for _, args := range [][]string{
		{"version"},
		{"doctor", "--platform", "linux/sparc99"},
		{"binfmt", "ls", "--binfmt-dir", t.TempDir()},
	} {
		var out, errb bytes.Buffer
		code := Main(t.Context(), args, Streams{In: strings.NewReader(""), Out: &out, Err: &errb})
		r := runArgs(t, args...)
		if r.stdout != out.String() || r.stderr != errb.String() || r.code != code || (r.err == nil) != (code == 0) {
			t.Errorf("%v: harness %d %q %q, Main %d %q %q", args, r.code, r.stdout, r.stderr, code, out.String(), errb.String())
		}
		if code != 0 && !strings.HasSuffix(r.stderr, "multiarch: "+r.message()+"\n") {
			t.Errorf("%v: stderr does not end with the rendered error:\n%s", args, r.stderr)
		}
	}
}
