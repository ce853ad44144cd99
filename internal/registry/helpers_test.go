package registry

import (
	"bytes"
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// testRegistry is go-containerregistry's in-process registry with blobs
// kept per repository (so cross-repository copies are observable) and a
// log of every request.
type testRegistry struct {
	host  string
	blobs *repoBlobs

	mu   sync.Mutex
	reqs []string // "METHOD /path?query"
}

// startRegistry starts a registry on 127.0.0.1; wrap, if not nil, sits in
// front of it to break things on purpose.
func startRegistry(t *testing.T, wrap func(http.Handler) http.Handler) *testRegistry {
	t.Helper()
	r := &testRegistry{blobs: &repoBlobs{m: map[string][]byte{}}}
	var h http.Handler = ggcrregistry.New(ggcrregistry.Logger(discardLogger()), ggcrregistry.WithBlobHandler(r.blobs))
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.reqs = append(r.reqs, req.Method+" "+req.URL.RequestURI())
		r.mu.Unlock()
		h.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	r.host = strings.TrimPrefix(srv.URL, "http://")
	return r
}

func (r *testRegistry) ref(repoTag string) string { return r.host + "/" + repoTag }

// requests returns the logged requests whose method is one of methods.
func (r *testRegistry) requests(methods ...string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, q := range r.reqs {
		for _, m := range methods {
			if strings.HasPrefix(q, m+" ") {
				out = append(out, q)
			}
		}
	}
	return out
}

func (r *testRegistry) resetLog() {
	r.mu.Lock()
	r.reqs = nil
	r.mu.Unlock()
}

// repoBlobs stores blobs per repository.
type repoBlobs struct {
	mu sync.Mutex
	m  map[string][]byte
}

// key names a blob of a repository. go-containerregistry's registry passes
// "REPO/blobs" as the repository of chunked uploads and "REPO" elsewhere.
func (b *repoBlobs) key(repo string, h v1.Hash) string {
	return strings.TrimSuffix(repo, "/blobs") + "@" + h.String()
}

func (b *repoBlobs) Get(_ context.Context, repo string, h v1.Hash) (io.ReadCloser, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	data, ok := b.m[b.key(repo, h)]
	if !ok {
		return nil, ggcrregistry.ErrNotFound
	}
	return io.NopCloser(bytes.NewReader(data)), nil
}

func (b *repoBlobs) Stat(_ context.Context, repo string, h v1.Hash) (int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	data, ok := b.m[b.key(repo, h)]
	if !ok {
		return 0, ggcrregistry.ErrNotFound
	}
	return int64(len(data)), nil
}

func (b *repoBlobs) Put(_ context.Context, repo string, h v1.Hash, rc io.ReadCloser) error {
	data, err := io.ReadAll(rc)
	if err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.m[b.key(repo, h)] = data
	return nil
}

func (b *repoBlobs) has(repo string, h v1.Hash) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, ok := b.m[b.key(repo, h)]
	return ok
}

func (b *repoBlobs) delete(repo string, h v1.Hash) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.m, b.key(repo, h))
}

// testOpts are Options for tests: anonymous, fast retries.
func testOpts() Options {
	return Options{
		Keychain: authn.NewMultiKeychain(),
		Retry:    remote.Backoff{Duration: time.Millisecond, Factor: 1, Steps: 2},
	}
}

var created = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// image makes a small image for os/arch[/variant] with two layers, in OCI
// or Docker schema 2 media types.
func image(t testing.TB, oci bool, os, arch, variant string) v1.Image {
	t.Helper()
	lt := types.DockerLayer
	if oci {
		lt = types.OCILayer
	}
	img := empty.Image
	if oci {
		img = mutate.MediaType(img, types.OCIManifestSchema1)
		img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	}
	for range 2 {
		l, err := random.Layer(512, lt)
		if err != nil {
			t.Fatal(err)
		}
		if img, err = mutate.AppendLayers(img, l); err != nil {
			t.Fatal(err)
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = os, arch, variant
	cf.Created = v1.Time{Time: created}
	cf.Config.Entrypoint = []string{"/bin/sh"}
	cf.Config.Cmd = []string{"-c", "echo " + arch}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

type plat struct{ os, arch, variant string }

func (p plat) v1() *v1.Platform {
	return &v1.Platform{OS: p.os, Architecture: p.arch, Variant: p.variant}
}

// index makes an index of one image per platform.
func index(t testing.TB, oci bool, ps ...plat) v1.ImageIndex {
	t.Helper()
	mt := types.DockerManifestList
	if oci {
		mt = types.OCIImageIndex
	}
	var idx v1.ImageIndex = mutate.IndexMediaType(empty.Index, mt)
	for _, p := range ps {
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        image(t, oci, p.os, p.arch, p.variant),
			Descriptor: v1.Descriptor{Platform: p.v1()},
		})
	}
	return idx
}

// withAttestations appends a BuildKit-style attestation manifest for every
// platform image of idx.
func withAttestations(t testing.TB, idx v1.ImageIndex) v1.ImageIndex {
	t.Helper()
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range im.Manifests {
		stmt := static.NewLayer([]byte(`{"_type":"https://in-toto.io/Statement/v0.1","subject":[{"digest":{"sha256":"`+d.Digest.Hex+`"}}]}`), "application/vnd.in-toto+json")
		att := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
		att = mutate.ConfigMediaType(att, types.OCIConfigJSON)
		att, err = mutate.Append(att, mutate.Addendum{Layer: stmt, Annotations: map[string]string{annotationPredicateType: "https://slsa.dev/provenance/v0.2"}})
		if err != nil {
			t.Fatal(err)
		}
		cf, _ := att.ConfigFile()
		cf = cf.DeepCopy()
		cf.OS, cf.Architecture = "unknown", "unknown"
		if att, err = mutate.ConfigFile(att, cf); err != nil {
			t.Fatal(err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: att, Descriptor: v1.Descriptor{
			Platform: &v1.Platform{OS: "unknown", Architecture: "unknown"},
			Annotations: map[string]string{
				annotationReferenceType:   attestationManifestType,
				annotationReferenceDigest: d.Digest.String(),
			},
		}})
	}
	return idx
}

// tagExists reports whether ref resolves in the registry.
func tagExists(t testing.TB, ref string) bool {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	_, err = remote.Head(r)
	return err == nil
}

func discardLogger() *log.Logger { return log.New(io.Discard, "", 0) }

// closedAddr is a loopback host:port nothing listens on.
func closedAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// silentAddr is a loopback host:port that accepts connections and never
// answers on them, until the test ends.
func silentAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var held []net.Conn
	closed := false
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			if closed {
				c.Close()
			} else {
				held = append(held, c) // read nothing, answer nothing
			}
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		closed = true
		for _, c := range held {
			c.Close()
		}
	})
	return l.Addr().String()
}
