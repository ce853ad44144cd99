package container

import (
	"sync"
	"time"
)

// tail keeps the last limit bytes written to it.
type tail struct {
	limit     int
	buf       []byte
	truncated bool
}

func (t *tail) write(p []byte) {
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.limit; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
		t.truncated = true
	}
}

// capture collects a process's stdout and stderr, each on its own and
// both together in arrival order, keeping the tail of each.
type capture struct {
	mu                 sync.Mutex
	out, err, combined tail
}

func newCapture(limit int) *capture {
	if limit <= 0 {
		limit = DefaultOutputLimit
	}
	return &capture{out: tail{limit: limit}, err: tail{limit: limit}, combined: tail{limit: limit}}
}

func (c *capture) stdout() *captureWriter { return &captureWriter{c: c, t: &c.out} }
func (c *capture) stderr() *captureWriter { return &captureWriter{c: c, t: &c.err} }

func (c *capture) result(d time.Duration) *ProcessResult {
	c.mu.Lock()
	defer c.mu.Unlock()
	return &ProcessResult{
		Stdout: clone(c.out.buf), Stderr: clone(c.err.buf), Output: clone(c.combined.buf),
		Truncated: c.combined.truncated, Duration: d,
	}
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }

type captureWriter struct {
	c *capture
	t *tail
}

func (w *captureWriter) Write(p []byte) (int, error) {
	w.c.mu.Lock()
	defer w.c.mu.Unlock()
	w.t.write(p)
	w.c.combined.write(p)
	return len(p), nil
}

func (w *captureWriter) Close() error { return nil }
