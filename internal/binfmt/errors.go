package binfmt

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

// Sentinel errors; every error of this package that fits one wraps it, so
// callers decide with errors.Is.
var (
	// ErrInvalid: a register line, flag set or entry definition is not
	// acceptable to the kernel.
	ErrInvalid = errors.New("invalid binfmt_misc registration")
	// ErrMalformed: an entry file does not read as the kernel prints entries.
	ErrMalformed = errors.New("malformed binfmt_misc entry")
	// ErrNotMounted: the binfmt_misc root has no register file.
	ErrNotMounted = errors.New("binfmt_misc is not mounted")
	// ErrNativeArch: the platform runs natively on this host.
	ErrNativeArch = errors.New("refusing to register a handler for a native architecture")
	// ErrConflict: an entry of that name exists with other settings.
	ErrConflict = errors.New("binfmt_misc entry exists with other settings")
	// ErrNotFound: no such entry.
	ErrNotFound = errors.New("no such binfmt_misc entry")
	// ErrNoEmulator: the QEMU user-mode emulator for a platform is missing.
	ErrNoEmulator = errors.New("QEMU emulator not found")
	// ErrNoEntries: a reregister found no qemu-* entry to work on; it
	// comes with ErrNotFound.
	ErrNoEntries = errors.New("no matching qemu-* entry is registered")
	// ErrRollback: undoing a failed run's changes failed too, so the
	// entries are in neither the old nor the new state.
	ErrRollback = errors.New("rolling back what this run changed also failed")
)

// ParseError is a malformed entry file, naming the file and line.
type ParseError struct {
	File string
	Line int // 1-based; 0 when the problem is the file as a whole
	Msg  string
}

func (e *ParseError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s: %s", e.File, ErrMalformed, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, ErrMalformed, e.Msg)
}

func (e *ParseError) Unwrap() error { return ErrMalformed }

// KernelError is a failed write to binfmt_misc. Its message says what to do
// about the errno; Unwrap gives the underlying error, so errors.Is works
// with syscall errnos and fs.ErrPermission alike.
type KernelError struct {
	Op   string // "register", "unregister", "disable", "enable"
	Name string // entry name
	Path string // file written
	Err  error
}

func (e *KernelError) Unwrap() error { return e.Err }

func (e *KernelError) Error() string {
	return fmt.Sprintf("%s %s: %s: %v", e.Op, e.Name, e.advice(), e.Err)
}

func (e *KernelError) advice() string {
	var errno syscall.Errno
	errors.As(e.Err, &errno)
	switch {
	case errors.Is(e.Err, fs.ErrPermission) || errno == syscall.EPERM || errno == syscall.EACCES:
		return "permission denied writing " + e.Path + "; run as root (sudo)"
	case errno == syscall.EROFS:
		return e.Path + " is read-only (inside a container?); run on the host or in a privileged container"
	case errno == syscall.EEXIST:
		return "an entry named " + e.Name + " already exists"
	case errno == syscall.ENOENT && e.Op == "register":
		// With F the kernel opens the interpreter while registering.
		return "the interpreter does not exist (the F flag makes the kernel open it at registration)"
	case errno == syscall.ENOENT:
		return "entry " + e.Name + " does not exist (any more)"
	case errno == syscall.EINVAL:
		return "the kernel rejected the register line as invalid"
	default:
		return "writing " + e.Path + " failed"
	}
}

// EmulatorError is a QEMU emulator that is not where it was looked for;
// it wraps ErrNoEmulator. Its fields say which lookup failed, so that a
// caller can word the fix (install the emulator, or look elsewhere).
type EmulatorError struct {
	// Platform is the platform whose emulator is missing; zero when no
	// foreign platform has one (an install of all).
	Platform platform.Platform
	// Path is the file that is missing: the emulator in Dir, the binary
	// name searched on PATH, or Entry's interpreter.
	Path string
	// Dir is the directory the emulator was looked for in; "" for PATH.
	Dir string
	// Entry, when set, is the registered entry whose interpreter is
	// missing (a reregister with the F flag).
	Entry string
}

func (e *EmulatorError) Error() string {
	switch {
	case e.Entry != "":
		return fmt.Sprintf("%s: %s: interpreter %s is missing and the F flag needs it at registration", ErrNoEmulator, e.Entry, e.Path)
	case e.Path == "":
		return ErrNoEmulator.Error() + " for any foreign platform"
	case e.Dir != "":
		return fmt.Sprintf("%s: %s: %s", ErrNoEmulator, e.Platform, e.Path)
	}
	return fmt.Sprintf("%s: %s: %s is not on PATH", ErrNoEmulator, e.Platform, e.Path)
}

func (e *EmulatorError) Unwrap() error { return ErrNoEmulator }
