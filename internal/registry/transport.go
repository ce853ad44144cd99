package registry

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
)

// maxManifestBytes bounds a manifest read into memory for verification;
// distribution refuses manifests above 4 MiB.
const maxManifestBytes = 4 << 20

// guard is the innermost transport: below go-containerregistry's auth and
// retry layers, it sees every request on the wire. It enforces the HTTPS
// policy (go-containerregistry itself falls back to HTTP for RFC 1918 and
// *.local names, which multiarch does not allow without opt-in) and verifies
// every manifest or blob fetched by digest, so a mismatch is a typed error.
//
// It also bounds every request by the inactivity deadline (a watchdog,
// see deadline.go) and makes 429/503 answers wait as their Retry-After
// asks, up to that deadline.
type guard struct {
	base     http.RoundTripper
	insecure []string
	log      *slog.Logger
	timeout  time.Duration
}

func newGuard(o Options) *guard {
	return &guard{base: o.baseTransport(), insecure: o.Insecure, log: o.logger(), timeout: o.responseTimeout()}
}

func (g *guard) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "http" && !plainHTTPAllowed(req.URL.Host, g.insecure) {
		// What to check, and which registry to list as insecure if it
		// really serves plain HTTP, is the caller's to say (Host).
		return nil, &Error{Kind: ErrInsecure, Host: req.URL.Host,
			Detail: fmt.Sprintf("%s did not answer over HTTPS and multiarch uses plain HTTP only for loopback registries", req.URL.Host)}
	}
	g.log.Debug("registry request", "method", req.Method, "url", req.URL.Redacted())
	resp, err := roundTripWatched(g.base, req, g.timeout)
	if err == nil {
		resp, err = honourRetryAfter(req, resp, g.timeout)
	}
	if err != nil || req.Method != http.MethodGet || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	kind, want, ok := digestPath(originalURLPath(req))
	if !ok {
		return resp, nil
	}
	h := newHash(want)
	if h == nil {
		return resp, nil // an algorithm we do not know: go-containerregistry decides
	}
	if kind == "manifests" {
		return verifyManifest(resp, want, h)
	}
	resp.Body = &verifyingBody{rc: resp.Body, h: h, want: want, size: resp.ContentLength}
	return resp, nil
}

// originalURLPath follows redirects back to the request the client made:
// blobs are often served from a storage URL that does not name the digest.
func originalURLPath(req *http.Request) string {
	for req.Response != nil && req.Response.Request != nil {
		req = req.Response.Request
	}
	return req.URL.Path
}

// digestPath recognises /v2/<name>/(manifests|blobs)/<algo>:<hex>.
func digestPath(p string) (kind, digest string, ok bool) {
	if !strings.HasPrefix(p, "/v2/") {
		return "", "", false
	}
	i := strings.LastIndexByte(p, '/')
	j := strings.LastIndexByte(p[:max(i, 0)], '/')
	if i < 0 || j < 0 {
		return "", "", false
	}
	kind, digest = p[j+1:i], p[i+1:]
	if (kind != "manifests" && kind != "blobs") || !strings.Contains(digest, ":") {
		return "", "", false
	}
	return kind, digest, true
}

func newHash(digest string) hash.Hash {
	algo, _, _ := strings.Cut(digest, ":")
	switch algo {
	case "sha256":
		return sha256.New()
	case "sha512":
		return sha512.New()
	}
	return nil
}

func mismatch(want, got string, n int64) *Error {
	return &Error{Kind: ErrDigestMismatch,
		Detail: fmt.Sprintf("requested %s but the registry sent %d bytes hashing to %s", want, n, got),
		Advice: "the content was altered or corrupted in the registry's storage or in transit; do not use it, re-push the image"}
}

func sum(h hash.Hash, digest string) string {
	algo, _, _ := strings.Cut(digest, ":")
	return algo + ":" + hex.EncodeToString(h.Sum(nil))
}

func verifyManifest(resp *http.Response, want string, h hash.Hash) (*http.Response, error) {
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxManifestBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxManifestBytes {
		return nil, &Error{Kind: ErrInvalidManifest, Detail: fmt.Sprintf("manifest %s is larger than %d bytes", want, maxManifestBytes)}
	}
	h.Write(b)
	if got := sum(h, want); got != want {
		return nil, mismatch(want, got, int64(len(b)))
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	resp.ContentLength = int64(len(b))
	return resp, nil
}

// verifyingBody hashes a blob as it streams and turns a mismatch into a
// typed error (go-containerregistry's own check returns an error type
// callers cannot name). It checks at EOF, and as soon as Content-Length
// bytes have arrived: go-containerregistry reads a layer through a reader
// limited to its size, which stops before this body ever sees EOF. A
// mismatch holds back the last byte and is returned by every later Read:
// a reader above that drops an error once still cannot reach the end of
// the limit, where go-containerregistry would put its own error instead.
type verifyingBody struct {
	rc      io.ReadCloser
	h       hash.Hash
	want    string
	n       int64
	size    int64 // Content-Length; -1 unknown
	checked bool
	err     error // the mismatch, once found
}

func (v *verifyingBody) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	n, err := v.rc.Read(p)
	v.h.Write(p[:n])
	v.n += int64(n)
	if !v.checked && (err == io.EOF || (v.size >= 0 && v.n == v.size)) {
		v.checked = true
		if got := sum(v.h, v.want); got != v.want {
			v.err = mismatch(v.want, got, v.n)
			return max(n-1, 0), v.err
		}
	}
	return n, err
}

func (v *verifyingBody) Close() error { return v.rc.Close() }

// plainHTTPAllowed reports whether hostport may be reached without TLS:
// loopback always, others only when listed (as "host" or "host:port").
func plainHTTPAllowed(hostport string, insecure []string) bool {
	return IsLoopback(hostport) || listed(hostport, insecure)
}

// ListedInsecure reports whether the registry of the reference ref is
// listed in insecure, matched as Options.Insecure is: any case, with or
// without an http:// or https:// scheme, an entry without a port covering
// every port of its host. Loopback registries count only when listed: this
// package needs no listing for them, but a client with its own policy (the
// BuildKit exporter) may. An invalid reference is not listed.
func ListedInsecure(ref string, insecure []string) bool {
	r, err := name.ParseReference(strings.TrimSpace(ref))
	return err == nil && listed(r.Context().RegistryStr(), insecure)
}

func listed(hostport string, insecure []string) bool {
	hostport = strings.ToLower(hostport)
	host := hostOnly(hostport)
	for _, s := range insecure {
		s = bareHost(strings.ToLower(s))
		if s == hostport {
			return true
		}
		// An entry without a port covers every port of its host.
		if _, _, err := net.SplitHostPort(s); err != nil && strings.Trim(s, "[]") == host {
			return true
		}
	}
	return false
}

// IsLoopback reports whether the registry hostport (HOST[:PORT]) is on
// loopback: localhost, 127.0.0.0/8 or ::1. Such registries may always be
// reached over plain HTTP.
func IsLoopback(hostport string) bool {
	host := hostOnly(hostport)
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// bareHost is a registry as the user may write it (with an http:// or
// https:// scheme, a trailing slash, spaces) as HOST[:PORT].
func bareHost(s string) string {
	s = strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s), "https://"), "http://")
	return strings.TrimSuffix(s, "/")
}

// hostOnly strips the port and IPv6 brackets from host[:port].
func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return strings.Trim(hostport, "[]")
}
