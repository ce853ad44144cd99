package imagetest

import (
	"context"
	"time"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

// Process is a command a cell runs in a fresh container of its image.
type Process struct {
	Args []string
	// Env is added to the image's environment (QEMU_CPU=… under
	// StrictCPU).
	Env []string
	// Path is Args[0] as LookPath found it.
	Path string
}

// Exit is how a process ended. A process that ran and exited non-zero is
// an Exit, not an error.
type Exit struct {
	// Code is the exit status; 128+N when killed by signal N.
	Code int
	// Signal names the signal that killed it ("SIGILL"), if one did.
	Signal string
	// Stdout is the tail of its standard output; Output the tail of
	// stdout and stderr together, in arrival order.
	Stdout, Output []byte
	Duration       time.Duration
}

// Outcome is how one process of RunEach ended: an error means it could
// not be run at all (the builder failed, the context ended).
type Outcome struct {
	Exit Exit
	Err  error
}

// Container runs processes in containers of one platform entry.
type Container interface {
	// RunEach runs ps one after the other, each whatever became of the
	// ones before, and reports how each ended (one Outcome per process).
	RunEach(ctx context.Context, ps []Process) []Outcome
	// LookPath finds an executable as the container's PATH lookup would;
	// a file it cannot find is an error wrapping fs.ErrNotExist.
	LookPath(ctx context.Context, file string) (string, error)
	// ReadFile returns up to limit bytes from the start of a file.
	ReadFile(ctx context.Context, path string, limit int) ([]byte, error)
}

// Target is what a cell tests: one platform entry of one tag.
type Target struct {
	// Tag is the reference as the user gave it.
	Tag string
	// Platform is the entry's platform.
	Platform platform.Platform
	// Digest is the entry's manifest digest ("" for a build result).
	Digest string
	// Native says the builder runs the platform without emulation.
	Native bool
	// Node is the endpoint of the builder node the cell runs on ("" when
	// not known).
	Node string
}

// Opener opens containers of t's image, calls fn with them and closes
// them; fn's error is returned as it is.
type Opener func(ctx context.Context, t Target, fn func(context.Context, Container) error) error
