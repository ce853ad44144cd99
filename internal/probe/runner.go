package probe

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"syscall"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

// Runner returns the runner executable for p's QEMU target: a static ELF
// file of a few hundred bytes that runs as a test container's PID 1,
// natively on the builder's node, and runs commands one after the other
// as its children (see RunnerArgs), reporting how each ended in its
// output (see RunnerStream). One container process then runs every check
// of a test cell: one container start, where a holder and an exec per
// check cost one each, every one of them a runtime start and a seccomp
// filter compiled. Being PID 1 itself, it keeps the checks off PID 1 as
// the holder does. The error wraps errors.ErrUnsupported for a target
// without one; such nodes run the checks beside the holder.
func Runner(p platform.Platform) ([]byte, error) {
	rc, ok := runners[p.QEMUArch]
	if !ok {
		return nil, fmt.Errorf("runner %s: %w: no runner binary for QEMU target %q", p, errors.ErrUnsupported, p.QEMUArch)
	}
	return buildELF(p, rc.flags, rc.code)
}

// RunnerCommand is one command of a runner: Path is executed with Args
// (Args[0] included) as its argument vector.
type RunnerCommand struct {
	Path string
	Args []string
}

// MaxRunnerToken bounds the token's length (the runner's record buffer).
const MaxRunnerToken = 48

// RunnerArgs is the runner's command line: runner, then token, then each
// command's path and arguments followed by token. The token must be
// non-empty, at most MaxRunnerToken bytes, and appear in no argument:
// random, so that no command prints it by chance.
func RunnerArgs(runner, token string, cmds []RunnerCommand) []string {
	args := []string{runner, token}
	for _, c := range cmds {
		args = append(append(append(args, c.Path), c.Args...), token)
	}
	return args
}

// RunnerRecord is how one command of a runner ended.
type RunnerRecord struct {
	// Status is its wait status.
	Status syscall.WaitStatus
	// ExecErrno is why it could not be executed (0 when it was).
	ExecErrno syscall.Errno
}

// execFailed is the first status byte of the record a child writes when
// its execve fails; no wait status has it as its low byte.
const execFailed = 0xff

// RunnerStream is one output stream of a runner (stdout or stderr, as
// Write is given it): it passes each command's part of the stream to
// out, and collects the runner's records. Memory is bounded by the token.
type RunnerStream struct {
	mu      sync.Mutex
	token   []byte
	stdout  bool
	out     func(cmd int, p []byte)
	pending []byte
	records []RunnerRecord
	execErr syscall.Errno
	err     error
}

// NewRunnerStream splits a runner's stdout (stdout true) or stderr by
// token; out gets each command's bytes with its index (len(cmds) for
// anything written after the last record).
func NewRunnerStream(token string, stdout bool, out func(cmd int, p []byte)) *RunnerStream {
	return &RunnerStream{token: []byte(token), stdout: stdout, out: out}
}

// Write never fails: a garbled stream is an error of Records.
func (s *RunnerStream) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending = append(s.pending, p...)
	for {
		i := bytes.Index(s.pending, s.token)
		if i < 0 {
			// Keep what could be the start of a token.
			keep := min(len(s.pending), len(s.token)-1)
			s.emit(s.pending[:len(s.pending)-keep])
			s.pending = append(s.pending[:0], s.pending[len(s.pending)-keep:]...)
			return len(p), nil
		}
		end := i + len(s.token) + 2
		if len(s.pending) < end {
			s.emit(s.pending[:i])
			s.pending = append(s.pending[:0], s.pending[i:]...)
			return len(p), nil
		}
		s.emit(s.pending[:i])
		s.record(s.pending[end-2], s.pending[end-1])
		s.pending = append(s.pending[:0], s.pending[end:]...)
	}
}

func (s *RunnerStream) emit(p []byte) {
	if len(p) > 0 {
		s.out(len(s.records), p)
	}
}

func (s *RunnerStream) record(lo, hi byte) {
	switch {
	case s.err != nil:
	case lo == execFailed && s.stdout && s.execErr == 0 && hi != 0:
		s.execErr = syscall.Errno(hi)
	case lo == execFailed:
		s.err = fmt.Errorf("command %d: a misplaced exec-failure record", len(s.records)+1)
	default:
		s.records = append(s.records, RunnerRecord{Status: syscall.WaitStatus(uint32(lo) | uint32(hi)<<8), ExecErrno: s.execErr})
		s.execErr = 0
	}
}

// Close passes on what is left, but for a record cut short (the command
// did not end).
func (s *RunnerStream) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !bytes.HasPrefix(s.pending, s.token) {
		s.emit(s.pending)
	}
	s.pending = nil
	return nil
}

// RunnerRecords checks a runner's two streams against each other and
// returns the records of the commands that ended, in order: at most n,
// the same in both streams. A record the streams disagree on, one too
// many, or a stream that is garbled is an error (with the records up to
// the first bad one), never a command that passed.
func RunnerRecords(stdout, stderr *RunnerStream, n int) ([]RunnerRecord, error) {
	stdout.mu.Lock()
	defer stdout.mu.Unlock()
	stderr.mu.Lock()
	defer stderr.mu.Unlock()
	for _, s := range []*RunnerStream{stdout, stderr} {
		if s.err != nil {
			return nil, fmt.Errorf("the runner's report is garbled: %w", s.err)
		}
	}
	out, errs := stdout.records, stderr.records
	if len(out) > n || len(errs) > n {
		return nil, fmt.Errorf("the runner's report is garbled: %d and %d records for %d commands", len(out), len(errs), n)
	}
	k := min(len(out), len(errs))
	for i := range k {
		if out[i].Status != errs[i].Status {
			return out[:i], fmt.Errorf("the runner's report is garbled: command %d: stdout says status %#x, stderr %#x", i+1, uint32(out[i].Status), uint32(errs[i].Status))
		}
	}
	if stdout.execErr != 0 {
		return out[:k], fmt.Errorf("the runner's report is garbled: command %d: an exec failure without its status", k+1)
	}
	return out[:k], nil
}
