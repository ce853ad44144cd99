package app

import (
	"context"
	"log/slog"

	"github.com/multiarch-dev/multiarch/internal/doctor"
	"github.com/multiarch-dev/multiarch/internal/platform"
)

// DoctorOptions configure a check of this host and of the builder build
// and test would use.
type DoctorOptions struct {
	// Platforms to check (default: every foreign platform with an
	// emulator or a handler; see doctor.Options).
	Platforms []platform.Platform
	// Fix applies the safe fixes, then checks again.
	Fix bool
	// Strict makes every warning a failure (doctor.Options.Strict).
	Strict bool
	// BinfmtDir is the binfmt_misc mount point (default
	// binfmt.DefaultRoot); QEMUDir holds qemu-<arch>-static (default: PATH).
	BinfmtDir, QEMUDir string
	// Env is the environment ResolveBuilder reads.
	Env Env
	// Builder names the builder of the store to check (default: see
	// ResolveBuilder; the embedded builder is checked, never started).
	Builder string
	// Logger gets debug detail (default: discard).
	Logger *slog.Logger
}

// Doctor checks the host and the builder ResolveBuilder picks. A host
// that is not ready is a report with OK false, not an error; the error
// is for an unknown builder or a fix that could not be applied (the
// report is returned with it when there is one).
func Doctor(ctx context.Context, o DoctorOptions) (*doctor.Report, error) {
	b, err := ResolveBuilder(ctx, ResolveOptions{Env: o.Env, Builder: o.Builder})
	if err != nil {
		return nil, err
	}
	opts := doctor.Options{Platforms: o.Platforms, Fix: o.Fix, Strict: o.Strict, Logger: o.Logger, Builder: doctorBuilder(b)}
	d := doctor.New(doctor.Config{BinfmtDir: o.BinfmtDir, QEMUDir: o.QEMUDir, Logger: o.Logger})
	return d.Run(ctx, opts)
}

// doctorBuilder is what doctor checks of b: the embedded builder's own
// state (buildkitd and runc found, running or startable), else its nodes.
func doctorBuilder(b *ResolvedBuilder) *doctor.Builder {
	if b.Source == SourceEmbedded {
		return &doctor.Builder{Embedded: b.Embedded}
	}
	return &doctor.Builder{Name: b.Name, Nodes: b.Nodes}
}
