package registry

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/multiarch-dev/multiarch/internal/testenv"
)

func TestCheckPushAllowed(t *testing.T) {
	reg := testenv.StartInProcessRegistry(t, testenv.WithBasicAuth(loginUser, loginSecret))
	opts := testOpts()
	opts.Keychain = testenv.Keychain()
	if err := CheckPush(t.Context(), []string{reg.Ref("app", "v1"), reg.Ref("app", "v2"), reg.Ref("other", "v1")}, opts); err != nil {
		t.Fatal(err)
	}
}

// Each repository is asked once, and the upload it starts is cancelled.
func TestCheckPushOncePerRepository(t *testing.T) {
	reg := startRegistry(t, nil)
	refs := []string{reg.ref("app:v1"), reg.ref("app:v2"), reg.ref("app@sha256:" + strings.Repeat("0", 64)), reg.ref("other:v1")}
	if err := CheckPush(t.Context(), refs, testOpts()); err != nil {
		t.Fatal(err)
	}
	got := reg.requests(http.MethodPost)
	if len(got) != 2 || !strings.HasPrefix(got[0], "POST /v2/app/blobs/uploads/") || !strings.HasPrefix(got[1], "POST /v2/other/blobs/uploads/") {
		t.Errorf("upload requests %v, want one for app then one for other", got)
	}
	if n := len(reg.requests(http.MethodDelete)); n != 2 {
		t.Errorf("%d uploads cancelled, want 2", n)
	}
}

func TestCheckPushUnauthorized(t *testing.T) {
	reg := testenv.StartInProcessRegistry(t, testenv.WithBasicAuth(loginUser, loginSecret))
	ref := reg.Ref("app", "v1")
	err := CheckPush(t.Context(), []string{ref}, testOpts()) // anonymous
	assertKind(t, err, ErrUnauthorized)
	var e *Error
	errors.As(err, &e)
	if e.Ref != ref {
		t.Errorf("Ref %q, want %q", e.Ref, ref)
	}
	// e.Host is what the CLI names in its advice to log in.
	if e.Host != reg.Host || !strings.Contains(err.Error(), "401") {
		t.Errorf("message does not say 401 or the error lacks the registry to log in to (%q): %v", e.Host, err)
	}
}

// A registry that lets the user read but not write refuses the push check:
// the upload is what is refused, not the login.
func TestCheckPushForbidden(t *testing.T) {
	reg := startRegistry(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost {
				w.WriteHeader(http.StatusForbidden)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	err := CheckPush(t.Context(), []string{reg.ref("app:v1")}, testOpts())
	assertKind(t, err, ErrUnauthorized)
	if !strings.Contains(err.Error(), "403") {
		t.Errorf("message does not say 403: %v", err)
	}
}

func TestCheckPushUnreachable(t *testing.T) {
	addr := closedAddr(t)
	start := time.Now()
	err := CheckPush(t.Context(), []string{addr + "/app:v1"}, testOpts())
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	assertKind(t, err, ErrUnreachable)
	if !strings.Contains(err.Error(), addr) {
		t.Errorf("message does not name the registry: %v", err)
	}
}

// A registry that accepts connections but never answers fails within the
// configured timeouts, not after minutes.
func TestCheckPushNeverAnswers(t *testing.T) {
	opts := testOpts()
	opts.DialTimeout, opts.ResponseTimeout = 200*time.Millisecond, 200*time.Millisecond
	start := time.Now()
	err := CheckPush(t.Context(), []string{silentAddr(t) + "/app:v1"}, opts)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v with 200ms timeouts", d)
	}
	assertKind(t, err, ErrTimeout)
	if !strings.Contains(err.Error(), "no answer for 200ms") {
		t.Errorf("message does not say what timed out after how long: %v", err)
	}
}

func TestCheckPushBadReference(t *testing.T) {
	for _, ref := range []string{"Not A Ref!", "127.0.0.1:5000/App:v1", LayoutScheme + "/tmp/layout:v1", ""} {
		rec := newWireRecorder("127.0.0.1:1")
		opts := testOpts()
		opts.Transport = rec
		err := CheckPush(t.Context(), []string{ref}, opts)
		assertKind(t, err, ErrBadReference)
		if rec.http != 0 {
			t.Errorf("%q: a request was made", ref)
		}
	}
}

func TestCheckPushPlainHTTPPolicy(t *testing.T) {
	reg := testenv.StartInProcessRegistry(t)
	tests := []struct {
		ref       string
		insecure  []string
		wantOK    bool
		wantKinds []error // when not OK
	}{
		// go-containerregistry would fall back to HTTP for private
		// addresses and .local names; multiarch does not without opt-in.
		// The registry (behind every name here) serves plain HTTP, so
		// unlisted it is ErrInsecure, however the HTTPS attempt went.
		{"10.1.2.3:5000/app:v1", nil, false, []error{ErrInsecure}},
		{"registry.local:5000/app:v1", nil, false, []error{ErrInsecure}},
		{"registry.example:5000/app:v1", nil, false, []error{ErrInsecure}},
		{"10.1.2.3:5000/app:v1", []string{"10.1.2.3:6000"}, false, []error{ErrInsecure}},
		{"10.1.2.3:5000/app:v1", []string{"10.1.2.3:5000"}, true, nil},
		{"10.1.2.3:5000/app:v1", []string{"10.1.2.3"}, true, nil},
		// Listed as other commands take it: any case, with a scheme.
		{"registry.example:5000/app:v1", []string{"http://Registry.Example/"}, true, nil},
		{"registry.example:5000/app:v1", []string{"REGISTRY.EXAMPLE:5000"}, true, nil},
		{"localhost:5000/app:v1", nil, true, nil},
	}
	for _, tc := range tests {
		rec := newWireRecorder(reg.Host)
		opts := testOpts()
		opts.Transport = rec
		opts.Insecure = tc.insecure
		err := CheckPush(t.Context(), []string{tc.ref}, opts)
		if tc.wantOK {
			if err != nil {
				t.Errorf("%s %q: %v", tc.ref, tc.insecure, err)
			}
			continue
		}
		if err == nil || !slices.ContainsFunc(tc.wantKinds, func(k error) bool { return errors.Is(err, k) }) {
			t.Errorf("%s %q: error %v, want one of %v", tc.ref, tc.insecure, err, tc.wantKinds)
		}
		if rec.http != 0 {
			t.Errorf("%s %q: %d plain HTTP request(s) reached the registry", tc.ref, tc.insecure, rec.http)
		}
	}
}

func TestListedInsecure(t *testing.T) {
	tests := []struct {
		ref      string
		insecure []string
		want     bool
	}{
		{"reg.example:5000/app:v1", []string{"reg.example"}, true},
		{"reg.example:5000/app:v1", []string{"reg.example:5000"}, true},
		{"reg.example:5000/app:v1", []string{"http://REG.example:5000/"}, true},
		{"reg.example:5000/app:v1", []string{"other:5000"}, false},
		{"reg.example:5000/app:v1", []string{"reg.example:6000"}, false},
		{"localhost:5000/app:v1", nil, false},
		{"not a ref", []string{"not a ref"}, false},
	}
	for _, tc := range tests {
		if got := ListedInsecure(tc.ref, tc.insecure); got != tc.want {
			t.Errorf("ListedInsecure(%q, %q) = %v, want %v", tc.ref, tc.insecure, got, tc.want)
		}
	}
}
