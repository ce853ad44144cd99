package registry

import (
	"archive/tar"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// tarDir packs dir into a tar at file, entries named relative to dir
// (with prefix, as some tools write "./").
func tarDir(t testing.TB, dir, file, prefix string, skip func(string) bool) {
	t.Helper()
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if skip != nil && skip(rel) {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Name: prefix + rel, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err = tw.Write(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
}

func archiveFixture(t *testing.T, prefix string) (string, v1.Hash) {
	t.Helper()
	dir := t.TempDir()
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	idx := withAttestations(t, index(t, true, plat{"linux", "amd64", ""}, plat{"linux", "arm64", ""}))
	if err := p.AppendIndex(idx, layout.WithAnnotations(map[string]string{refNameAnnotation: "v1"})); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "out.tar")
	tarDir(t, dir, file, prefix, nil)
	want, _ := idx.Digest()
	return file, want
}

func TestInspectArchive(t *testing.T) {
	for _, prefix := range []string{"", "./"} {
		file, want := archiveFixture(t, prefix)
		for _, ref := range []string{file, ArchiveScheme + file, ArchiveScheme + file + ":v1", ArchiveScheme + file + "@" + want.String()} {
			res, err := Resolve(context.Background(), ref, testOpts())
			if err != nil {
				t.Fatalf("%s: %v", ref, err)
			}
			ins, err := Inspect(context.Background(), ref, testOpts())
			if err != nil {
				t.Fatalf("%s: %v", ref, err)
			}
			if ins.Digest != want.String() || len(ins.Manifests) != 2 || len(ins.Attestations) != 2 {
				t.Fatalf("%s: %+v", ref, ins)
			}
			if got := platformsOf(ins.Manifests); got[0] != "linux/amd64" || got[1] != "linux/arm64" {
				t.Errorf("%s: platforms %v", ref, got)
			}
			readAllLayers(t, res)
		}
	}
}

// readAllLayers reads every layer of every image of res to the end and
// checks its digest, as verify does.
func readAllLayers(t *testing.T, res *Resolved) {
	t.Helper()
	m, err := res.Index.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range m.Manifests {
		img, err := res.children.image(res.Index, d)
		if err != nil {
			t.Fatal(err)
		}
		layers, err := img.Layers()
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range layers {
			rc, err := l.Compressed()
			if err != nil {
				t.Fatal(err)
			}
			got, n, err := v1.SHA256(rc)
			rc.Close()
			want, _ := l.Digest()
			size, _ := l.Size()
			if err != nil || got != want || n != size {
				t.Errorf("layer %s: read %s, %d bytes, %v", want, got, n, err)
			}
		}
	}
}

func TestArchiveBadInput(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.tar")
	os.WriteFile(text, []byte("hello, not a tar\n"), 0o644)
	gz := filepath.Join(dir, "img.tar.gz")
	os.WriteFile(gz, []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0}, 0o644)
	zero := filepath.Join(dir, "empty.tar")
	os.WriteFile(zero, nil, 0o644)
	plain := filepath.Join(dir, "plain.tar")
	src := t.TempDir()
	os.WriteFile(filepath.Join(src, "a.txt"), []byte("a"), 0o644)
	tarDir(t, src, plain, "", nil)
	file, _ := archiveFixture(t, "")
	noIndex := filepath.Join(dir, "noindex.tar")
	layoutDir := t.TempDir()
	if _, err := layout.Write(layoutDir, empty.Index); err != nil {
		t.Fatal(err)
	}
	tarDir(t, layoutDir, noIndex, "", func(rel string) bool { return rel == "index.json" })
	cases := []struct {
		ref  string
		kind error
		want string
	}{
		{filepath.Join(dir, "missing.tar"), ErrNotFound, "no such file"},
		{ArchiveScheme + filepath.Join(dir, "missing.tar"), ErrNotFound, "no file"},
		{text, ErrBadReference, "not a tar archive"},
		{ArchiveScheme + gz, ErrBadReference, "gzip"},
		{zero, ErrBadReference, "empty file"},
		{plain, ErrBadReference, "without an oci-layout entry"},
		{noIndex, ErrBadReference, "without index.json"},
		{ArchiveScheme + dir, ErrBadReference, "a directory"},
		{ArchiveScheme + file + ":nope", ErrNotFound, `no manifest "nope"`},
	}
	for _, c := range cases {
		_, err := Inspect(context.Background(), c.ref, testOpts())
		assertKind(t, err, c.kind)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "registry error") {
			t.Errorf("%s: %v, want %q", c.ref, err, c.want)
		}
	}
}

// TestArchiveManifestBound: a manifest blob over the bound is refused
// before it is read.
func TestArchiveManifestBound(t *testing.T) {
	a := &ociArchive{file: os.DevNull, entries: map[string]tarEntry{"index.json": {offset: 0, size: maxArchiveJSON + 1}}}
	_, err := a.readSmall("index.json")
	assertKind(t, err, ErrInvalidManifest)
	if _, err := a.Blob(v1.Hash{Algorithm: "sha256", Hex: "00"}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing blob: %v", err)
	}
}

// FuzzResolveArchive feeds arbitrary files through archive resolution (tar
// index, index.json, manifest pick, layer reads): an error or a result,
// never a panic, and every error one of ours.
func FuzzResolveArchive(f *testing.F) {
	dir := f.TempDir()
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		f.Fatal(err)
	}
	if err := p.AppendImage(emptyImage(f)); err != nil {
		f.Fatal(err)
	}
	file := filepath.Join(f.TempDir(), "seed.tar")
	tarDir(f, dir, file, "./", nil)
	seed, _ := os.ReadFile(file)
	f.Add(seed)
	f.Add([]byte("not a tar"))
	f.Add(seed[:len(seed)/2])
	f.Fuzz(func(t *testing.T, b []byte) {
		file := filepath.Join(t.TempDir(), "f.tar")
		os.WriteFile(file, b, 0o644)
		res, err := Resolve(context.Background(), file, testOpts())
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("not an *Error: %v", err)
			}
			return
		}
		if res.Image != nil {
			res.Image.Layers()
		}
	})
}

func emptyImage(t testing.TB) v1.Image {
	t.Helper()
	return empty.Image
}
