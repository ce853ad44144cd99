package registry

import (
	"context"
	"fmt"
	"io"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	specs "github.com/opencontainers/image-spec/specs-go/v1"
)

// Index is an image index (OCI index or Docker manifest list) whose
// entries are read on demand, under the transport policy and the context
// it was resolved with. It is how packages that read images (verify) see
// them without speaking go-containerregistry. Its manifest is parsed once
// and its entries are fetched by descriptor (see children), so reading
// every entry of an n-entry index costs n, not n². Safe for concurrent use.
type Index struct {
	idx  v1.ImageIndex
	kids children

	once     sync.Once
	manifest *v1.IndexManifest
	byDigest map[v1.Hash]v1.Descriptor
	err      error
}

// Image is one image manifest, its config and layers read on demand like
// an Index's.
type Image struct{ img v1.Image }

// Layer is one layer blob of an Image.
type Layer struct {
	l      v1.Layer
	digest string
}

// Descriptor is one entry of an Index's manifest.
type Descriptor struct {
	Digest    string // "sha256:…"
	MediaType string
	// Platform is the descriptor's platform as written (not normalised);
	// nil when it has none.
	Platform    *specs.Platform
	Annotations map[string]string
}

// IndexOf wraps a go-containerregistry index (Resolve's, or one built in
// memory by a test).
func IndexOf(idx v1.ImageIndex) *Index { return &Index{idx: idx, kids: viaParent{}} }

// ImageOf wraps a go-containerregistry image.
func ImageOf(img v1.Image) *Image { return &Image{img: img} }

// AsIndex is the resolved index; nil unless Kind is KindIndex.
func (r *Resolved) AsIndex() *Index {
	if r.Index == nil {
		return nil
	}
	if r.children == nil {
		return IndexOf(r.Index)
	}
	return &Index{idx: r.Index, kids: r.children}
}

// AsImage is the resolved image; nil unless Kind is KindImage.
func (r *Resolved) AsImage() *Image {
	if r.Image == nil {
		return nil
	}
	return ImageOf(r.Image)
}

// Digest is the digest of the index manifest.
func (i *Index) Digest() (string, error) {
	d, err := i.idx.Digest()
	return d.String(), err
}

// MediaType is the index manifest's media type.
func (i *Index) MediaType() (string, error) {
	mt, err := i.idx.MediaType()
	return string(mt), err
}

// parsed is the index manifest, parsed once, and its entries by digest.
func (i *Index) parsed() (*v1.IndexManifest, error) {
	i.once.Do(func() {
		i.manifest, i.err = i.idx.IndexManifest()
		if i.err != nil {
			return
		}
		i.byDigest = make(map[v1.Hash]v1.Descriptor, len(i.manifest.Manifests))
		for _, d := range i.manifest.Manifests {
			i.byDigest[d.Digest] = d
		}
	})
	return i.manifest, i.err
}

// child is the descriptor of the entry with this digest.
func (i *Index) child(digest string) (v1.Descriptor, error) {
	h, err := v1.NewHash(digest)
	if err != nil {
		return v1.Descriptor{}, err
	}
	if _, err := i.parsed(); err != nil {
		return v1.Descriptor{}, err
	}
	d, ok := i.byDigest[h]
	if !ok {
		return v1.Descriptor{}, fmt.Errorf("no entry %s in the index", digest)
	}
	return d, nil
}

// Manifests are the index's entries, in order.
func (i *Index) Manifests() ([]Descriptor, error) {
	im, err := i.parsed()
	if err != nil {
		return nil, err
	}
	out := make([]Descriptor, len(im.Manifests))
	for k, d := range im.Manifests {
		out[k] = Descriptor{Digest: d.Digest.String(), MediaType: string(d.MediaType), Annotations: d.Annotations}
		if p := d.Platform; p != nil {
			out[k].Platform = &specs.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant}
		}
	}
	return out, nil
}

// Index reads the nested index with this digest.
func (i *Index) Index(digest string) (*Index, error) {
	d, err := i.child(digest)
	if err != nil {
		return nil, err
	}
	child, err := i.kids.index(i.idx, d)
	if err != nil {
		return nil, err
	}
	return &Index{idx: child, kids: i.kids}, nil
}

// Image reads the image entry with this digest.
func (i *Index) Image(digest string) (*Image, error) {
	d, err := i.child(digest)
	if err != nil {
		return nil, err
	}
	img, err := i.kids.image(i.idx, d)
	if err != nil {
		return nil, err
	}
	return ImageOf(img), nil
}

// IsIndex reports whether the entry is a nested index.
func (d Descriptor) IsIndex() bool { return types.MediaType(d.MediaType).IsIndex() }

// IsImage reports whether the entry is an image manifest.
func (d Descriptor) IsImage() bool { return types.MediaType(d.MediaType).IsImage() }

// Attestation is the package-level Attestation rule for this entry.
func (d Descriptor) Attestation() (subject string, ok bool) {
	return attestation(d.Annotations, d.Platform)
}

// Digest is the digest of the image manifest.
func (i *Image) Digest() (string, error) {
	d, err := i.img.Digest()
	return d.String(), err
}

// MediaType is the image manifest's media type.
func (i *Image) MediaType() (string, error) {
	mt, err := i.img.MediaType()
	return string(mt), err
}

// ConfigPlatform is the os, architecture and variant the image's config
// names, as written (not normalised).
func (i *Image) ConfigPlatform() (specs.Platform, error) {
	cf, err := i.img.ConfigFile()
	if err != nil {
		return specs.Platform{}, err
	}
	return specs.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant}, nil
}

// Layers are the image's layers, bottom first.
func (i *Image) Layers() ([]Layer, error) {
	ls, err := i.img.Layers()
	if err != nil {
		return nil, err
	}
	out := make([]Layer, len(ls))
	for k, l := range ls {
		d, err := l.Digest()
		if err != nil {
			return nil, fmt.Errorf("layer digest: %w", err)
		}
		out[k] = Layer{l: l, digest: d.String()}
	}
	return out, nil
}

// Digest is the layer's digest as its manifest names it ("sha256:…"):
// what its compressed bytes must hash to.
func (l Layer) Digest() string { return l.digest }

// Open streams the layer's compressed bytes as stored. ctx is checked
// before the fetch; a remote fetch itself runs under the context the
// image was resolved with.
func (l Layer) Open(ctx context.Context) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return l.l.Compressed()
}
