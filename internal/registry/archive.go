package registry

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// ArchiveScheme prefixes references to an OCI image layout packed in a tar
// file (what `build --output type=oci,dest=F` writes):
// oci-archive:PATH[:TAG|@DIGEST]. A plain path to such a file works too.
const ArchiveScheme = "oci-archive:"

// Bounds on what an archive may make us hold: its entry table and any
// manifest or index read whole. Past them the archive is refused, never
// read into memory.
const (
	maxArchiveEntries = 1 << 16
	maxArchiveName    = 256 // blobs/sha512/ + 128 hex digits fits
	maxArchiveJSON    = 16 << 20
)

// blobStore is where a layout's blobs are read from: a layout directory
// (go-containerregistry's layout.Path) or a tar archive of one.
type blobStore interface {
	Bytes(h v1.Hash) ([]byte, error)
	Blob(h v1.Hash) (io.ReadCloser, error)
}

// tarEntry is where a regular file's bytes lie in the tar.
type tarEntry struct{ offset, size int64 }

// ociArchive is a tar of an OCI layout, indexed once: blobs are read by
// seeking in the file, never extracted. Only the layout's own entries are
// kept (at most maxArchiveEntries names of at most maxArchiveName bytes:
// a few MiB whatever the tar holds).
type ociArchive struct {
	file    string
	entries map[string]tarEntry
}

// IsLocalPath reports whether s names a local file or directory rather than
// a registry reference: an oci-archive:/oci-layout:// reference or a path
// spelled as one (absolute, ./, ../ or ending in .tar).
func IsLocalPath(s string) bool {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, LayoutScheme) || strings.HasPrefix(s, ArchiveScheme) {
		return true
	}
	return looksLikePath(s)
}

// looksLikePath: only what no registry reference can be (a leading / or
// ., or a .tar suffix, which no tag has), so that a file or directory named
// like an image (alpine) never shadows the registry.
func looksLikePath(s string) bool {
	return strings.HasPrefix(s, "/") || strings.HasPrefix(s, "./") || strings.HasPrefix(s, "../") || strings.HasSuffix(s, ".tar")
}

// parsePlainPath turns a plain local path into an archive or layout
// reference, after looking at what is there.
func parsePlainPath(s string) (reference, error) {
	st, err := os.Stat(s)
	if err != nil {
		return reference{}, &Error{Ref: s, Kind: ErrNotFound, Err: err,
			Detail: "no such file or directory", MissingLayout: s,
			Advice: "check the path; a registry reference is written REGISTRY/REPOSITORY[:TAG]"}
	}
	if st.IsDir() {
		return reference{input: s, layoutPath: s}, nil
	}
	return reference{input: s, layoutPath: s, archive: true}, nil
}

// openArchive indexes the tar at file: one pass over its headers, bodies
// skipped by seeking. It names what the file is when it is no OCI archive.
func openArchive(file string) (*ociArchive, error) {
	f, err := os.Open(file)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &Error{Kind: ErrNotFound, Err: err, MissingLayout: file,
				Detail: "no file " + file, Advice: "check the path"}
		}
		return nil, &Error{Kind: ErrNotFound, Err: err, Detail: err.Error()}
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, notArchive(file, "a directory", "name it as oci-layout://"+file)
	} else if err == nil && st.Size() == 0 {
		return nil, notArchive(file, "an empty file", "")
	}
	a := &ociArchive{file: file, entries: map[string]tarEntry{}}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if len(a.entries) == 0 {
				return nil, notArchive(file, sniff(file), "")
			}
			return nil, notArchive(file, "a damaged tar archive ("+err.Error()+")", "")
		}
		name := path.Clean(strings.TrimPrefix(h.Name, "/"))
		if h.Typeflag != tar.TypeReg || len(name) > maxArchiveName ||
			(name != "oci-layout" && name != "index.json" && !strings.HasPrefix(name, "blobs/")) {
			continue // not part of the layout: not kept
		}
		if len(a.entries) >= maxArchiveEntries {
			return nil, notArchive(file, fmt.Sprintf("a tar of over %d layout blobs", maxArchiveEntries), "")
		}
		off, err := f.Seek(0, io.SeekCurrent)
		if err != nil {
			return nil, err
		}
		a.entries[name] = tarEntry{offset: off, size: h.Size}
	}
	if _, ok := a.entries["oci-layout"]; !ok {
		return nil, notArchive(file, "a tar archive without an oci-layout entry", "")
	}
	if _, ok := a.entries["index.json"]; !ok {
		return nil, notArchive(file, "an OCI archive without index.json", "")
	}
	return a, nil
}

// sniff words what kind of file the first bytes of file look like.
func sniff(file string) string {
	b := make([]byte, 512)
	f, err := os.Open(file)
	if err != nil {
		return "not a tar archive"
	}
	defer f.Close()
	n, _ := io.ReadFull(f, b)
	if n == 0 {
		return "an empty file"
	}
	if bytes.HasPrefix(b, []byte{0x1f, 0x8b}) {
		return "a gzip file, not a tar archive (decompress it first)"
	}
	return "not a tar archive (content looks like " + http.DetectContentType(b[:n]) + ")"
}

func notArchive(file, what, advice string) error {
	if advice == "" {
		advice = "give the tar `multiarch build --output type=oci,dest=FILE` writes, an oci-layout:// directory or a registry reference"
	}
	return &Error{Kind: ErrBadReference, Detail: file + " is " + what, Advice: advice}
}

func (a *ociArchive) open(name string) (*io.SectionReader, *os.File, error) {
	e, ok := a.entries[name]
	if !ok {
		return nil, nil, fmt.Errorf("%s: %w", name, fs.ErrNotExist)
	}
	f, err := os.Open(a.file)
	if err != nil {
		return nil, nil, err
	}
	return io.NewSectionReader(f, e.offset, e.size), f, nil
}

func (a *ociArchive) readSmall(name string) ([]byte, error) {
	e, ok := a.entries[name]
	if ok && e.size > maxArchiveJSON {
		return nil, &Error{Kind: ErrInvalidManifest, Detail: fmt.Sprintf("%s is %d bytes, over the %d-byte bound for a manifest", name, e.size, maxArchiveJSON)}
	}
	r, f, err := a.open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(r)
}

func blobName(h v1.Hash) string { return "blobs/" + h.Algorithm + "/" + h.Hex }

// Bytes reads a manifest-sized blob whole.
func (a *ociArchive) Bytes(h v1.Hash) ([]byte, error) { return a.readSmall(blobName(h)) }

// Blob streams a blob from its place in the tar.
func (a *ociArchive) Blob(h v1.Hash) (io.ReadCloser, error) {
	r, f, err := a.open(blobName(h))
	if err != nil {
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{r, f}, nil
}

// storeIndex is an index (index.json or an index blob) of a blobStore.
type storeIndex struct {
	store blobStore
	raw   []byte
	mt    types.MediaType
}

func newStoreIndex(store blobStore, raw []byte) (*storeIndex, error) {
	var m v1.IndexManifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, &Error{Kind: ErrInvalidManifest, Detail: "index: " + err.Error(), Err: err}
	}
	mt := m.MediaType
	if mt == "" {
		mt = types.OCIImageIndex
	}
	return &storeIndex{store: store, raw: raw, mt: mt}, nil
}

func (x *storeIndex) MediaType() (types.MediaType, error) { return x.mt, nil }
func (x *storeIndex) Digest() (v1.Hash, error)            { return partial.Digest(x) }
func (x *storeIndex) Size() (int64, error)                { return int64(len(x.raw)), nil }
func (x *storeIndex) RawManifest() ([]byte, error)        { return x.raw, nil }
func (x *storeIndex) IndexManifest() (*v1.IndexManifest, error) {
	return v1.ParseIndexManifest(bytes.NewReader(x.raw))
}

func (x *storeIndex) find(h v1.Hash) (v1.Descriptor, error) {
	m, err := x.IndexManifest()
	if err != nil {
		return v1.Descriptor{}, err
	}
	for _, d := range m.Manifests {
		if d.Digest == h {
			return d, nil
		}
	}
	return v1.Descriptor{}, fmt.Errorf("manifest %s is not in the index", h)
}

func (x *storeIndex) Image(h v1.Hash) (v1.Image, error) {
	d, err := x.find(h)
	if err != nil {
		return nil, err
	}
	return layoutChildren{path: x.store}.image(x, d)
}

func (x *storeIndex) ImageIndex(h v1.Hash) (v1.ImageIndex, error) {
	raw, err := x.store.Bytes(h)
	if err != nil {
		return nil, err
	}
	if err := checkDigest(raw, h); err != nil {
		return nil, err
	}
	return newStoreIndex(x.store, raw)
}
