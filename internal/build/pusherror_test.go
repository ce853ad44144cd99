package build

import (
	"errors"
	"strings"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/registry"
)

// TestParsePushError reads the push failures BuildKit v0.34 reports (the
// texts its exporter and containerd's pusher produce) into a *PushError
// with the registry, the status, what was pushed and advice.
func TestParsePushError(t *testing.T) {
	const idx = "sha256:c2356f342ee5c735403ed73ea998ca8d52fe20fb59d2745040a880add8362a58"
	const manifestPhase = "pushing manifest for 127.0.0.1:5000/exp:v1@" + idx
	for _, tc := range []struct {
		name, msg, phase string
		kind             error
		want             []string
	}{
		{"429 api error", "failed to solve: failed to push 127.0.0.1:5000/exp:v1: toomanyrequests: slow down", manifestPhase,
			registry.ErrUnavailable, []string{"127.0.0.1:5000", "429", "rate limited", "Retry-After", "the manifests and the index", "slow down", "wait and retry"}},
		{"500 unknown", "failed to solve: failed to push 127.0.0.1:5000/exp:v1: unknown: boom", "pushing layers",
			registry.ErrUnavailable, []string{"127.0.0.1:5000", "HTTP 500", "the layers", "boom", "retry later"}},
		{"503 plain", "failed to push 127.0.0.1:5000/exp:v1: unexpected status from PUT request to http://127.0.0.1:5000/v2/exp/manifests/v1: 503 Service Unavailable", manifestPhase,
			registry.ErrUnavailable, []string{"503 Service Unavailable", "the index under tag v1", "retry later"}},
		{"index by digest", "failed to push 127.0.0.1:5000/exp:v1: unexpected status from PUT request to http://127.0.0.1:5000/v2/exp/manifests/" + idx + ": 429 Too Many Requests", manifestPhase,
			registry.ErrUnavailable, []string{"429 Too Many Requests", "the index " + idx, "Retry-After"}},
		{"blob", "failed to push 127.0.0.1:5000/exp:v1: unexpected status from PUT request to http://127.0.0.1:5000/v2/exp/blobs/uploads/x?digest=sha256:1: 500 Internal Server Error", "pushing layers",
			registry.ErrUnavailable, []string{"500 Internal Server Error", "a blob"}},
		{"denied", "failed to push reg.example/exp:v1: push access denied, repository does not exist or may require authorization: server message: insufficient_scope", "",
			registry.ErrUnauthorized, []string{"reg.example", "HTTP 403", "the image"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pe := parsePushError(tc.msg, tc.phase)
			if pe == nil {
				t.Fatalf("not recognised: %s", tc.msg)
			}
			if !errors.Is(pe, tc.kind) {
				t.Errorf("kind: %v, want %v", pe.Err.Kind, tc.kind)
			}
			if pe.Err.Host == "" {
				t.Error("no host")
			}
			msg := pe.Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message lacks %q:\n%s", w, msg)
				}
			}
			if strings.Contains(msg, "insufficient_scope") {
				t.Errorf("a refusal's server words are printed: %s", msg)
			}
		})
	}
	for _, other := range []string{
		"failed to solve: process \"/bin/sh -c false\" did not complete successfully: exit code: 1",
		"failed to push 127.0.0.1:5000/exp:v1: manifest invalid: nope",
		"failed to push 127.0.0.1:5000/exp:v1: unexpected status from PUT request to http://127.0.0.1:5000/v2/exp/manifests/v1: 400 Bad Request",
	} {
		if pe := parsePushError(other, ""); pe != nil {
			t.Errorf("%q read as a push failure: %v", other, pe)
		}
	}
}
