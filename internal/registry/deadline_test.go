package registry

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// deadlineClient is a plain HTTP client through the guard with a short
// inactivity deadline and no retries.
func deadlineClient(d time.Duration) *http.Client {
	return &http.Client{Transport: newGuard(Options{ResponseTimeout: d})}
}

// requireTimeout fails unless err is an ErrTimeout *Error on host whose
// message says every one of wants, and elapsed is within the deadline d
// plus slack.
func requireTimeout(t *testing.T, err error, host string, d, elapsed time.Duration, wants ...string) {
	t.Helper()
	var re *Error
	if !errors.As(err, &re) || !errors.Is(err, ErrTimeout) {
		t.Fatalf("got %v (%T), want an ErrTimeout *Error", err, err)
	}
	if re.Host != host || re.Timeout != d || re.Hint() == "" {
		t.Errorf("Host %q Timeout %v hint %q, want %q, %v and advice", re.Host, re.Timeout, re.Hint(), host, d)
	}
	for _, w := range wants {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("message lacks %q: %v", w, err)
		}
	}
	if elapsed < d || elapsed > d+2*time.Second {
		t.Errorf("failed after %v, want about %v", elapsed, d)
	}
}

// A body that stops after its headers and a few bytes fails after the
// deadline with a typed error naming what was read from where.
func TestDeadlineBodyStall(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		w.WriteHeader(http.StatusOK)
		w.Write([]byte("0123456789"))
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	d := 300 * time.Millisecond
	resp, err := deadlineClient(d).Get(srv.URL + "/v2/a/b/blobs/sha256:" + strings.Repeat("ab", 32))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	// Our own pause between reads is not the registry's stall.
	buf := make([]byte, 10)
	if _, err := io.ReadFull(resp.Body, buf); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * d)
	start := time.Now()
	_, err = io.ReadAll(resp.Body)
	requireTimeout(t, err, srv.Listener.Addr().String(), d, time.Since(start),
		"no data for 300ms while reading blob sha256:abab", "from "+srv.Listener.Addr().String())
}

// A manifest whose body stalls fails inside the guard's own read (it
// verifies manifests fetched by digest) with the same typed error.
func TestDeadlineManifestStall(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		w.WriteHeader(http.StatusOK)
		w.Write([]byte("{"))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer srv.Close()
	d := 300 * time.Millisecond
	start := time.Now()
	_, err := deadlineClient(d).Get(srv.URL + "/v2/a/b/manifests/sha256:" + strings.Repeat("cd", 32))
	requireTimeout(t, err, srv.Listener.Addr().String(), d, time.Since(start), "no data for 300ms while reading manifest sha256:cdcd")
}

// Headers that never come fail after the deadline.
func TestDeadlineNoAnswer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer srv.Close()
	d := 300 * time.Millisecond
	start := time.Now()
	_, err := deadlineClient(d).Get(srv.URL + "/v2/a/b/manifests/latest")
	requireTimeout(t, err, srv.Listener.Addr().String(), d, time.Since(start), "no answer for 300ms while requesting manifest latest")
}

// A body that trickles, one byte every third of the deadline, for several
// times the deadline, is read to the end.
func TestDeadlineSlowBodyPasses(t *testing.T) {
	const n = 12
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "12")
		for i := 0; i < n; i++ {
			w.Write([]byte{'x'})
			w.(http.Flusher).Flush()
			time.Sleep(100 * time.Millisecond)
		}
	}))
	defer srv.Close()
	start := time.Now()
	resp, err := deadlineClient(300 * time.Millisecond).Get(srv.URL + "/v2/a/b/blobs/uploads/x")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || len(b) != n {
		t.Fatalf("read %d bytes, %v; want %d and no error", len(b), err, n)
	}
	if el := time.Since(start); el < time.Second {
		t.Fatalf("took %v: the body did not outlast the deadline, the test proves nothing", el)
	}
}

// zeros is an endless source of an upload.
type zeros struct{ delay time.Duration }

func (z zeros) Read(p []byte) (int, error) {
	time.Sleep(z.delay)
	clear(p)
	return len(p), nil
}

// An upload the registry stops consuming fails after the deadline, once
// the connection's buffers are full.
func TestDeadlineUploadStall(t *testing.T) {
	// The server does not notice the client leave while it reads nothing:
	// release the handler before Close waits for it.
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release // read nothing
	}))
	defer srv.Close()
	defer close(release)
	d := 300 * time.Millisecond
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPatch, srv.URL+"/v2/a/b/blobs/uploads/123", io.NopCloser(zeros{}))
	start := time.Now()
	_, err := deadlineClient(d).Do(req)
	requireTimeout(t, err, srv.Listener.Addr().String(), d, time.Since(start), "no data accepted for 300ms while sending a blob upload")
}

// An upload whose source is slow (our side: another registry, a disk) is
// not the registry's stall: reading the source stops the clock.
func TestDeadlineSlowUploadSourcePasses(t *testing.T) {
	var got atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		got.Store(n)
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	d := 200 * time.Millisecond
	body := io.LimitReader(zeros{delay: 2 * d}, 3*4096)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPatch, srv.URL+"/v2/a/b/blobs/uploads/123", io.NopCloser(body))
	resp, err := deadlineClient(d).Do(req)
	if err != nil {
		t.Fatalf("a slow source failed the upload: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted || got.Load() != 3*4096 {
		t.Fatalf("status %d, %d bytes received", resp.StatusCode, got.Load())
	}
}

// A 429's Retry-After is waited before the retry; one beyond the deadline
// is an error at once that says so, and is not retried.
func TestRetryAfter(t *testing.T) {
	var hits atomic.Int32
	retryAfter := "1"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			w.Header().Set("Retry-After", retryAfter)
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	opts := Options{ResponseTimeout: 2 * time.Second, Retry: DefaultRetry}
	opts.Retry.Duration = 10 * time.Millisecond
	client := &http.Client{Transport: retrying(newGuard(opts), opts)}

	start := time.Now()
	resp, err := client.Get(srv.URL + "/v2/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if el := time.Since(start); !bytes.Equal(b, []byte("ok")) || hits.Load() != 2 || el < time.Second {
		t.Fatalf("got %q after %d requests in %v, want ok after 2, at least 1s apart", b, hits.Load(), el)
	}

	hits.Store(0)
	retryAfter = "3"
	start = time.Now()
	_, err = client.Get(srv.URL + "/v2/")
	var re *Error
	if !errors.As(err, &re) || re.Kind != ErrUnavailable || re.RetryAfter != 3*time.Second {
		t.Fatalf("got %v, want ErrUnavailable with RetryAfter 3s", err)
	}
	if el := time.Since(start); el > time.Second || hits.Load() != 1 {
		t.Errorf("%d requests in %v, want 1 and no wait", hits.Load(), el)
	}
	for _, w := range []string{"429 Too Many Requests", "retried after 3s", "longer than the registry timeout (2s)"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("message lacks %q: %v", w, err)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, c := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"1", time.Second, true},
		{" 120 ", 2 * time.Minute, true},
		{"0", 0, true},
		{"-1", 0, false},
		{"soon", 0, false},
		{"", 0, false},
		{now.Add(30 * time.Second).Format(http.TimeFormat), 30 * time.Second, true},
	} {
		got, ok := parseRetryAfter(c.in, now)
		if got != c.want || ok != c.ok {
			t.Errorf("%q: got %v %v, want %v %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

// A body whose connection closes early is a typed ErrTruncated error that
// says how far it got, what was read and from where.
func TestCutBodyIsTruncated(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		w.WriteHeader(http.StatusOK)
		w.Write(make([]byte, 400))
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	}))
	defer srv.Close()
	resp, err := deadlineClient(time.Second).Get(srv.URL + "/v2/a/b/blobs/sha256:" + strings.Repeat("ef", 32))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, err = io.ReadAll(resp.Body)
	var re *Error
	if !errors.As(err, &re) || re.Kind != ErrTruncated || re.Host != srv.Listener.Addr().String() || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("got %v, want ErrTruncated on the server's host, wrapping io.ErrUnexpectedEOF", err)
	}
	if want := "the connection closed after 400 of 1000 bytes while reading blob sha256:efef"; !strings.Contains(err.Error(), want) {
		t.Errorf("message lacks %q: %v", want, err)
	}
}

// A corrupted blob read through a reader limited to its size (as
// go-containerregistry reads layers) still fails with the typed mismatch,
// on every Read after it too: the limit is never reached.
func TestMismatchUnderSizeLimit(t *testing.T) {
	blob := []byte(strings.Repeat("layer bytes ", 100))
	want := "sha256:" + strings.Repeat("0", 64)
	v := &verifyingBody{rc: io.NopCloser(bytes.NewReader(blob)), h: newHash(want), want: want, size: int64(len(blob))}
	lr := io.LimitReader(v, int64(len(blob)))
	_, err := io.ReadAll(lr)
	if !errors.Is(err, ErrDigestMismatch) {
		t.Fatalf("got %v, want ErrDigestMismatch", err)
	}
	if n, err := lr.Read(make([]byte, 10)); n != 0 || !errors.Is(err, ErrDigestMismatch) {
		t.Fatalf("a later Read gave %d, %v; want 0 and the mismatch again", n, err)
	}
}
