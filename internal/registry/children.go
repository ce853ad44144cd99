package registry

import (
	"fmt"
	"io"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// children fetches the entries of an index straight from where the index
// came from. go-containerregistry's ImageIndex.Image(h) and ImageIndex(h)
// parse the whole parent manifest again to find h, for remote and layout
// indexes alike, so reading every entry of an n-entry index costs n²
// (2000 entries: over a minute of JSON parsing). The descriptor the caller
// already holds says everything needed to fetch the child.
type children interface {
	image(parent v1.ImageIndex, desc v1.Descriptor) (v1.Image, error)
	index(parent v1.ImageIndex, desc v1.Descriptor) (v1.ImageIndex, error)
}

// viaParent is the fallback for indexes of unknown origin (built in
// memory by tests): the parent's own lookup.
type viaParent struct{}

func (viaParent) image(parent v1.ImageIndex, d v1.Descriptor) (v1.Image, error) {
	return parent.Image(d.Digest)
}

func (viaParent) index(parent v1.ImageIndex, d v1.Descriptor) (v1.ImageIndex, error) {
	return parent.ImageIndex(d.Digest)
}

// remoteChildren fetches children by digest from the repository the index
// was resolved in, with the same options (transport policy, context,
// credentials): one manifest GET each, as go-containerregistry's own
// lookup does, without re-reading the parent.
type remoteChildren struct {
	repo name.Repository
	opts []remote.Option
}

func (c remoteChildren) get(d v1.Descriptor) (*remote.Descriptor, types.MediaType, error) {
	got, err := remote.Get(c.repo.Digest(d.Digest.String()), c.opts...)
	if err != nil {
		return nil, "", err
	}
	mt, err := manifestKind(got.Manifest, got.MediaType)
	return got, mt, err
}

func (c remoteChildren) image(_ v1.ImageIndex, d v1.Descriptor) (v1.Image, error) {
	got, mt, err := c.get(d)
	if err != nil {
		return nil, err
	}
	if !mt.IsImage() {
		return nil, &Error{Kind: ErrUnsupportedMediaType, Detail: fmt.Sprintf("the index says image, the manifest %s says %s", d.Digest, mt)}
	}
	return got.Image()
}

func (c remoteChildren) index(_ v1.ImageIndex, d v1.Descriptor) (v1.ImageIndex, error) {
	got, mt, err := c.get(d)
	if err != nil {
		return nil, err
	}
	if !mt.IsIndex() {
		return nil, &Error{Kind: ErrUnsupportedMediaType, Detail: fmt.Sprintf("the index says index, the manifest %s says %s", d.Digest, mt)}
	}
	return got.ImageIndex()
}

// layoutChildren reads image children as blobs of the layout; nested
// indexes go through the parent (they are few, and each is read once).
type layoutChildren struct{ path blobStore }

func (c layoutChildren) image(_ v1.ImageIndex, d v1.Descriptor) (v1.Image, error) {
	if !d.MediaType.IsImage() {
		return nil, &Error{Kind: ErrUnsupportedMediaType, Detail: fmt.Sprintf("%s is %s, not an image", d.Digest, d.MediaType)}
	}
	return partial.CompressedToImage(&layoutImage{path: c.path, desc: d})
}

func (layoutChildren) index(parent v1.ImageIndex, d v1.Descriptor) (v1.ImageIndex, error) {
	return parent.ImageIndex(d.Digest)
}

// layoutImage is an image manifest blob of a layout and the blobs it names.
type layoutImage struct {
	path blobStore
	desc v1.Descriptor
	once sync.Once
	raw  []byte
	err  error
}

func (l *layoutImage) MediaType() (types.MediaType, error) { return l.desc.MediaType, nil }

func (l *layoutImage) RawManifest() ([]byte, error) {
	l.once.Do(func() {
		l.raw, l.err = l.path.Bytes(l.desc.Digest)
		if l.err == nil {
			l.err = checkDigest(l.raw, l.desc.Digest)
		}
	})
	return l.raw, l.err
}

func (l *layoutImage) RawConfigFile() ([]byte, error) {
	m, err := partial.Manifest(l)
	if err != nil {
		return nil, err
	}
	raw, err := l.path.Bytes(m.Config.Digest)
	if err != nil {
		return nil, err
	}
	if err := checkDigest(raw, m.Config.Digest); err != nil {
		return nil, err
	}
	return raw, nil
}

func (l *layoutImage) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	m, err := partial.Manifest(l)
	if err != nil {
		return nil, err
	}
	for _, d := range m.Layers {
		if d.Digest == h {
			return &layoutBlob{path: l.path, desc: d}, nil
		}
	}
	if m.Config.Digest == h {
		return &layoutBlob{path: l.path, desc: m.Config}, nil
	}
	return nil, fmt.Errorf("blob %s is not in manifest %s", h, l.desc.Digest)
}

// layoutBlob is one blob of a layout as its manifest describes it.
type layoutBlob struct {
	path blobStore
	desc v1.Descriptor
}

func (b *layoutBlob) Digest() (v1.Hash, error)            { return b.desc.Digest, nil }
func (b *layoutBlob) Size() (int64, error)                { return b.desc.Size, nil }
func (b *layoutBlob) MediaType() (types.MediaType, error) { return b.desc.MediaType, nil }
func (b *layoutBlob) Compressed() (io.ReadCloser, error)  { return b.path.Blob(b.desc.Digest) }
