package registry

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// These tests run against the real distribution registry (testenv builds
// and starts it) with the busybox fixtures.

func e2eOpts() Options {
	o := testOpts()
	o.Keychain = testenv.Keychain()
	return o
}

func TestE2EInspect(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	reg := testenv.StartRegistry(t)
	all := testenv.BusyboxPlatforms(t)
	var names []string
	for _, p := range all {
		names = append(names, p.String())
	}

	tests := []struct {
		name         string
		push         func(testing.TB, string, ...platform.Platform) v1.Hash
		mediaType    string
		attestations int
	}{
		{"busybox", testenv.PushBusyboxIndex, "application/vnd.oci.image.index.v1+json", 0},
		{"dockerlist", testenv.PushDockerManifestList, "application/vnd.docker.distribution.manifest.list.v2+json", 0},
		{"attested", testenv.PushIndexWithAttestations, "application/vnd.oci.image.index.v1+json", len(all)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ref := reg.Ref("e2e/"+tc.name, "1")
			want := tc.push(t, ref, all...)
			ins, err := Inspect(context.Background(), ref, e2eOpts())
			if err != nil {
				t.Fatal(err)
			}
			if ins.Digest != want.String() || ins.MediaType != tc.mediaType {
				t.Errorf("top %s %s, want %s %s", ins.Digest, ins.MediaType, want, tc.mediaType)
			}
			if got := platformsOf(ins.Manifests); !slices.Equal(got, names) {
				t.Errorf("platforms %v, want %v", got, names)
			}
			for _, m := range ins.Manifests {
				if m.Config == nil || m.Config.Platform != m.Platform || m.Layers == 0 || m.LayersSize == 0 {
					t.Errorf("entry %+v", m)
				}
			}
			if len(ins.Attestations) != tc.attestations {
				t.Errorf("%d attestations, want %d", len(ins.Attestations), tc.attestations)
			}
		})
	}
}

// recordingProxy fronts the real registry and logs "METHOD URI STATUS".
type recordingProxy struct {
	host string
	mu   sync.Mutex
	log  []string
}

func startRecordingProxy(t *testing.T, target string) *recordingProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &recordingProxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		rp.ServeHTTP(sw, r)
		p.mu.Lock()
		p.log = append(p.log, r.Method+" "+r.URL.RequestURI()+" "+http.StatusText(sw.code))
		p.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	p.host = strings.TrimPrefix(srv.URL, "http://")
	return p
}

func (p *recordingProxy) requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.log)
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (s *statusWriter) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}

func TestE2ECreateIndexAcrossRepos(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	reg := testenv.StartRegistry(t)
	proxy := startRecordingProxy(t, reg.URL)
	ps := testenv.Platforms(t, "linux/arm64", "linux/arm/v7")
	testenv.PushImage(t, proxy.host+"/team/busybox-amd64:1", testenv.BusyboxImage(t, testenv.Platforms(t, "linux/amd64")[0]))
	testenv.PushIndexWithAttestations(t, proxy.host+"/other/busybox-arm:1", ps...)

	target := proxy.host + "/team/busybox:1"
	c, err := CreateIndex(context.Background(), target,
		[]string{proxy.host + "/team/busybox-amd64:1", proxy.host + "/other/busybox-arm:1"}, CreateOptions{Options: e2eOpts()})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, m := range c.Manifests {
		if m.Attestation {
			kinds = append(kinds, "att")
		} else {
			kinds = append(kinds, m.Platform)
		}
	}
	if want := []string{"linux/amd64", "linux/arm64", "att", "linux/arm/v7", "att"}; !slices.Equal(kinds, want) {
		t.Errorf("entries %v, want %v", kinds, want)
	}
	// The distribution registry mounts blobs across repositories: 201, no upload.
	mounted := slices.ContainsFunc(proxy.requests(), func(q string) bool {
		return strings.HasPrefix(q, "POST /v2/team/busybox/blobs/uploads/?") && strings.Contains(q, "from=other%2Fbusybox-arm") && strings.HasSuffix(q, " Created")
	})
	if !mounted {
		t.Errorf("no blob mounted from other/busybox-arm: %v", proxy.requests())
	}

	ins, err := Inspect(context.Background(), target, e2eOpts())
	if err != nil {
		t.Fatal(err)
	}
	if ins.Digest != c.Digest || len(ins.Manifests) != 3 || len(ins.Attestations) != 2 {
		t.Errorf("inspected %+v", ins)
	}
}

func TestE2EUnauthorized(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	const secret = "correct-horse-battery"
	reg := testenv.StartRegistry(t, testenv.WithBasicAuth("ci", secret))
	ref := reg.Ref("private/busybox", "1")
	testenv.PushBusyboxIndex(t, ref, testenv.Platforms(t, "linux/amd64")...)

	opts := testOpts()
	opts.Keychain = staticKeychain{"ci", secret + "-wrong"}
	_, err := Inspect(context.Background(), ref, opts)
	assertKind(t, err, ErrUnauthorized)
	if strings.Contains(err.Error(), secret) || hostOf(err) != reg.Host {
		t.Errorf("message: %v (the registry to log in to: %q)", err, hostOf(err))
	}
	if _, err := Inspect(context.Background(), ref, e2eOpts()); err != nil {
		t.Errorf("with credentials: %v", err)
	}
}
