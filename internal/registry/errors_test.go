package registry

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/multiarch-dev/multiarch/internal/testenv"
)

func assertKind(t *testing.T, err error, kind error) {
	t.Helper()
	t.Logf("error: %v", err)
	if !errors.Is(err, kind) {
		t.Fatalf("error %v, want kind %v", err, kind)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not a *registry.Error", err)
	}
}

// serveManifest answers GET/HEAD of /v2/bad/manifests/latest with body
// under content type ct; everything else goes to the real registry.
func serveManifest(ct string, body []byte) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/v2/bad/manifests/latest" {
				next.ServeHTTP(w, r)
				return
			}
			w.Header().Set("Content-Type", ct)
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.WriteHeader(http.StatusOK)
			if r.Method == http.MethodGet {
				_, _ = w.Write(body)
			}
		})
	}
}

func TestInspectBadManifests(t *testing.T) {
	tests := []struct {
		name string
		ct   string
		body string
		kind error
	}{
		{"malformed json", string(types.OCIManifestSchema1), `{"schemaVersion": 2, "config": {`, ErrInvalidManifest},
		{"not json at all", "application/octet-stream", "\x1f\x8b\x08\x00binary", ErrInvalidManifest},
		{"unknown media type", "application/vnd.example.thing+json", `{"schemaVersion":2,"mediaType":"application/vnd.example.thing+json"}`, ErrUnsupportedMediaType},
		{"blob media type", string(types.OCILayer), `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip"}`, ErrUnsupportedMediaType},
		{"schema 1", string(types.DockerManifestSchema1Signed), `{"schemaVersion":1,"fsLayers":[]}`, ErrUnsupportedMediaType},
		{"manifest without config", string(types.OCIManifestSchema1), `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]}`, ErrInvalidManifest},
		{"bad digest in index", string(types.OCIImageIndex), `{"schemaVersion":2,"manifests":[{"digest":"sha256:zz","size":1}]}`, ErrInvalidManifest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reg := startRegistry(t, serveManifest(tc.ct, []byte(tc.body)))
			_, err := Inspect(context.Background(), reg.ref("bad:latest"), testOpts())
			assertKind(t, err, tc.kind)
			if !strings.Contains(err.Error(), reg.ref("bad:latest")) {
				t.Errorf("error does not name the reference: %v", err)
			}
		})
	}
}

// alter serves, for GET requests whose path contains part, the real
// answer with its body changed by change. Content-Length is the new
// length, or the original one with declareOriginal (a truncated answer).
func alter(part string, change func([]byte) []byte, declareOriginal bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodGet || !strings.Contains(r.URL.Path, part) {
				next.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			body := change(rec.Body.Bytes())
			n := len(body)
			if declareOriginal {
				n = rec.Body.Len()
			}
			w.Header().Set("Content-Length", strconv.Itoa(n))
			w.WriteHeader(rec.Code)
			_, _ = w.Write(body)
		})
	}
}

func flipLastByte(b []byte) []byte {
	c := bytes.Clone(b)
	if len(c) > 0 {
		c[len(c)-1] ^= 0x01
	}
	return c
}

func TestDigestMismatch(t *testing.T) {
	t.Run("manifest by digest", func(t *testing.T) {
		// Still valid JSON, still the same manifest: only the digest can tell.
		reg := startRegistry(t, alter("/manifests/sha256:", func(b []byte) []byte { return append(bytes.Clone(b), '\n') }, false))
		h := testenv.PushImage(t, reg.ref("mm/img:1"), image(t, true, "linux", "amd64", ""))
		_, err := Inspect(context.Background(), reg.ref("mm/img@"+h.String()), testOpts())
		assertKind(t, err, ErrDigestMismatch)
		if !strings.Contains(err.Error(), h.String()) {
			t.Errorf("error does not name the requested digest: %v", err)
		}
	})
	t.Run("index child", func(t *testing.T) {
		reg2 := startRegistry(t, alter("/manifests/sha256:", func(b []byte) []byte { return append(bytes.Clone(b), '\n') }, false))
		testenv.PushIndex(t, reg2.ref("mm/idx:1"), index(t, true, plat{"linux", "amd64", ""}))
		_, err := Inspect(context.Background(), reg2.ref("mm/idx:1"), testOpts())
		assertKind(t, err, ErrDigestMismatch)
	})
	t.Run("config blob", func(t *testing.T) {
		img := image(t, true, "linux", "amd64", "")
		cfg, _ := img.ConfigName()
		reg := startRegistry(t, alter("/blobs/"+cfg.String(), flipLastByte, false))
		testenv.PushImage(t, reg.ref("mm/cfg:1"), img)
		_, err := Inspect(context.Background(), reg.ref("mm/cfg:1"), testOpts())
		assertKind(t, err, ErrDigestMismatch)
	})
}

// A manifest fetched by digest is read into memory to be hashed: one
// above maxManifestBytes is refused, not read whole.
func TestOversizedManifest(t *testing.T) {
	pad := func(b []byte) []byte { return append(bytes.Clone(b), bytes.Repeat([]byte(" "), maxManifestBytes)...) }
	reg := startRegistry(t, alter("/manifests/sha256:", pad, false))
	h := testenv.PushImage(t, reg.ref("big/img:1"), image(t, true, "linux", "amd64", ""))
	_, err := Inspect(context.Background(), reg.ref("big/img@"+h.String()), testOpts())
	assertKind(t, err, ErrInvalidManifest)
	if !strings.Contains(err.Error(), "larger than") {
		t.Errorf("message does not say the manifest is too large: %v", err)
	}
}

func TestTruncatedBlob(t *testing.T) {
	img := image(t, true, "linux", "amd64", "")
	cfg, _ := img.ConfigName()
	reg := startRegistry(t, alter("/blobs/"+cfg.String(), func(b []byte) []byte { return b[:len(b)/2] }, true))
	testenv.PushImage(t, reg.ref("trunc/img:1"), img)
	_, err := Inspect(context.Background(), reg.ref("trunc/img:1"), testOpts())
	assertKind(t, err, ErrTruncated)
}

type staticKeychain struct{ user, pass string }

func (k staticKeychain) Resolve(authn.Resource) (authn.Authenticator, error) {
	return authn.FromConfig(authn.AuthConfig{Username: k.user, Password: k.pass}), nil
}

func TestUnauthorized(t *testing.T) {
	const secret = "hunter2-do-not-print"
	reg := testenv.StartInProcessRegistry(t, testenv.WithBasicAuth("alice", "right-password"))
	for _, kc := range []authn.Keychain{authn.NewMultiKeychain(), staticKeychain{"alice", secret}} {
		opts := testOpts()
		opts.Keychain = kc
		_, err := Inspect(context.Background(), reg.Ref("private/img", "1"), opts)
		assertKind(t, err, ErrUnauthorized)
		msg := err.Error()
		if hostOf(err) != reg.Host {
			t.Errorf("the error lacks the registry to log in to (%q): %s", hostOf(err), msg)
		}
		if strings.Contains(msg, secret) || strings.Contains(msg, "alice") {
			t.Errorf("message leaks credentials: %s", msg)
		}
	}

	// With the right credentials the same registry works.
	opts := testOpts()
	opts.Keychain = staticKeychain{"alice", "right-password"}
	_, err := Inspect(context.Background(), reg.Ref("private/img", "1"), opts)
	assertKind(t, err, ErrNotFound)
}

func TestUnreachable(t *testing.T) {
	addr := closedAddr(t)
	start := time.Now()
	_, err := Inspect(context.Background(), addr+"/gone/img:1", testOpts())
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	assertKind(t, err, ErrUnreachable)
	if !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), "running") {
		t.Errorf("message does not name the registry or say what to check: %v", err)
	}
}

func TestNotFound(t *testing.T) {
	reg := startRegistry(t, nil)
	_, err := Inspect(context.Background(), reg.ref("nothing/here:1"), testOpts())
	assertKind(t, err, ErrNotFound)
}

func TestBadReference(t *testing.T) {
	for _, ref := range []string{"UPPER/case:1", "a/b:bad tag", LayoutScheme, LayoutScheme + "/x@sha256:nothex"} {
		_, err := Inspect(context.Background(), ref, testOpts())
		assertKind(t, err, ErrBadReference)
	}
}

// recorder fails every request, remembering its scheme and host.
type recorder struct {
	mu   sync.Mutex
	seen []string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.seen = append(r.seen, req.URL.Scheme+"://"+req.URL.Host)
	r.mu.Unlock()
	return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("no network in tests")}
}

func (r *recorder) schemes() map[string]bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]bool{}
	for _, s := range r.seen {
		out[s[:strings.Index(s, ":")]] = true
	}
	return out
}

func TestHTTPSPolicy(t *testing.T) {
	tests := []struct {
		ref       string
		insecure  []string
		wantHTTP  bool
		wantKinds []error
	}{
		{"registry.example.com/team/img:1", nil, false, []error{ErrUnreachable}},
		// go-containerregistry would fall back to HTTP for private
		// addresses; multiarch does not without opt-in.
		{"10.1.2.3:5000/team/img:1", nil, false, []error{ErrInsecure, ErrUnreachable}},
		{"registry.local/team/img:1", nil, false, []error{ErrInsecure, ErrUnreachable}},
		{"10.1.2.3:5000/team/img:1", []string{"10.1.2.3:5000"}, true, []error{ErrUnreachable}},
		{"10.1.2.3:5000/team/img:1", []string{"10.1.2.3"}, true, []error{ErrUnreachable}},
		{"10.1.2.3:5000/team/img:1", []string{"10.1.2.3:6000"}, false, []error{ErrInsecure, ErrUnreachable}},
	}
	for _, tc := range tests {
		rec := &recorder{}
		opts := testOpts()
		opts.Transport = rec
		opts.Insecure = tc.insecure
		_, err := Inspect(context.Background(), tc.ref, opts)
		t.Logf("error: %v", err)
		if err == nil {
			t.Fatalf("%s: no error", tc.ref)
		}
		if !slices.ContainsFunc(tc.wantKinds, func(k error) bool { return errors.Is(err, k) }) {
			t.Errorf("%s %v: error %v, want one of %v", tc.ref, tc.insecure, err, tc.wantKinds)
		}
		s := rec.schemes()
		if !s["https"] || s["http"] != tc.wantHTTP {
			t.Errorf("%s %v: schemes on the wire %v, want https and http=%v", tc.ref, tc.insecure, s, tc.wantHTTP)
		}
	}
}

func TestPlainHTTPAllowed(t *testing.T) {
	tests := []struct {
		host     string
		insecure []string
		want     bool
	}{
		{"localhost:5000", nil, true},
		{"LOCALHOST", nil, true},
		{"127.0.0.1:5000", nil, true},
		{"127.1.2.3", nil, true},
		{"[::1]:5000", nil, true},
		{"10.0.0.1:5000", nil, false},
		{"192.168.1.1:5000", []string{"192.168.1.1:5000"}, true},
		{"192.168.1.1:5000", []string{"http://192.168.1.1:5000/"}, true},
		{"myreg:5000", []string{"myreg"}, true},
		{"myreg:5000", []string{"myreg:5001"}, false},
		{"myreg.example:5000", []string{"myreg"}, false},
		{"localhost.evil.com", nil, false},
	}
	for _, tc := range tests {
		if got := plainHTTPAllowed(tc.host, tc.insecure); got != tc.want {
			t.Errorf("plainHTTPAllowed(%q, %q) = %v", tc.host, tc.insecure, got)
		}
	}
}

// hostOf is the registry an *Error names in Host, "" without one.
func hostOf(err error) string {
	var e *Error
	if !errors.As(err, &e) {
		return ""
	}
	return e.Host
}

func TestErrorMessage(t *testing.T) {
	e := &Error{Ref: "r", Kind: ErrNotFound, Detail: "d", Advice: "h", Err: errors.New("cause")}
	if e.Error() != "r: not found: d; h" || e.Hint() != "h" {
		t.Errorf("got %q, hint %q", e.Error(), e.Hint())
	}
	if !errors.Is(e, ErrNotFound) || errors.Is(e, ErrUnauthorized) {
		t.Error("kind not matched")
	}
}

func TestRegistryThatNeverAnswers(t *testing.T) {
	opts := testOpts()
	opts.ResponseTimeout = 300 * time.Millisecond
	opts.DialTimeout = 300 * time.Millisecond // also bounds the TLS handshake
	start := time.Now()
	_, err := Inspect(context.Background(), silentAddr(t)+"/slow/img:1", opts)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	// A registry that connects and then says nothing ran out of the
	// inactivity deadline (it was ErrUnreachable while only the headers
	// had a deadline).
	assertKind(t, err, ErrTimeout)
	if !strings.Contains(err.Error(), "no answer for 300ms") {
		t.Errorf("message does not say what timed out after how long: %v", err)
	}
}

// TestPlainHTTPRegistry points every operation at a registry that serves
// plain HTTP under a name that is not loopback: with HTTPS alone
// (registry.example) and with go-containerregistry's HTTP fallback, which
// the guard refuses (10.1.2.3, a private address). Either way the error is
// ErrInsecure, not ErrUnreachable, still matches http.ErrSchemeMismatch,
// and leads with --insecure-registry instead of asking to check that the
// registry runs. Listed, the same registry works.
func TestPlainHTTPRegistry(t *testing.T) {
	reg := testenv.StartInProcessRegistry(t)
	testenv.PushIndex(t, reg.Ref("app", "v1"), testenv.GoIndex(t, testenv.Platforms(t, "linux/amd64")...))
	ops := map[string]func(opts Options, host string) error{
		"inspect": func(opts Options, host string) error {
			_, err := Inspect(t.Context(), host+"/app:v1", opts)
			return err
		},
		"check-push": func(opts Options, host string) error {
			return CheckPush(t.Context(), []string{host + "/app:v2"}, opts)
		},
		"login": func(opts Options, host string) error {
			_, err := Login(t.Context(), host, Credentials{}, opts)
			return err
		},
		"index-create": func(opts Options, host string) error {
			_, err := CreateIndex(t.Context(), host+"/made:v1", []string{host + "/app:v1"}, CreateOptions{Options: opts})
			return err
		},
	}
	for _, host := range []string{"registry.example:5000", "10.1.2.3:5000"} {
		for op, run := range ops {
			opts := testOpts()
			opts.Transport = newWireRecorder(reg.Host)
			err := run(opts, host)
			t.Logf("%s %s: %v", op, host, err)
			if !errors.Is(err, ErrInsecure) || errors.Is(err, ErrUnreachable) || !errors.Is(err, http.ErrSchemeMismatch) {
				t.Errorf("%s %s: want ErrInsecure wrapping http.ErrSchemeMismatch, got %v", op, host, err)
				continue
			}
			// The CLI words "pass --insecure-registry HOST" from Host.
			want := host + " serves plain HTTP"
			if msg := err.Error(); !strings.Contains(msg, want) || hostOf(err) != host || strings.Contains(msg, "running") || strings.Count(msg, "plain HTTP not allowed") != 1 {
				t.Errorf("%s %s: message\n%s\nwant it to hold %q once, and no advice to check that the registry runs", op, host, msg, want)
			}

			opts.Insecure = []string{host}
			if err := run(opts, host); err != nil {
				t.Errorf("%s %s listed: %v", op, host, err)
			}
		}
	}
}

// TestClassifySchemeMismatch checks which errors holding
// http.ErrSchemeMismatch classify as a plain HTTP registry.
func TestClassifySchemeMismatch(t *testing.T) {
	mismatch := &url.Error{Op: "Get", URL: "https://10.1.2.3:5000/v2/", Err: http.ErrSchemeMismatch}
	guard := &url.Error{Op: "Get", URL: "http://10.1.2.3:5000/v2/", Err: &Error{Kind: ErrInsecure, Detail: "did not answer over HTTPS"}}
	status := &url.Error{Op: "Get", URL: "http://10.1.2.3:5000/v2/", Err: &transport.Error{StatusCode: http.StatusInternalServerError}}
	tests := []struct {
		name string
		err  error
		kind error
	}{
		{"https only", mismatch, ErrInsecure},
		{"http fallback refused", errors.Join(mismatch, guard), ErrInsecure},
		// Plain HTTP was allowed and the registry answered it: that answer
		// is the story.
		{"http fallback answered", errors.Join(mismatch, status), ErrUnavailable},
		// Classified once, kept: no second reference, no second kind.
		{"classified", classify(mismatch, "10.1.2.3:5000/a:1", "10.1.2.3:5000"), ErrInsecure},
	}
	for _, tc := range tests {
		err := classify(tc.err, "10.1.2.3:5000/b:1", "10.1.2.3:5000")
		t.Logf("%s: %v", tc.name, err)
		if !errors.Is(err, tc.kind) {
			t.Errorf("%s: %v, want kind %v", tc.name, err, tc.kind)
		}
		if tc.kind == ErrInsecure && (!strings.Contains(err.Error(), "10.1.2.3:5000 serves plain HTTP") || hostOf(err) != "10.1.2.3:5000") {
			t.Errorf("%s: %v does not say the registry serves plain HTTP", tc.name, err)
		}
	}
	if err := classify(classify(mismatch, "r:1", "10.1.2.3:5000"), "other:1", "x"); !strings.HasPrefix(err.Error(), "r:1: plain HTTP not allowed: ") {
		t.Errorf("reclassified: %v", err)
	}
}
