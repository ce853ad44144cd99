package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sync/errgroup"
)

// maxNesting bounds how deep Inspect follows indexes inside indexes.
const maxNesting = 4

// Inspection is what Inspect reports. Its JSON form is the stable
// `multiarch inspect --json` shape.
type Inspection struct {
	Reference   string            `json:"reference"`
	Kind        Kind              `json:"kind"` // "index" or "image"
	MediaType   string            `json:"media_type"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Annotations map[string]string `json:"annotations,omitempty"`
	// Manifests are the platform entries, in index order; for a single
	// image, the image itself.
	Manifests []Manifest `json:"manifests"`
	// Attestations are the attestation manifests (SBOM, provenance), kept
	// apart because they are not platforms.
	Attestations []Manifest `json:"attestations"`
	// Raw is the top manifest as served, for --raw.
	Raw []byte `json:"-"`
}

// Manifest describes one entry of an index (or a single image).
type Manifest struct {
	// Platform is the normalised os/arch[/variant] of the descriptor, or of
	// the config for a single image; empty when neither says.
	Platform    string            `json:"platform"`
	Digest      string            `json:"digest"`
	MediaType   string            `json:"media_type"`
	Size        int64             `json:"size"`
	Attestation bool              `json:"attestation"`
	Annotations map[string]string `json:"annotations,omitempty"`
	// Subject is, for an attestation, the digest of the manifest it describes.
	Subject string `json:"subject,omitempty"`
	// PredicateTypes lists an attestation's in-toto predicate types.
	PredicateTypes []string `json:"predicate_types,omitempty"`
	// Config is read from the image's config blob; nil for indexes and
	// attestations.
	Config *Config `json:"config,omitempty"`
	// Layers and LayersSize count the image's layers and their compressed
	// bytes.
	Layers     int   `json:"layers"`
	LayersSize int64 `json:"layers_size"`
	// Manifests are the entries of a nested index.
	Manifests []Manifest `json:"manifests,omitempty"`
}

// Config is the part of an image config Inspect reports.
type Config struct {
	// Platform is the config's own os/arch[/variant], normalised; it should
	// equal the descriptor's (`multiarch verify` checks that it does).
	Platform     string     `json:"platform"`
	OS           string     `json:"os"`
	Architecture string     `json:"architecture"`
	Variant      string     `json:"variant,omitempty"`
	Created      *time.Time `json:"created,omitempty"`
	Entrypoint   []string   `json:"entrypoint,omitempty"`
	Cmd          []string   `json:"cmd,omitempty"`
	// Raw is the config blob as served (for inspect --format's .Image).
	Raw json.RawMessage `json:"-"`
}

// Inspect resolves ref and describes it: the top manifest, and for each
// entry its platform, digest, size, media type and, from the image's
// manifest and config (fetched in parallel, Options.Jobs at a time), the
// config's platform, creation time, entrypoint/cmd, layer count and size.
func Inspect(ctx context.Context, ref string, opts Options) (*Inspection, error) {
	r, err := parseReference(ref, opts.Insecure)
	if err != nil {
		return nil, err
	}
	res, err := resolve(ctx, r, opts, newGuard(opts))
	if err != nil {
		return nil, err
	}
	ins := &Inspection{
		Reference: ref, Kind: res.Kind, MediaType: string(res.Descriptor.MediaType),
		Digest: res.Descriptor.Digest.String(), Size: res.Descriptor.Size,
		Manifests: []Manifest{}, Attestations: []Manifest{}, Raw: res.Raw,
	}
	if res.Kind == KindImage {
		m, err := describeImage(res.Image, res.Descriptor)
		if err != nil {
			return nil, classify(err, ref, r.registry())
		}
		m.Platform = m.Config.Platform
		ins.Manifests = append(ins.Manifests, m)
		return ins, nil
	}
	im, err := res.Index.IndexManifest()
	if err != nil {
		return nil, classify(err, ref, r.registry())
	}
	ins.Annotations = im.Annotations
	kids := res.children
	if kids == nil {
		kids = viaParent{}
	}
	s := scope{ref: ref, reg: r.registry(), kids: kids, seen: &memo{m: map[string]*described{}}}
	all, err := describeIndex(ctx, s, res.Index, classifyEntries(im), opts.jobs(), 1)
	if err != nil {
		return nil, classify(err, ref, r.registry())
	}
	for _, m := range all {
		if m.Attestation {
			ins.Attestations = append(ins.Attestations, m)
		} else {
			ins.Manifests = append(ins.Manifests, m)
		}
	}
	return ins, nil
}

// maxInspectEntries bounds the entries Inspect lists, nested indexes
// expanded, against an index that names one nested index thousands of
// times.
const maxInspectEntries = 10000

// scope is one Inspect call: what errors are about (the reference and its
// registry), how entries are fetched, and what was already described.
type scope struct {
	ref, reg string
	kids     children
	seen     *memo
}

// memo describes each distinct manifest once: an index listing one image
// n times (or a nested index reached through several entries) costs one
// fetch, its description copied into each row. It also counts rows.
type memo struct {
	mu   sync.Mutex
	m    map[string]*described
	rows int
}

type described struct {
	once sync.Once
	m    Manifest
	err  error
}

// get returns the description of e's manifest, running describe once per
// digest (and kind of entry), with e's own descriptor fields on top.
func (c *memo) get(e entry, describe func() (Manifest, error)) (Manifest, error) {
	key := fmt.Sprintf("%s %t", e.desc.Digest, e.attestation)
	c.mu.Lock()
	d, ok := c.m[key]
	if !ok {
		d = &described{}
		c.m[key] = d
	}
	c.mu.Unlock()
	d.once.Do(func() { d.m, d.err = describe() })
	m := d.m
	m.Platform, m.Digest, m.MediaType, m.Size = e.platform, e.desc.Digest.String(), string(e.desc.MediaType), e.desc.Size
	m.Attestation, m.Subject, m.Annotations = e.attestation, e.subject, e.desc.Annotations
	return m, d.err
}

// count adds n rows, failing past maxInspectEntries.
func (c *memo) count(n int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rows += n
	if c.rows > maxInspectEntries {
		return &Error{Kind: ErrInvalidManifest, Detail: fmt.Sprintf("more than %d entries once nested indexes are expanded", maxInspectEntries),
			Advice: "an index this large is not a multi-platform image; inspect its nested indexes one by one"}
	}
	return nil
}

// describeIndex describes every entry of idx, jobs at a time, keeping order.
func describeIndex(ctx context.Context, s scope, idx v1.ImageIndex, entries []entry, jobs, depth int) ([]Manifest, error) {
	if err := s.seen.count(len(entries)); err != nil {
		return nil, err
	}
	out := make([]Manifest, len(entries))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(jobs)
	for i, e := range entries {
		g.Go(func() error {
			m, err := describeEntry(ctx, s, idx, e, depth)
			if err != nil {
				return classify(err, fmt.Sprintf("%s: entry %s (%s)", s.ref, e.desc.Digest, orUnknown(e.platform)), s.reg)
			}
			out[i] = m
			return nil
		})
	}
	return out, g.Wait()
}

func describeEntry(ctx context.Context, s scope, idx v1.ImageIndex, e entry, depth int) (Manifest, error) {
	m := Manifest{
		Platform: e.platform, Digest: e.desc.Digest.String(), MediaType: string(e.desc.MediaType),
		Size: e.desc.Size, Attestation: e.attestation, Subject: e.subject, Annotations: e.desc.Annotations,
	}
	if err := ctx.Err(); err != nil {
		return m, err
	}
	switch {
	case e.desc.MediaType.IsIndex():
		if depth >= maxNesting {
			return m, &Error{Kind: ErrInvalidManifest, Detail: fmt.Sprintf("indexes nested deeper than %d levels", maxNesting)}
		}
		return s.seen.get(e, func() (Manifest, error) { return describeNested(ctx, s, idx, e, m, depth) })
	case e.desc.MediaType.IsImage():
		return s.seen.get(e, func() (Manifest, error) {
			img, err := fetchImage(s.kids, idx, e.desc)
			if err != nil {
				return m, err
			}
			if e.attestation {
				return describeAttestation(m, img)
			}
			return describeImage(img, e.desc)
		})
	}
	// Some other artifact: listed as it is, nothing to fetch.
	return m, nil
}

// describeNested describes a nested index and its entries.
func describeNested(ctx context.Context, s scope, idx v1.ImageIndex, e entry, m Manifest, depth int) (Manifest, error) {
	child, err := s.kids.index(idx, e.desc)
	if err != nil {
		return m, err
	}
	raw, err := child.RawManifest()
	if err != nil {
		return m, err
	}
	_, entries, err := parseIndex(raw, e.desc.MediaType)
	if err != nil {
		return m, err
	}
	// Nested levels run one entry at a time: each level already holds a
	// slot of its parent's limit.
	m.Manifests, err = describeIndex(ctx, s, child, entries, 1, depth+1)
	return m, err
}

// fetchImage fetches an image entry of an index and checks its manifest.
func fetchImage(kids children, idx v1.ImageIndex, desc v1.Descriptor) (v1.Image, error) {
	img, err := kids.image(idx, desc)
	if err != nil {
		return nil, err
	}
	raw, err := img.RawManifest()
	if err != nil {
		return nil, err
	}
	mt, err := manifestKind(raw, desc.MediaType)
	if err != nil {
		return nil, err
	}
	if !mt.IsImage() {
		return nil, &Error{Kind: ErrUnsupportedMediaType, Detail: fmt.Sprintf("the index says image, the manifest says %s", mt)}
	}
	return img, nil
}

// describeImage reads an image's manifest and config.
func describeImage(img v1.Image, desc v1.Descriptor) (Manifest, error) {
	m := Manifest{
		Digest: desc.Digest.String(), MediaType: string(desc.MediaType), Size: desc.Size,
		Annotations: desc.Annotations,
	}
	man, err := img.Manifest()
	if err != nil {
		return m, err
	}
	for _, l := range man.Layers {
		m.Layers++
		m.LayersSize += l.Size
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return m, err
	}
	raw, err := img.RawConfigFile()
	if err != nil {
		return m, err
	}
	m.Config = &Config{Raw: raw,
		Platform:     formatPlatform(&v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant}),
		OS:           cf.OS,
		Architecture: cf.Architecture,
		Variant:      cf.Variant,
		Entrypoint:   cf.Config.Entrypoint,
		Cmd:          cf.Config.Cmd,
	}
	if !cf.Created.IsZero() {
		t := cf.Created.UTC()
		m.Config.Created = &t
	}
	return m, nil
}

// describeAttestation lists what an attestation manifest attests.
func describeAttestation(m Manifest, img v1.Image) (Manifest, error) {
	man, err := img.Manifest()
	if err != nil {
		return m, err
	}
	for _, l := range man.Layers {
		m.Layers++
		m.LayersSize += l.Size
		if p := l.Annotations[annotationPredicateType]; p != "" {
			m.PredicateTypes = append(m.PredicateTypes, p)
		}
	}
	return m, nil
}

func orUnknown(s string) string {
	if s == "" {
		return "no platform"
	}
	return s
}
