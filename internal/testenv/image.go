package testenv

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	specs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

// File is one entry of a fixture layer. Parent directories are added
// automatically.
type File struct {
	// Path is absolute or relative to the root ("/bin/sh", "app/server").
	Path string
	// Body is the content of a regular file.
	Body []byte
	// Mode defaults to 0755 (fixtures are mostly executables).
	Mode int64
	// Link, when set, makes the entry a symlink to Link (Body is ignored).
	Link string
	// Dir makes the entry a directory (Mode defaults to 0755; /tmp gets
	// 01777 and /root 0700 unless given).
	Dir bool
}

// Entry is one platform of a fixture index.
type Entry struct {
	Platform platform.Platform
	Files    []File
	// Config is the image's run configuration (Env, Entrypoint, Cmd, ...).
	Config v1.Config
}

// Format selects the media types of fixture images and indexes.
type Format int

const (
	// OCI: application/vnd.oci.image.index.v1+json, OCI manifests, configs
	// and gzip layers.
	OCI Format = iota
	// Docker: application/vnd.docker.distribution.manifest.list.v2+json and
	// Docker v2 schema 2 manifests, configs and layers.
	Docker
)

func (f Format) indexType() types.MediaType {
	if f == Docker {
		return types.DockerManifestList
	}
	return types.OCIImageIndex
}

func (f Format) manifestType() types.MediaType {
	if f == Docker {
		return types.DockerManifestSchema2
	}
	return types.OCIManifestSchema1
}

func (f Format) configType() types.MediaType {
	if f == Docker {
		return types.DockerConfigJSON
	}
	return types.OCIConfigJSON
}

func (f Format) layerType() types.MediaType {
	if f == Docker {
		return types.DockerLayer
	}
	return types.OCILayer
}

// Layer builds a gzip layer holding files, reproducibly (fixed times and
// owners, sorted entries): the same files give the same digest.
func Layer(t testing.TB, f Format, files []File) v1.Layer {
	t.Helper()
	l, err := layer(f, files)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func layer(f Format, files []File) (v1.Layer, error) {
	entries, err := tarEntries(files)
	if err != nil {
		return nil, err
	}
	raw, err := writeTar(entries)
	if err != nil {
		return nil, err
	}
	// Compress once here rather than on every Compressed() call.
	blob, err := gzipBytes(raw)
	if err != nil {
		return nil, err
	}
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(blob)), nil
	}, tarball.WithMediaType(f.layerType()))
}

// tarEntry is one header of a fixture layer and its body.
type tarEntry struct {
	hdr  *tar.Header
	body []byte
}

// tarEntries are the files and every directory above them (mode 0755
// unless a Dir file says otherwise; /tmp 1777, /root 0700), sorted so that
// directories come before their contents ("bin/" < "bin/x").
func tarEntries(files []File) ([]tarEntry, error) {
	var entries []tarEntry
	dirMode := map[string]int64{"tmp": 0o1777, "root": 0o700}
	for _, file := range files {
		if file.Dir && file.Mode != 0 {
			dirMode[strings.TrimPrefix(path.Clean("/"+file.Path), "/")] = file.Mode
		}
	}
	dirs := map[string]bool{}
	addDir := func(d string) {
		if dirs[d] {
			return
		}
		dirs[d] = true
		mode, ok := dirMode[d]
		if !ok {
			mode = 0o755
		}
		entries = append(entries, tarEntry{hdr: &tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: mode}})
	}
	for _, file := range files {
		p := strings.TrimPrefix(path.Clean("/"+file.Path), "/")
		if p == "" {
			return nil, fmt.Errorf("layer: empty path")
		}
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			addDir(d)
		}
		if file.Dir {
			addDir(p)
			continue
		}
		entries = append(entries, fileEntry(p, file))
	}
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].hdr.Name < entries[j].hdr.Name })
	return entries, nil
}

// fileEntry is a regular file (mode 0755 unless given) or a symlink.
func fileEntry(p string, file File) tarEntry {
	mode := file.Mode
	if mode == 0 {
		mode = 0o755
	}
	hdr := &tar.Header{Name: p, Mode: mode}
	if file.Link != "" {
		hdr.Typeflag, hdr.Linkname, hdr.Mode = tar.TypeSymlink, file.Link, 0o777
		return tarEntry{hdr: hdr}
	}
	hdr.Typeflag, hdr.Size = tar.TypeReg, int64(len(file.Body))
	return tarEntry{hdr: hdr, body: file.Body}
}

// writeTar writes the entries as a PAX tar.
func writeTar(entries []tarEntry) ([]byte, error) {
	var raw bytes.Buffer
	tw := tar.NewWriter(&raw)
	for _, e := range entries {
		e.hdr.Format = tar.FormatPAX
		if err := tw.WriteHeader(e.hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.body); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return raw.Bytes(), nil
}

func gzipBytes(raw []byte) ([]byte, error) {
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(raw); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return gz.Bytes(), nil
}

// Image builds a single-layer image for the platform p (config os,
// architecture and variant from p).
func Image(t testing.TB, f Format, p platform.Platform, files []File, cfg v1.Config) v1.Image {
	t.Helper()
	img, err := image(f, p.OS, p.Arch, p.Variant, files, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func image(f Format, os, arch, variant string, files []File, cfg v1.Config) (v1.Image, error) {
	l, err := layer(f, files)
	if err != nil {
		return nil, err
	}
	return imageWithLayer(f, os, arch, variant, l, cfg)
}

func imageWithLayer(f Format, os, arch, variant string, l v1.Layer, cfg v1.Config) (v1.Image, error) {
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, f.manifestType()), f.configType())
	img, err := mutate.ConfigFile(base, &v1.ConfigFile{
		Created:      epoch,
		OS:           os,
		Architecture: arch,
		Variant:      variant,
		Config:       cfg,
		RootFS:       v1.RootFS{Type: "layers"},
	})
	if err != nil {
		return nil, err
	}
	return mutate.Append(img, mutate.Addendum{
		Layer:     l,
		MediaType: f.layerType(),
		History:   v1.History{Created: epoch, CreatedBy: "multiarch testenv fixture"},
	})
}

// epoch is the creation time of every fixture (SOURCE_DATE_EPOCH=0), so
// builds are reproducible.
var epoch = v1.Time{Time: time.Unix(0, 0).UTC()}

// indexEntry is an image and the platform its index descriptor claims.
type indexEntry struct {
	img         v1.Image
	platform    *v1.Platform
	annotations map[string]string
}

func newIndex(f Format, entries []indexEntry) v1.ImageIndex {
	adds := make([]mutate.IndexAddendum, len(entries))
	for i, e := range entries {
		adds[i] = mutate.IndexAddendum{Add: plainImage{e.img}, Descriptor: v1.Descriptor{
			MediaType:   f.manifestType(),
			Platform:    e.platform,
			Annotations: e.annotations,
		}}
	}
	return mutate.AppendManifests(mutate.IndexMediaType(empty.Index, f.indexType()), adds...)
}

// plainImage keeps go-containerregistry from giving the image's index
// descriptor an artifactType (it copies the config media type there);
// BuildKit and docker write none for images, so neither do fixtures.
type plainImage struct{ v1.Image }

func (plainImage) ArtifactType() (string, error) { return "", nil }

func descPlatform(p platform.Platform) *v1.Platform {
	return &v1.Platform{OS: p.OS, Architecture: p.Arch, Variant: p.Variant}
}

// Index builds an index with one image per entry, descriptors carrying the
// entry's platform.
func Index(t testing.TB, f Format, entries ...Entry) v1.ImageIndex {
	t.Helper()
	var es []indexEntry
	for _, e := range entries {
		img := Image(t, f, e.Platform, e.Files, e.Config)
		es = append(es, indexEntry{img: img, platform: descPlatform(e.Platform)})
	}
	return newIndex(f, es)
}

// ScratchIndex is Index(t, OCI, entries...): images holding only the given
// files.
func ScratchIndex(t testing.TB, entries ...Entry) v1.ImageIndex {
	t.Helper()
	return Index(t, OCI, entries...)
}

// PushScratchIndex pushes ScratchIndex(t, entries...) to ref and returns the
// index digest.
func PushScratchIndex(t testing.TB, ref string, entries ...Entry) v1.Hash {
	t.Helper()
	return PushIndex(t, ref, ScratchIndex(t, entries...))
}

// PushIndex writes idx (and everything it references) to ref and returns
// its digest. Registries started by this package are logged into
// automatically.
func PushIndex(t testing.TB, ref string, idx v1.ImageIndex) v1.Hash {
	t.Helper()
	return push(t, ref, idx)
}

// PushImage writes img to ref and returns its manifest digest.
func PushImage(t testing.TB, ref string, img v1.Image) v1.Hash {
	t.Helper()
	return push(t, ref, img)
}

// pushable is what both push helpers write: an image or an index.
type pushable interface {
	remote.Taggable
	Digest() (v1.Hash, error)
}

// push writes x and its children to ref with Keychain's credentials.
func push(t testing.TB, ref string, x pushable) v1.Hash {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	if err := remote.Push(r, x, remote.WithContext(t.Context()), remote.WithAuthFromKeychain(Keychain())); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	d, err := x.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// CheckNotPushed marks the test failed unless tag is absent (404) and its
// repository is not in the registry's catalog: what a failed or
// interrupted build must leave. It asks with Keychain's credentials.
func CheckNotPushed(t testing.TB, tag string, opts ...name.Option) {
	t.Helper()
	ref, err := name.ParseReference(tag, opts...)
	if err != nil {
		t.Fatal(err)
	}
	auth := remote.WithAuthFromKeychain(Keychain())
	_, err = remote.Head(ref, remote.WithContext(t.Context()), auth)
	var terr *transport.Error
	if !errors.As(err, &terr) || terr.StatusCode != http.StatusNotFound {
		t.Errorf("%s: want 404 (nothing pushed), got %v", tag, err)
	}
	repos, err := remote.Catalog(t.Context(), ref.Context().Registry, auth)
	if err != nil {
		t.Fatalf("catalog of %s: %v", ref.Context().RegistryStr(), err)
	}
	if slices.Contains(repos, ref.Context().RepositoryStr()) {
		t.Errorf("repository %s exists: something was pushed", ref.Context().RepositoryStr())
	}
}

// ReadFile returns the content of the regular file at p in img's
// flattened file system.
func ReadFile(t testing.TB, img v1.Image, p string) []byte {
	t.Helper()
	b, err := readFile(img, p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readFile(img v1.Image, p string) ([]byte, error) {
	want := strings.TrimPrefix(path.Clean("/"+p), "/")
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: not in image", p)
		}
		if err != nil {
			return nil, err
		}
		if strings.TrimPrefix(path.Clean("/"+hdr.Name), "/") != want {
			continue
		}
		if hdr.Typeflag != tar.TypeReg {
			return nil, fmt.Errorf("%s: not a regular file (type %q)", p, hdr.Typeflag)
		}
		return io.ReadAll(tr)
	}
}

// ImageFor returns the image of idx whose descriptor names platform p.
func ImageFor(t testing.TB, idx v1.ImageIndex, p platform.Platform) v1.Image {
	t.Helper()
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range m.Manifests {
		if d.Platform == nil {
			continue
		}
		spec := specs.Platform{OS: d.Platform.OS, Architecture: d.Platform.Architecture, Variant: d.Platform.Variant}
		if q, ok := platform.FromOCI(spec); ok && q.String() == p.String() {
			img, err := idx.Image(d.Digest)
			if err != nil {
				t.Fatal(err)
			}
			return img
		}
	}
	t.Fatalf("index has no entry for %s", p)
	return nil
}
