package registry

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

func TestReferenceHelpers(t *testing.T) {
	if err := CheckReference("reg:5000/app:v1"); err != nil {
		t.Errorf("valid reference refused: %v", err)
	}
	if err := CheckReference("UPPER/case:v1"); err == nil {
		t.Error("invalid reference accepted")
	}
	for _, tc := range []struct{ in, repo, host string }{
		{"reg:5000/app:v1", "reg:5000/app", "reg:5000"},
		{"busybox", "index.docker.io/library/busybox", "index.docker.io"},
		{"reg.example/app@sha256:" + hex64, "reg.example/app", "reg.example"},
		{"::bad", "::bad", ""},
	} {
		if got := Repository(tc.in); got != tc.repo {
			t.Errorf("Repository(%s) = %s, want %s", tc.in, got, tc.repo)
		}
		if got := Host(tc.in); got != tc.host {
			t.Errorf("Host(%s) = %s, want %s", tc.in, got, tc.host)
		}
	}
	for in, want := range map[string]string{
		"reg.example/cache:hello":           "reg.example/cache:hello-node1",
		"reg.example/cache":                 "reg.example/cache:latest-node1",
		"reg.example/cache@sha256:" + hex64: "reg.example/cache@sha256:" + hex64,
		"::bad":                             "::bad",
	} {
		if got := WithTagSuffix(in, "node1"); got != want {
			t.Errorf("WithTagSuffix(%s) = %s, want %s", in, got, want)
		}
	}
}

const hex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// TestPullReference: BuildKit spells Docker Hub docker.io, not
// index.docker.io.
func TestPullReference(t *testing.T) {
	d := "sha256:" + hex64
	for in, want := range map[string]string{
		"busybox:1.36":          "docker.io/library/busybox@" + d,
		"reg:5000/app:v1":       "reg:5000/app@" + d,
		"reg:5000/app@" + d:     "reg:5000/app@" + d,
		"ghcr.io/o/app:v1":      "ghcr.io/o/app@" + d,
		"docker.io/o/app:v1":    "docker.io/o/app@" + d,
		"index.docker.io/o/app": "docker.io/o/app@" + d,
	} {
		if got, err := PullReference(in, d); err != nil || got != want {
			t.Errorf("PullReference(%s) = %s, %v; want %s", in, got, err, want)
		}
	}
	if _, err := PullReference("::bad", d); err == nil {
		t.Error("bad reference: no error")
	}
}

func TestStatusCode(t *testing.T) {
	err := fmt.Errorf("push: %w", &transport.Error{StatusCode: http.StatusForbidden})
	if StatusCode(err) != http.StatusForbidden || StatusCode(errors.New("x")) != 0 {
		t.Error("StatusCode")
	}
}

type hostKeychain map[string]authn.AuthConfig

func (k hostKeychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	if c, ok := k[r.RegistryStr()]; ok {
		return authn.FromConfig(c), nil
	}
	return authn.Anonymous, nil
}

func TestKeychainCredential(t *testing.T) {
	opts := Options{Keychain: hostKeychain{"reg:5000": {Username: "alice", Password: "s3cret"}, name.DefaultRegistry: {IdentityToken: "tok"}}}
	c, err := KeychainCredential(t.Context(), "reg:5000", opts)
	if err != nil || c.Username != "alice" || c.Password != "s3cret" {
		t.Errorf("reg:5000: %+v %v", c, err)
	}
	if c, err := KeychainCredential(t.Context(), DockerHub, opts); err != nil || c.IdentityToken != "tok" {
		t.Errorf("Docker Hub: %+v %v", c, err)
	}
	if c, err := KeychainCredential(t.Context(), "other", opts); err != nil || c != (Credential{}) {
		t.Errorf("anonymous: %+v %v", c, err)
	}
	if _, err := KeychainCredential(t.Context(), "bad host/x", opts); err == nil {
		t.Error("bad host: no error")
	}
}
