package registry

import (
	"context"
	"errors"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/multiarch-dev/multiarch/internal/testenv"
)

const (
	loginUser   = "alice"
	loginSecret = "s3cret-login-never-shown"
)

func TestLoginCredentials(t *testing.T) {
	reg := testenv.StartInProcessRegistry(t, testenv.WithBasicAuth(loginUser, loginSecret))
	for _, server := range []string{reg.Host, "http://" + reg.Host, "https://" + reg.Host + "/", " " + reg.Host} {
		got, err := Login(t.Context(), server, Credentials{Username: loginUser, Password: loginSecret}, testOpts())
		if err != nil || got != reg.Host {
			t.Errorf("Login(%q) = %q, %v; want %q", server, got, err, reg.Host)
		}
	}

	for _, auth := range []Credentials{
		Credentials{Username: loginUser, Password: "wrong-" + loginSecret},
		Credentials{Username: "mallory", Password: loginSecret},
		{},
	} {
		_, err := Login(t.Context(), reg.Host, auth, testOpts())
		assertKind(t, err, ErrUnauthorized)
		msg := err.Error()
		if !strings.Contains(msg, "wrong user or password for "+reg.Host) {
			t.Errorf("message does not say the credentials are wrong: %s", msg)
		}
		if strings.Contains(msg, loginSecret) || strings.Contains(msg, loginUser) || strings.Contains(msg, "mallory") {
			t.Errorf("message leaks credentials: %s", msg)
		}
	}
}

// A registry that knows the user but forbids access refuses the login too.
func TestLoginForbidden(t *testing.T) {
	reg := startRegistry(t, func(http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") == "" {
				w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			w.WriteHeader(http.StatusForbidden)
		})
	})
	_, err := Login(t.Context(), reg.host, Credentials{Username: loginUser, Password: loginSecret}, testOpts())
	assertKind(t, err, ErrUnauthorized)
	if strings.Contains(err.Error(), loginSecret) {
		t.Errorf("message leaks the password: %v", err)
	}
}

func TestLoginUnreachable(t *testing.T) {
	auth := Credentials{Username: loginUser, Password: loginSecret}

	t.Run("nothing listening", func(t *testing.T) {
		addr := closedAddr(t)
		start := time.Now()
		_, err := Login(t.Context(), addr, auth, testOpts())
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("took %v", d)
		}
		assertKind(t, err, ErrUnreachable)
		if !strings.Contains(err.Error(), addr) || strings.Contains(err.Error(), loginSecret) {
			t.Errorf("message does not name the registry, or leaks the password: %v", err)
		}
	})

	t.Run("never answers", func(t *testing.T) {
		opts := testOpts()
		opts.DialTimeout, opts.ResponseTimeout = 200*time.Millisecond, 200*time.Millisecond
		start := time.Now()
		_, err := Login(t.Context(), silentAddr(t), auth, opts)
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("took %v with 200ms timeouts", d)
		}
		assertKind(t, err, ErrTimeout)
		if !strings.Contains(err.Error(), "no answer for 200ms") {
			t.Errorf("message does not say what timed out after how long: %v", err)
		}
	})
}

// wireRecorder sits below the HTTPS policy and sends every request to one
// address whatever its host, so any registry name reaches the test registry.
type wireRecorder struct {
	base http.RoundTripper
	mu   sync.Mutex
	http int // plain HTTP requests that got past the policy
}

func newWireRecorder(addr string) *wireRecorder {
	d := &net.Dialer{Timeout: time.Second}
	return &wireRecorder{base: &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
	}}
}

func (w *wireRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "http" {
		w.mu.Lock()
		w.http++
		w.mu.Unlock()
	}
	return w.base.RoundTrip(req)
}

func TestLoginPlainHTTPPolicy(t *testing.T) {
	reg := testenv.StartInProcessRegistry(t, testenv.WithBasicAuth(loginUser, loginSecret))
	auth := Credentials{Username: loginUser, Password: loginSecret}
	tests := []struct {
		server    string
		insecure  []string
		wantOK    bool
		wantKinds []error // when not OK
	}{
		// go-containerregistry would fall back to HTTP for private
		// addresses and .local names; multiarch does not without opt-in.
		// The registry (behind every name here) serves plain HTTP, so
		// unlisted it is ErrInsecure, however the HTTPS attempt went.
		{"10.1.2.3:5000", nil, false, []error{ErrInsecure}},
		{"registry.local:5000", nil, false, []error{ErrInsecure}},
		{"registry.example:5000", nil, false, []error{ErrInsecure}},
		{"10.1.2.3:5000", []string{"10.1.2.3:6000"}, false, []error{ErrInsecure}},
		{"10.1.2.3:5000", []string{"10.1.2.3:5000"}, true, nil},
		{"10.1.2.3:5000", []string{"10.1.2.3"}, true, nil},
		// Listed as other commands take it: any case, with a scheme.
		{"Registry.Example:5000", []string{"http://registry.example/"}, true, nil},
		{"registry.example:5000", []string{"REGISTRY.EXAMPLE:5000"}, true, nil},
		{"http://registry.example:5000", []string{"registry.example"}, true, nil},
	}
	for _, tc := range tests {
		rec := newWireRecorder(reg.Host)
		opts := testOpts()
		opts.Transport = rec
		opts.Insecure = tc.insecure
		_, err := Login(t.Context(), tc.server, auth, opts)
		if tc.wantOK {
			if err != nil {
				t.Errorf("%s %q: %v", tc.server, tc.insecure, err)
			}
			continue
		}
		if err == nil || !slices.ContainsFunc(tc.wantKinds, func(k error) bool { return errors.Is(err, k) }) {
			t.Errorf("%s %q: error %v, want one of %v", tc.server, tc.insecure, err, tc.wantKinds)
		}
		if rec.http != 0 {
			t.Errorf("%s %q: %d plain HTTP request(s) reached the registry", tc.server, tc.insecure, rec.http)
		}
	}
}
