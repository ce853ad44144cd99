package container

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/registry"
)

// DefaultOutputLimit is how many bytes of a process's output a
// ProcessResult keeps (the tail) when Process.OutputLimit is zero.
const DefaultOutputLimit = 64 << 10

// Image names the image whose containers a session runs.
type Image struct {
	// Ref is the reference as the user gave it ("host/repo:tag" or
	// "host/repo@sha256:…").
	Ref string
	// Digest, when set, is the manifest digest of Platform's entry: the
	// builder pulls repository@Digest, so what runs is exactly that entry.
	Digest string
	// Platform is the platform of the containers (and of the pull when
	// Digest is empty).
	Platform platform.Platform
	// Layout, when set, is the store ID of Options.Layouts the image is
	// read from, by Digest (see layout.go), instead of a registry.
	Layout string
}

// Process is one command run in a fresh container of the session's image.
type Process struct {
	// Args is the command; Args[0] is looked up in the image's PATH.
	Args []string
	// Env is added to the image's environment (later entries win); for
	// example QEMU_CPU=arm1176, which QEMU reads when the kernel starts it
	// for an emulated process (binfmt_misc F flag).
	Env []string
	// OutputLimit bounds each kept output (default DefaultOutputLimit).
	OutputLimit int
	// Path, when set, is Args[0] as LookPath found it (RunEach's runner
	// needs the path; a caller that looked it up saves a lookup).
	Path string
}

// Outcome is how one process of RunEach ended: Result and Err as Run
// returns them.
type Outcome struct {
	Result *ProcessResult
	Err    error
}

// ProcessResult is what a process left behind. Stdout, Stderr and Output
// (both, in arrival order) hold the last OutputLimit bytes each.
type ProcessResult struct {
	Stdout, Stderr, Output []byte
	// Truncated says Output lost its beginning to the limit.
	Truncated bool
	Duration  time.Duration
}

// Container runs processes in containers of one image (or one solved
// result) on a builder. Each Run gets a fresh container of the same root
// file system, so runs do not see each other's writes.
type Container interface {
	// Run runs p and waits for it. A process that exits non-zero returns
	// its result and an *ExitError; other errors mean it could not be run.
	Run(ctx context.Context, p Process) (*ProcessResult, error)
	// RunEach runs ps one after the other, each whatever became of the
	// ones before, in one container, and reports each as Run would. Where
	// the node has a runner (and ps share one environment) that container
	// runs them as one container process: one start where each Run costs
	// one.
	RunEach(ctx context.Context, ps []Process) []Outcome
	// ReadFile returns up to limit bytes (all when limit is 0) from the
	// start of the file at path (absolute, symlinks followed inside the
	// image).
	ReadFile(ctx context.Context, path string, limit int) ([]byte, error)
	// LookPath finds an executable as the container would run it; a file
	// it cannot find is an error wrapping fs.ErrNotExist.
	LookPath(ctx context.Context, file string) (string, error)
	// Env is the image's configured environment ("K=V").
	Env() []string
	// Platform is the platform the containers run.
	Platform() platform.Platform
}

// Options configure a Runner.
type Options struct {
	// Registry lends the builder registry credentials for the pulls (its
	// Keychain; default docker's config and credential helpers).
	Registry registry.Options
	// Layouts are local OCI layout directories lent to the builder, by
	// store ID (Image.Layout).
	Layouts map[string]string
	// Logger gets debug detail (default: discard).
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// errNoImage is wrapped by ImageError when the request names no image.
var errNoImage = errors.New("no image reference")
