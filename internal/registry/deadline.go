package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// errStalled is the cause a watchdog cancels its request with.
var errStalled = errors.New("registry connection stalled")

// wait is what a request waits for on the network.
type wait int

const (
	waitSend    wait = iota // the registry to accept the request (and its body)
	waitHeaders             // the answer's headers
	waitBody                // the next bytes of the answer's body
)

// watchdog bounds the network waits of one request by an inactivity
// deadline: it runs only while multiarch waits on the registry (the
// request being sent once connected, the answer's headers, a blocked Read
// of the answer's body) and cancels the request when one such wait sees no
// progress for d. Time spent on our side between reads (hashing,
// unpacking, reading an upload's source) does not count, so a slow but
// progressing transfer of any size passes and a consumer that pauses is
// not mistaken for a stalled registry. Connecting is bounded apart, by the
// dialer's timeout.
type watchdog struct {
	d      time.Duration
	host   string
	what   string // "blob sha256:…", "manifest latest", …
	cancel context.CancelCauseFunc
	timer  *time.Timer

	mu        sync.Mutex
	deadline  time.Time // zero: not armed
	waiting   wait
	pending   bool // the timer is set
	responded bool // headers arrived: sending no longer arms
	stopped   bool
	expired   bool
}

// watch starts a watchdog for req and returns the request to send in its
// place: same as req, under a context the watchdog cancels, with a body
// (and GetBody) that pause the watch while the body's source is read.
func watch(req *http.Request, d time.Duration) (*watchdog, *http.Request) {
	ctx, cancel := context.WithCancelCause(req.Context())
	w := &watchdog{d: d, host: req.URL.Host, what: describe(req), cancel: cancel}
	w.timer = time.AfterFunc(time.Hour, w.expire)
	w.timer.Stop()
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn:      func(httptrace.GotConnInfo) { w.arm(waitSend) },
		WroteRequest: func(httptrace.WroteRequestInfo) { w.arm(waitHeaders) },
	})
	out := req.WithContext(ctx)
	if req.Body != nil && req.Body != http.NoBody {
		out.Body = &sendingBody{rc: req.Body, w: w}
	}
	if get := req.GetBody; get != nil {
		out.GetBody = func() (io.ReadCloser, error) {
			rc, err := get()
			if err != nil || rc == nil || rc == http.NoBody {
				return rc, err
			}
			return &sendingBody{rc: rc, w: w}, nil
		}
	}
	return w, out
}

// arm starts (or restarts) the clock for a wait.
func (w *watchdog) arm(what wait) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped || (what == waitSend && w.responded) {
		return
	}
	w.deadline, w.waiting = time.Now().Add(w.d), what
	if !w.pending {
		w.pending = true
		w.timer.Reset(w.d)
	}
}

// disarm stops the clock: we are not waiting on the registry. Sending
// stops only a send's clock, so a request body still being read after the
// answer came leaves the answer's clock alone.
func (w *watchdog) disarm(what wait) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if what == waitSend && w.responded {
		return
	}
	w.deadline = time.Time{}
}

// gotResponse marks the headers' arrival: the clock stops until the body
// is read.
func (w *watchdog) gotResponse() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.responded, w.deadline = true, time.Time{}
}

// expire runs when the timer fires: it re-sets the timer for a clock that
// was restarted since, and cancels the request when the deadline passed.
func (w *watchdog) expire() {
	w.mu.Lock()
	w.pending = false
	if w.stopped || w.deadline.IsZero() {
		w.mu.Unlock()
		return
	}
	if left := time.Until(w.deadline); left > 0 {
		w.pending = true
		w.timer.Reset(left)
		w.mu.Unlock()
		return
	}
	w.expired, w.stopped = true, true
	w.mu.Unlock()
	w.cancel(errStalled)
}

// stop ends the watch and releases the request's context: the request is
// over (answer read or closed, or failed).
func (w *watchdog) stop() {
	w.mu.Lock()
	w.stopped = true
	w.timer.Stop()
	w.mu.Unlock()
	w.cancel(context.Canceled)
}

// fault is err, or the timeout error when the watchdog cancelled the
// request (the transport's own error then only says "canceled").
func (w *watchdog) fault(err error) error {
	w.mu.Lock()
	expired, waiting := w.expired, w.waiting
	w.mu.Unlock()
	if !expired || err == nil {
		return err
	}
	var detail string
	switch waiting {
	case waitSend:
		detail = fmt.Sprintf("no data accepted for %s while sending %s to %s", w.d, w.what, w.host)
	case waitHeaders:
		detail = fmt.Sprintf("no answer for %s while requesting %s from %s", w.d, w.what, w.host)
	default:
		detail = fmt.Sprintf("no data for %s while reading %s from %s", w.d, w.what, w.host)
	}
	return &Error{Kind: ErrTimeout, Host: w.host, Timeout: w.d, Detail: detail, Err: errStalled,
		Advice: "the registry, or the network in between, stopped responding; retry, and check the registry's health if it persists"}
}

// describe names what a registry request is about, for messages.
func describe(req *http.Request) string {
	p := req.URL.Path
	i := strings.LastIndexByte(p, '/')
	last := p[i+1:]
	switch {
	case strings.Contains(p, "/blobs/uploads/"):
		return "a blob upload"
	case strings.HasSuffix(p[:max(i, 0)], "/manifests"):
		return "manifest " + last
	case strings.HasSuffix(p[:max(i, 0)], "/blobs"):
		return "blob " + last
	case strings.HasSuffix(p, "/tags/list"):
		return "the tag list"
	case p == "/v2/" || p == "/v2":
		return "the API root /v2/"
	}
	return req.Method + " " + p
}

// sendingBody is a request body: the watch pauses while its source is
// read (a source in another registry has a watchdog of its own) and
// restarts when the transport has the bytes to send.
type sendingBody struct {
	rc io.ReadCloser
	w  *watchdog
}

func (b *sendingBody) Read(p []byte) (int, error) {
	b.w.disarm(waitSend)
	n, err := b.rc.Read(p)
	b.w.arm(waitSend)
	return n, err
}

func (b *sendingBody) Close() error { return b.rc.Close() }

// watchedBody is an answer's body: the watch runs while a Read waits.
type watchedBody struct {
	rc   io.ReadCloser
	w    *watchdog
	n    int64 // bytes read so far
	size int64 // Content-Length; -1 unknown
}

func (b *watchedBody) Read(p []byte) (int, error) {
	b.w.arm(waitBody)
	n, err := b.rc.Read(p)
	b.w.disarm(waitBody)
	b.n += int64(n)
	switch {
	case err == nil:
		return n, nil
	case err == io.EOF:
		b.w.stop()
		return n, err
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET):
		return n, b.truncated(err)
	}
	return n, b.w.fault(err)
}

// truncated is the typed error of a body whose connection closed early,
// naming what was read from where and how far it got.
func (b *watchedBody) truncated(err error) error {
	got := fmt.Sprintf("%d bytes", b.n)
	if b.size >= 0 {
		got = fmt.Sprintf("%d of %d bytes", b.n, b.size)
	}
	return &Error{Kind: ErrTruncated, Host: b.w.host, Err: err,
		Detail: fmt.Sprintf("the connection closed after %s while reading %s from %s", got, b.w.what, b.w.host),
		Advice: "retry; if it persists, the registry's storage or a proxy in between is cutting responses short"}
}

func (b *watchedBody) Close() error {
	err := b.rc.Close()
	b.w.stop()
	return err
}

// roundTripWatched sends req through base under a watchdog of d.
func roundTripWatched(base http.RoundTripper, req *http.Request, d time.Duration) (*http.Response, error) {
	w, out := watch(req, d)
	resp, err := base.RoundTrip(out)
	if err != nil {
		w.stop()
		return nil, w.fault(err)
	}
	w.gotResponse()
	resp.Body = &watchedBody{rc: resp.Body, w: w, size: resp.ContentLength}
	return resp, nil
}

// honourRetryAfter waits as a 429 or 503 answer's Retry-After asks before
// the answer goes up to the retry layer (go-containerregistry's retry
// ignores Retry-After and only backs off: 1s, then 3s), so a retry never
// comes sooner than the registry asked. A wait longer than limit (the
// inactivity deadline) is not made: the answer becomes an ErrUnavailable
// error saying so, and is not retried.
func honourRetryAfter(req *http.Request, resp *http.Response, limit time.Duration) (*http.Response, error) {
	if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable {
		return resp, nil
	}
	after, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	if !ok || after <= 0 {
		return resp, nil
	}
	host := req.URL.Host
	if after > limit {
		drain(resp)
		return nil, &Error{Kind: ErrUnavailable, Host: host, RetryAfter: after,
			Detail: fmt.Sprintf("registry %s answered %d %s and asked to be retried after %s, longer than the registry timeout (%s)",
				host, resp.StatusCode, http.StatusText(resp.StatusCode), after, limit),
			Advice: "retry later"}
	}
	t := time.NewTimer(after)
	defer t.Stop()
	select {
	case <-t.C:
		return resp, nil
	case <-req.Context().Done():
		drain(resp)
		return nil, req.Context().Err()
	}
}

// parseRetryAfter reads a Retry-After value: delay-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s < 0 {
			return 0, false
		}
		if s > int64(365*24*time.Hour/time.Second) {
			s = int64(365 * 24 * time.Hour / time.Second)
		}
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return t.Sub(now).Round(time.Second), true
	}
	return 0, false
}
