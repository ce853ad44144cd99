package verify

import (
	"context"
	"log/slog"
	"runtime"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

// Options configures Index and Image. The zero value verifies without an
// expected platform set, with the defaults below.
type Options struct {
	// Platforms is the expected set: each must be present, variant-aware
	// (linux/arm/v6 is not linux/arm/v7). Empty: any set.
	Platforms []platform.Platform
	// Concurrency bounds the layers read at once. 0: GOMAXPROCS.
	Concurrency int
	// MaxFileSize is the largest ELF file read whole; see
	// DefaultMaxFileSize (the value used when 0).
	MaxFileSize int64
	// Cache shares layer summaries across calls (several tags of one run).
	// nil: a fresh cache per call.
	Cache *Cache
	// Logger receives debug progress (one record per layer read). nil:
	// silent.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Concurrency <= 0 {
		o.Concurrency = runtime.GOMAXPROCS(0)
	}
	if o.MaxFileSize <= 0 {
		o.MaxFileSize = DefaultMaxFileSize
	}
	if o.Cache == nil {
		o.Cache = NewCache()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// run is the state of one Index or Image call.
type run struct {
	opts  Options
	slots chan struct{} // one per layer read allowed at once
}

func newRun(opts Options) *run {
	opts = opts.withDefaults()
	return &run{opts: opts, slots: make(chan struct{}, opts.Concurrency)}
}

// acquire takes a read slot, or fails when ctx ends first.
func (r *run) acquire(ctx context.Context) error {
	select {
	case r.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *run) release() { <-r.slots }
