package imagetest

import (
	"log/slog"
	"time"
)

// Defaults for zero Options fields.
const (
	// DefaultParallel lets the usual seven-platform matrix run in one
	// wave: with 4, the last cells wait for a slot and the matrix took
	// about 12% longer on a 2-core builder.
	DefaultParallel    = 8
	DefaultCellTimeout = 10 * time.Minute
	// TailLines is how many lines of a failing check's output a report
	// keeps.
	TailLines = 20
)

// Options configure a matrix run.
type Options struct {
	// Command is the user's command (check 2); none skips the check.
	Command []string
	// StrictCPU runs emulated cells on the oldest CPU model of their
	// variant (QEMU_CPU).
	StrictCPU bool
	// Parallel bounds how many cells run at once (default DefaultParallel).
	Parallel int
	// CellTimeout bounds each cell (default DefaultCellTimeout): the
	// opening of its containers (the builder's pull of the image, config
	// and layers) and its checks; a cell that runs out of time fails
	// with a *CellTimeoutError in its error.
	CellTimeout time.Duration
	// Logger gets debug detail (default: discard).
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Parallel <= 0 {
		o.Parallel = DefaultParallel
	}
	if o.CellTimeout <= 0 {
		o.CellTimeout = DefaultCellTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}
