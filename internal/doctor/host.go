package doctor

import (
	"context"

	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/probe"
)

// handler is what doctor reads of one binfmt_misc entry.
type handler struct {
	Name        string
	Enabled     bool
	Flags       string
	Interpreter string
	// Resolved is Interpreter with symlinks followed: Debian's
	// <arch>-binfmt-P names make QEMU expect the P-flag argv layout, so
	// only the real file answers --version.
	Resolved          string
	InterpreterExists bool
	Static            bool
}

// host is everything doctor reads from the machine. The real one reads
// /proc and runs probes; unit tests give a fake, so the checks' logic is
// tested on every kind of broken host without breaking this one.
//
// Every method takes the run's ctx: once it is done they return its error
// (Emulator: "") instead of reading more.
type host interface {
	KernelRelease(ctx context.Context) (string, error)
	// BinfmtMounted reports whether binfmt_misc is mounted; BinfmtEnabled
	// reads its global status file.
	BinfmtMounted(ctx context.Context) (bool, error)
	BinfmtEnabled(ctx context.Context) (bool, error)
	// Handler returns the entry that handles p's binaries, nil if none.
	Handler(ctx context.Context, p platform.Platform) (*handler, error)
	// Emulator returns the path of p's static QEMU binary, "" if absent.
	Emulator(ctx context.Context, p platform.Platform) string
	QEMUVersion(ctx context.Context, interpreter string) (string, error)
	// Probe runs p's probe binary chrooted into an empty directory; cpu,
	// when set, is the QEMU_CPU model. It returns the machine the probe
	// reported, if it got that far; a failure is a *probe.Error.
	Probe(ctx context.Context, p platform.Platform, cpu string) (machine string, err error)
	// Argv0 runs p's argv[0] probe the same way, started with an argv[0]
	// that differs from its path.
	Argv0(ctx context.Context, p platform.Platform) (probe.Argv0Result, error)
}

// fixer applies the safe fixes. Each returns what it did, for the report.
type fixer interface {
	Mount(ctx context.Context) (string, error)
	EnableBinfmt(ctx context.Context) (string, error)
	Install(ctx context.Context, p platform.Platform) (string, error)
	Reregister(ctx context.Context, p platform.Platform) (string, error)
	Enable(ctx context.Context, p platform.Platform) (string, error)
}
