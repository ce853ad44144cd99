package verify

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/multiarch-dev/multiarch/internal/registry"
)

// Cache holds layer summaries by digest so each distinct layer is read
// once, however many platforms (or tags, when the caller passes one Cache
// to several Index calls) share it. Concurrent requests for a digest wait
// for the one read in flight. A Cache is safe for concurrent use; its
// zero value is not, use NewCache.
type Cache struct {
	mu    sync.Mutex
	m     map[string]*flight
	reads atomic.Int64
}

// flight is one layer read; done is closed when sum/err are set.
type flight struct {
	done chan struct{}
	sum  *layerSummary
	err  error
}

// NewCache returns an empty Cache.
func NewCache() *Cache { return &Cache{m: map[string]*flight{}} }

// Reads is the number of layer blobs read so far.
func (c *Cache) Reads() int64 { return c.reads.Load() }

// summary returns the layer's summary, reading it if no one has. Failed
// reads stay cached (a broken layer is reported once, not per platform),
// except cancellations, which a caller with a live context retries.
func (c *Cache) summary(ctx context.Context, l registry.Layer, r *run) (*layerSummary, error) {
	d := l.Digest()
	for {
		c.mu.Lock()
		f, inFlight := c.m[d]
		if !inFlight {
			f = &flight{done: make(chan struct{})}
			c.m[d] = f
		}
		c.mu.Unlock()
		if !inFlight {
			f.sum, f.err = c.read(ctx, l, d, r)
			if isCancel(f.err) {
				c.mu.Lock()
				delete(c.m, d)
				c.mu.Unlock()
			}
			close(f.done)
			return f.sum, f.err
		}
		select {
		case <-f.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if !isCancel(f.err) || ctx.Err() != nil {
			return f.sum, f.err
		}
	}
}

func isCancel(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// read reads one layer inside a read slot of the run.
func (c *Cache) read(ctx context.Context, l registry.Layer, d string, r *run) (*layerSummary, error) {
	if err := r.acquire(ctx); err != nil {
		return nil, err
	}
	defer r.release()
	c.reads.Add(1)
	start := time.Now()
	sum, err := readLayer(ctx, l, r.opts.MaxFileSize)
	if err != nil {
		return nil, err
	}
	r.opts.Logger.Debug("layer read", "digest", d, "files", sum.files,
		"elf_files", len(sum.elfs), "bytes", sum.bytes, "elapsed", time.Since(start))
	return sum, nil
}
