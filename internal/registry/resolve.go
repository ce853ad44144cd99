package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Kind says what a reference resolved to.
type Kind string

// The two kinds of manifest multiarch works with.
const (
	KindIndex Kind = "index" // an OCI image index or a Docker manifest list
	KindImage Kind = "image" // a single image manifest (OCI or Docker schema 2)
)

// Resolved is what a reference names: exactly one of Index and Image is set,
// as Kind says, plus the descriptor and bytes of the top manifest.
type Resolved struct {
	Ref        string        // the reference as given
	Kind       Kind          //
	Descriptor v1.Descriptor // digest, media type and size of the top manifest
	Raw        []byte        // the top manifest as served
	Index      v1.ImageIndex // when Kind is KindIndex
	Image      v1.Image      // when Kind is KindImage

	ref      reference
	children children // how the index's entries are fetched; nil: through Index
}

// Resolve fetches the manifest ref names and checks it: valid JSON of a
// known manifest media type, and the requested digest when pulled by digest.
func Resolve(ctx context.Context, ref string, opts Options) (*Resolved, error) {
	r, err := parseReference(ref, opts.Insecure)
	if err != nil {
		return nil, err
	}
	return resolve(ctx, r, opts, newGuard(opts))
}

func resolve(ctx context.Context, r reference, opts Options, rt http.RoundTripper) (*Resolved, error) {
	var res *Resolved
	var err error
	if r.remote == nil {
		res, err = resolveLayout(r)
	} else {
		res, err = resolveRemote(ctx, r, opts, rt)
	}
	if err != nil {
		return nil, classify(err, r.input, r.registry())
	}
	res.Ref, res.ref = r.input, r
	return res, nil
}

func resolveRemote(ctx context.Context, r reference, opts Options, rt http.RoundTripper) (*Resolved, error) {
	ropts := opts.remoteOptions(ctx, rt)
	d, err := remote.Get(r.remote, ropts...)
	if err != nil {
		return nil, err
	}
	mt, err := manifestKind(d.Manifest, d.MediaType)
	if err != nil {
		return nil, err
	}
	// Registries are not always right about Content-Type; the manifest is.
	d.MediaType = mt
	// One puller for every entry: its transport (the registry ping and
	// token) is set up once per repository, not once per entry.
	puller, err := remote.NewPuller(ropts...)
	if err != nil {
		return nil, err
	}
	res := &Resolved{Descriptor: d.Descriptor, Raw: d.Manifest,
		children: remoteChildren{repo: r.remote.Context(), opts: append(ropts, remote.Reuse(puller))}}
	if mt.IsIndex() {
		res.Kind = KindIndex
		res.Index, err = d.ImageIndex()
	} else {
		res.Kind = KindImage
		res.Image, err = d.Image()
	}
	return res, err
}

// openLayout opens the layout directory or archive r names: its blobs and
// its index.json.
func openLayout(r reference) (blobStore, v1.ImageIndex, error) {
	if r.archive {
		a, err := openArchive(r.layoutPath)
		if err != nil {
			return nil, nil, err
		}
		raw, err := a.readSmall("index.json")
		if err != nil {
			return nil, nil, err
		}
		root, err := newStoreIndex(a, raw)
		return a, root, err
	}
	p, err := layout.FromPath(r.layoutPath)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			// Which command writes a layout is the caller's to add (MissingLayout).
			return nil, nil, &Error{Kind: ErrNotFound, Err: err, MissingLayout: r.layoutPath,
				Detail: "no OCI layout at " + r.layoutPath + " (index.json missing)", Advice: "check the path"}
		}
		return nil, nil, err
	}
	root, err := p.ImageIndex()
	return p, root, err
}

func resolveLayout(r reference) (*Resolved, error) {
	p, root, err := openLayout(r)
	if err != nil {
		return nil, err
	}
	rootManifest, err := root.IndexManifest()
	if err != nil {
		return nil, &Error{Kind: ErrInvalidManifest, Detail: "index.json: " + err.Error(), Err: err}
	}
	desc, err := pickLayoutManifest(rootManifest, r)
	if err != nil {
		return nil, err
	}
	raw, err := p.Bytes(desc.Digest)
	if err != nil {
		return nil, &Error{Kind: ErrNotFound, Err: err, Detail: "blob " + desc.Digest.String() + " is missing from the layout"}
	}
	if err := checkDigest(raw, desc.Digest); err != nil {
		return nil, err
	}
	mt, err := manifestKind(raw, desc.MediaType)
	if err != nil {
		return nil, err
	}
	desc.MediaType = mt
	res := &Resolved{Descriptor: desc, Raw: raw, children: layoutChildren{path: p}}
	if mt.IsIndex() {
		res.Kind = KindIndex
		res.Index, err = root.ImageIndex(desc.Digest)
	} else {
		res.Kind = KindImage
		res.Image, err = layoutChildren{path: p}.image(root, desc)
	}
	return res, err
}

// pickLayoutManifest selects the manifest of index.json a layout reference
// means: by digest, by ref.name tag, or the only one.
func pickLayoutManifest(m *v1.IndexManifest, r reference) (v1.Descriptor, error) {
	var tags []string
	for _, d := range m.Manifests {
		switch {
		case r.layoutDigest != (v1.Hash{}) && d.Digest == r.layoutDigest:
			return d, nil
		case r.layoutTag != "" && d.Annotations[refNameAnnotation] == r.layoutTag:
			return d, nil
		}
		if t := d.Annotations[refNameAnnotation]; t != "" {
			tags = append(tags, t)
		}
	}
	if r.layoutDigest == (v1.Hash{}) && r.layoutTag == "" && len(m.Manifests) == 1 {
		return m.Manifests[0], nil
	}
	scheme := LayoutScheme
	if r.archive {
		scheme = ArchiveScheme
	}
	want := r.layoutTag
	if r.layoutDigest != (v1.Hash{}) {
		want = r.layoutDigest.String()
	}
	detail := fmt.Sprintf("no manifest %q in the layout", want)
	if want == "" {
		detail = fmt.Sprintf("the layout holds %d manifests; say which", len(m.Manifests))
	}
	return v1.Descriptor{}, &Error{Kind: ErrNotFound, Detail: detail,
		Advice: fmt.Sprintf("name one as %sPATH:TAG (tags here: %v) or %sPATH@DIGEST", scheme, tags, scheme)}
}

func checkDigest(raw []byte, want v1.Hash) error {
	got, _, err := v1.SHA256(bytes.NewReader(raw))
	if err != nil || want.Algorithm != "sha256" {
		return err
	}
	if got != want {
		return mismatch(want.String(), got.String(), int64(len(raw)))
	}
	return nil
}
