package container

import (
	"fmt"
	"syscall"
)

// ExitError says a container process ended with a non-zero status. A
// process killed by signal N is reported by the runtime as 128+N; Signal
// is then N (for example SIGILL for 132, an illegal instruction).
type ExitError struct {
	Code   int
	Signal syscall.Signal
}

func (e *ExitError) Error() string {
	if e.Signal != 0 {
		return fmt.Sprintf("killed by signal %d (%s), exit code %d", int(e.Signal), SignalName(e.Signal), e.Code)
	}
	return fmt.Sprintf("exit code %d", e.Code)
}

// unknownExitStatus is what BuildKit reports when a process never started
// or its status could not be obtained.
const unknownExitStatus = 255

// exitError maps an exit code to an *ExitError (nil for 0).
func exitError(code int) *ExitError {
	if code == 0 {
		return nil
	}
	e := &ExitError{Code: code}
	// 128+N is the shell's and runc's way to say "killed by signal N";
	// 255 is BuildKit's "unknown", not SIGRTMAX.
	if code > 128 && code < 128+65 && code != unknownExitStatus {
		e.Signal = syscall.Signal(code - 128)
	}
	return e
}

// SignalName is the conventional name of sig ("SIGILL").
func SignalName(sig syscall.Signal) string {
	if n, ok := signalNames[sig]; ok {
		return n
	}
	return fmt.Sprintf("SIG%d", int(sig))
}

var signalNames = map[syscall.Signal]string{
	syscall.SIGHUP: "SIGHUP", syscall.SIGINT: "SIGINT", syscall.SIGQUIT: "SIGQUIT",
	syscall.SIGILL: "SIGILL", syscall.SIGTRAP: "SIGTRAP", syscall.SIGABRT: "SIGABRT",
	syscall.SIGBUS: "SIGBUS", syscall.SIGFPE: "SIGFPE", syscall.SIGKILL: "SIGKILL",
	syscall.SIGUSR1: "SIGUSR1", syscall.SIGSEGV: "SIGSEGV", syscall.SIGUSR2: "SIGUSR2",
	syscall.SIGPIPE: "SIGPIPE", syscall.SIGALRM: "SIGALRM", syscall.SIGTERM: "SIGTERM",
	syscall.SIGSYS: "SIGSYS",
}

// ImageError says the builder could not get the image of a container
// session: a missing image or platform entry, a registry it cannot reach,
// or credentials it was refused.
type ImageError struct {
	Ref      string
	Platform string
	Err      error
}

func (e *ImageError) Error() string {
	return fmt.Sprintf("builder could not pull %s for %s: %v", e.Ref, e.Platform, e.Err)
}

func (e *ImageError) Unwrap() error { return e.Err }

// PullInterruptedError says the builder's pull of an image (its config
// or its layers) was cut short because the caller's context ended: Err
// is the context's cause, for example a per-cell deadline; Registry is
// where the image comes from, what stalled when the deadline passed.
type PullInterruptedError struct {
	Ref, Registry, Platform string
	Err                     error
}

func (e *PullInterruptedError) Error() string {
	return fmt.Sprintf("%v while pulling %s from %s", e.Err, e.Ref, e.Registry)
}

func (e *PullInterruptedError) Unwrap() error { return e.Err }
