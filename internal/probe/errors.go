package probe

import (
	"fmt"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

// Kind classifies a failed probe by what is wrong with the host.
type Kind int

const (
	// Setup: the probe could not be started for a reason unrelated to
	// emulation (temporary directory, namespaces or chroot not permitted,
	// a noexec filesystem, no probe for the platform).
	Setup Kind = iota + 1
	// NoHandler: exec gave ENOEXEC; no enabled binfmt_misc handler matches
	// the platform's executables (or, for a native platform, the kernel
	// cannot run them).
	NoHandler
	// InterpreterUnreachable: exec inside the chroot gave ENOENT; the
	// kernel looked the interpreter up by path, so the handler lacks the F
	// flag (or its interpreter is not statically linked).
	InterpreterUnreachable
	// Signal: the probe (or its emulator) was killed by a signal; SIGILL
	// under a strict CPU model means code newer than that CPU.
	Signal
	// Timeout: the probe did not finish within Options.Timeout.
	Timeout
	// Exit: the probe exited non-zero without reporting a machine,
	// typically the emulator refusing to start (e.g. an unknown QEMU_CPU).
	Exit
	// WrongMachine: the probe ran but reported a machine that does not
	// fit the platform (or, under its strict CPU, the variant).
	WrongMachine
	// Canceled: the caller's context was canceled.
	Canceled
)

var kindNames = map[Kind]string{
	Setup:                  "setup",
	NoHandler:              "no-handler",
	InterpreterUnreachable: "interpreter-unreachable",
	Signal:                 "signal",
	Timeout:                "timeout",
	Exit:                   "exit",
	WrongMachine:           "wrong-machine",
	Canceled:               "canceled",
}

// String is the stable name used in JSON output ("no-handler", ...).
func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// MarshalText makes Kind render as its name in JSON.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Error is every error Run returns. Its Hint is worded without multiarch's
// commands: a failure whose fix is one (no handler, a handler without the F
// flag or running the wrong emulator) leaves the hint empty, and the CLI
// words it from Kind, Platform and Native.
type Error struct {
	Kind     Kind
	Platform platform.Platform
	// Native: the platform runs natively on this host, without a handler.
	Native bool
	// CPU is the QEMU_CPU the probe ran with, empty for the default.
	CPU string
	// Machine is what the probe reported, if it got that far.
	Machine string
	// Signal is the signal that killed the probe (Signal).
	Signal syscall.Signal
	// Status is the exit status (Exit).
	Status int
	// Stderr is what the probe or its emulator wrote to stderr, trimmed
	// and capped.
	Stderr string
	// Detail says what happened; Advice what to run or change, if
	// anything, flag-free (see Hint).
	Detail, Advice string
	// Err is the underlying cause (a syscall.Errno, a context error, ...).
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "probe %s", e.Platform)
	if e.CPU != "" {
		fmt.Fprintf(&b, " (QEMU_CPU=%s)", e.CPU)
	}
	b.WriteString(": ")
	b.WriteString(e.Detail)
	if s := firstLine(e.Stderr, 200); s != "" {
		fmt.Fprintf(&b, " (stderr: %s)", s)
	}
	if e.Advice != "" {
		b.WriteString("; fix: ")
		b.WriteString(e.Advice)
	}
	return b.String()
}

// Hint is what to run or change, worded without multiarch's commands; ""
// when the fix is one of them or nothing is known.
func (e *Error) Hint() string { return e.Advice }

func (e *Error) Unwrap() error { return e.Err }

// firstLine keeps the first line of s, at most n bytes: QEMU's complaints
// can run to kilobytes on one line.
func firstLine(s string, n int) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > n {
		s = s[:n] + "..."
	}
	return s
}

// signalName is "SIGILL (illegal instruction)".
func signalName(sig syscall.Signal) string {
	name := unix.SignalName(sig)
	if name == "" {
		name = fmt.Sprintf("signal %d", int(sig))
	}
	return fmt.Sprintf("%s (%s)", name, sig)
}
