package testenv

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// FaultKind is what a Fault does to a matching request.
type FaultKind int

const (
	// FaultStatus answers Status (with Retry-After when set) without
	// forwarding the request.
	FaultStatus FaultKind = iota
	// FaultReset closes the connection without an answer (TCP RST).
	FaultReset
	// FaultHang never answers: the request waits until the client gives
	// up or the proxy is closed.
	FaultHang
	// FaultStallBody forwards the request, sends the answer's headers and
	// its first AfterBytes bytes, then sends nothing more.
	FaultStallBody
	// FaultCutBody forwards the request, sends the headers and AfterBytes
	// bytes of the body, then closes the connection.
	FaultCutBody
	// FaultCorrupt forwards the request and flips one byte of the answer's
	// body, at offset AfterBytes (the last byte when the body is shorter).
	FaultCorrupt
)

// Fault is one rule of a FaultProxy: requests matching Method and Path get
// Kind. Rules are tried in the order they were injected; the first that
// matches and is not used up applies.
type Fault struct {
	Kind FaultKind
	// Method matches the request method exactly; "" matches any.
	Method string
	// Path is a regular expression matched against the URL path (e.g.
	// `/blobs/sha256:`, `/manifests/latest$`); "" matches any.
	Path string
	// Status and RetryAfter are FaultStatus's answer.
	Status     int
	RetryAfter string
	// Code is the registry API error code of FaultStatus's body (default
	// UNKNOWN); a real registry sends TOOMANYREQUESTS with a 429, and
	// BuildKit's pusher reports only the code when there is one.
	Code string
	// AfterBytes is where FaultStallBody, FaultCutBody and FaultCorrupt act.
	AfterBytes int64
	// Times is how many matching requests get the fault; 0 means all.
	Times int

	path *regexp.Regexp
	used int
}

// FaultProxy is a loopback HTTP proxy in front of a test registry that
// injects faults: what a flaky or hostile network does to a client. Its
// embedded Registry has the proxy's Host and URL (and the upstream's
// credentials), so every helper that takes a *Registry works through it.
type FaultProxy struct {
	Registry
	upstream *url.URL
	proxy    *httputil.ReverseProxy
	stop     chan struct{}

	mu     sync.Mutex
	faults []*Fault
	seen   []string
}

// StartFaultProxy starts a proxy in front of upstream; it stops when the
// test ends, releasing every request it holds.
func StartFaultProxy(t testing.TB, upstream *Registry) *FaultProxy {
	t.Helper()
	u, err := url.Parse(upstream.URL)
	if err != nil {
		t.Fatalf("fault proxy: upstream URL %q: %v", upstream.URL, err)
	}
	p := &FaultProxy{Registry: *upstream, upstream: u, stop: make(chan struct{})}
	p.proxy = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			// The registry builds upload Locations from Host: keep the
			// proxy's so the client comes back through it.
			r.Out.Host = r.In.Host
		},
		FlushInterval: -1,
		ErrorLog:      log.New(io.Discard, "", 0),
	}
	srv := httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(func() {
		close(p.stop)
		srv.CloseClientConnections()
		srv.Close()
	})
	p.URL = srv.URL
	p.Host = srv.Listener.Addr().String()
	p.LogFile = ""
	return p
}

// Inject adds a fault rule. A Path that does not compile fails the test.
func (p *FaultProxy) Inject(t testing.TB, f Fault) {
	t.Helper()
	re, err := regexp.Compile(f.Path)
	if err != nil {
		t.Fatalf("fault proxy: path pattern %q: %v", f.Path, err)
	}
	f.path = re
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = append(p.faults, &f)
}

// Clear removes every fault rule: requests pass through again.
func (p *FaultProxy) Clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = nil
}

// Requests returns every request seen so far as "METHOD PATH", in order.
func (p *FaultProxy) Requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.seen...)
}

// Hits counts the requests seen with method ("" any) whose path matches
// the regular expression path.
func (p *FaultProxy) Hits(method, path string) int {
	re := regexp.MustCompile(path)
	n := 0
	for _, s := range p.Requests() {
		m, u, _ := strings.Cut(s, " ")
		if (method == "" || m == method) && re.MatchString(u) {
			n++
		}
	}
	return n
}

// match records r and returns the fault it gets, if any.
func (p *FaultProxy) match(r *http.Request) *Fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seen = append(p.seen, r.Method+" "+r.URL.Path)
	for _, f := range p.faults {
		if f.Times > 0 && f.used >= f.Times {
			continue
		}
		if (f.Method == "" || f.Method == r.Method) && f.path.MatchString(r.URL.Path) {
			f.used++
			return f
		}
	}
	return nil
}

func (p *FaultProxy) serve(w http.ResponseWriter, r *http.Request) {
	f := p.match(r)
	if f == nil {
		p.proxy.ServeHTTP(w, r)
		return
	}
	switch f.Kind {
	case FaultStatus:
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		code := f.Code
		if code == "" {
			code = "UNKNOWN"
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(f.Status)
		fmt.Fprintf(w, `{"errors":[{"code":%q,"message":"fault proxy: injected %d"}]}`, code, f.Status)
	case FaultReset:
		reset(w)
	case FaultHang:
		p.wait(r)
	default:
		p.forwardFaulty(w, r, f)
	}
}

// wait blocks until the client gives up or the proxy closes.
func (p *FaultProxy) wait(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-p.stop:
	}
}

// reset closes the client's connection with SO_LINGER 0: a TCP RST.
func reset(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

// forwardFaulty proxies r and damages the answer's body as f says.
func (p *FaultProxy) forwardFaulty(w http.ResponseWriter, r *http.Request, f *Fault) {
	rp := *p.proxy
	rp.ModifyResponse = func(resp *http.Response) error {
		resp.Body = &faultyBody{rc: resp.Body, f: f, size: resp.ContentLength, wait: func() { p.wait(r) }}
		return nil
	}
	rp.ServeHTTP(w, r)
}

// errCut ends a body early; the reverse proxy then aborts the connection.
var errCut = errors.New("fault proxy: body cut")

type faultyBody struct {
	rc   io.ReadCloser
	f    *Fault
	size int64
	n    int64
	wait func()
}

func (b *faultyBody) Read(p []byte) (int, error) {
	limit := b.f.AfterBytes - b.n
	if b.f.Kind != FaultCorrupt && limit <= 0 {
		if b.f.Kind == FaultStallBody {
			b.wait()
		}
		return 0, errCut
	}
	if b.f.Kind != FaultCorrupt && int64(len(p)) > limit {
		p = p[:limit]
	}
	n, err := b.rc.Read(p)
	if b.f.Kind == FaultCorrupt {
		b.corrupt(p[:n])
	}
	b.n += int64(n)
	return n, err
}

// corrupt flips the byte at AfterBytes, or the last byte of a body that
// is shorter.
func (b *faultyBody) corrupt(p []byte) {
	at := b.f.AfterBytes
	if b.size > 0 && at >= b.size {
		at = b.size - 1
	}
	if i := at - b.n; i >= 0 && i < int64(len(p)) {
		p[i] ^= 0xff
	}
}

func (b *faultyBody) Close() error { return b.rc.Close() }
