package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/sync/errgroup"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

// CreateOptions configures CreateIndex.
type CreateOptions struct {
	Options

	// Annotations are set on the new index.
	Annotations map[string]string

	// ExtraTargets are more tags for the same index. Children are pushed
	// once per repository, then every tag is written.
	ExtraTargets []string

	// Untagged pushes the children and the index by digest into target's
	// repository only, and writes no tag: the caller checks the index
	// (Created.Digest) and then writes the tags with WriteTags.
	// ExtraTargets must be empty.
	Untagged bool

	// DryRun resolves and validates everything and returns the index that
	// would be pushed, without writing anything.
	DryRun bool

	// Platforms are the platforms the caller gives the entries of a source
	// (keyed by the source as given): each must be of the entries' os and
	// architecture; it may add a variant, never replace a stated one.
	Platforms map[string]platform.Platform
	// Variant reads the variant of an entry whose config names an
	// architecture with variants but none (linux/arm), from its binaries.
	// nil, or when it cannot tell: such an entry is refused with a
	// *PlatformNeededError unless Platforms names its source. A variant no
	// one stated or read is never written.
	Variant VariantFunc
}

// Created reports what CreateIndex pushed (or, with DryRun, would push).
// Its JSON form is the stable `multiarch index create --json` shape.
type Created struct {
	Targets   []string       `json:"targets"`
	Digest    string         `json:"digest"`
	MediaType string         `json:"media_type"`
	Size      int64          `json:"size"`
	DryRun    bool           `json:"dry_run"`
	Manifests []CreatedEntry `json:"manifests"`
	// Index is the index manifest exactly as pushed.
	Index json.RawMessage `json:"index"`
}

// CreatedEntry is one manifest of the new index and where it came from.
type CreatedEntry struct {
	Platform    string `json:"platform"` // normalised; unknown/unknown for BuildKit attestations
	Digest      string `json:"digest"`
	MediaType   string `json:"media_type"`
	Size        int64  `json:"size"`
	Attestation bool   `json:"attestation"`
	Subject     string `json:"subject,omitempty"`
	Source      string `json:"source"`
}

// child is one manifest going into the new index.
type child struct {
	source string
	entry
	image v1.Image      // one of image and index is set
	index v1.ImageIndex //
}

// CreateIndex assembles an index from sources and pushes it to target (and
// opts.ExtraTargets). A source is an image, contributing one entry whose
// platform is read from its config, or an index, contributing its entries
// with their attestations. Everything is resolved and validated first
// (sources reachable, platforms known and unique); then every child is
// copied into the target repository by digest (existing blobs and
// manifests are skipped, blobs from the same registry are mounted), the
// index is written by digest, and only then under its tags, one at a time,
// so a failure never leaves a tag pointing at a partial index. A failure
// while writing the tags is a *TagsError saying which tags moved.
func CreateIndex(ctx context.Context, target string, sources []string, opts CreateOptions) (*Created, error) {
	tags, err := parseTargets(append([]string{target}, opts.ExtraTargets...), opts.Insecure)
	if err != nil {
		return nil, err
	}
	if opts.Untagged && len(opts.ExtraTargets) > 0 {
		return nil, &Error{Ref: target, Kind: ErrBadReference, Detail: "an untagged index goes to one repository: no extra targets"}
	}
	if len(sources) == 0 {
		return nil, &Error{Ref: target, Kind: ErrBadReference, Detail: "no source images", Advice: "name at least one image or index to put in the index"}
	}
	rt := newGuard(opts.Options)
	children, err := collect(ctx, sources, opts.Options, rt)
	if err != nil {
		return nil, err
	}
	if err := settle(ctx, children, opts); err != nil {
		return nil, err
	}
	if err := checkPlatforms(children); err != nil {
		return nil, err
	}
	children = attestationsAfterSubjects(children)
	raw, mt, err := buildIndex(children, opts.Annotations)
	if err != nil {
		return nil, err
	}
	created := report(tags, children, raw, mt, opts.DryRun)
	if opts.DryRun {
		return created, nil
	}
	if err := push(ctx, tags, children, rawManifest{raw, mt}, opts.Untagged, opts.Options, rt); err != nil {
		return nil, err
	}
	return created, nil
}

func parseTargets(targets []string, insecure []string) ([]name.Tag, error) {
	tags := make([]name.Tag, 0, len(targets))
	for _, t := range targets {
		tag, err := parseTarget(t, insecure)
		if err != nil {
			return nil, err
		}
		tags = append(tags, tag)
	}
	return tags, nil
}

// collect resolves every source, Jobs at a time, and reports every source
// that fails, not just the first.
func collect(ctx context.Context, sources []string, opts Options, rt http.RoundTripper) ([]child, error) {
	perSource := make([][]child, len(sources))
	errs := make([]error, len(sources))
	var g errgroup.Group
	g.SetLimit(opts.jobs())
	for i, src := range sources {
		g.Go(func() error {
			perSource[i], errs[i] = collectSource(ctx, src, opts, rt)
			return nil
		})
	}
	_ = g.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var out []child
	for _, cs := range perSource {
		out = append(out, cs...)
	}
	return out, nil
}

func collectSource(ctx context.Context, src string, opts Options, rt http.RoundTripper) ([]child, error) {
	r, err := parseReference(src, opts.Insecure)
	if err != nil {
		return nil, err
	}
	res, err := resolve(ctx, r, opts, rt)
	if err != nil {
		return nil, err
	}
	if res.Kind == KindImage {
		c, err := imageChild(src, res.Image, res.Descriptor)
		if err != nil {
			return nil, classify(err, src, r.registry())
		}
		return []child{c}, nil
	}
	kids := res.children
	if kids == nil {
		kids = viaParent{}
	}
	cs, err := indexChildren(src, res.Index, kids)
	if err != nil {
		return nil, classify(err, src, r.registry())
	}
	return cs, nil
}

// imageChild makes an entry of an image, its platform read from its config.
func imageChild(src string, img v1.Image, desc v1.Descriptor) (child, error) {
	cf, err := img.ConfigFile()
	if err != nil {
		return child{}, err
	}
	if cf.OS == "" || cf.Architecture == "" {
		return child{}, &Error{Kind: ErrPlatform, Detail: "the image config names no os/architecture",
			Advice: "rebuild the image with a platform, or put it in the index some other way"}
	}
	p := normalise(&v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant,
		OSVersion: cf.OSVersion, OSFeatures: cf.OSFeatures})
	if cf.Variant == "" {
		p.Variant = "" // normalisation's guess (arm → arm/v7) is not the config's word; settle decides
	}
	d := v1.Descriptor{MediaType: desc.MediaType, Size: desc.Size, Digest: desc.Digest, Platform: p,
		Annotations: desc.Annotations, URLs: desc.URLs, ArtifactType: desc.ArtifactType}
	return child{source: src, entry: entry{desc: d, platform: formatPlatform(p)}, image: img}, nil
}

// indexChildren turns an index's entries into children: images and
// attestations as they are, nested indexes only when they name a platform.
// Children are fetched through kids, not the parent's own lookup, which
// parses the parent again per child.
func indexChildren(src string, idx v1.ImageIndex, kids children) ([]child, error) {
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	var out []child
	for _, e := range classifyEntries(im) {
		c := child{source: src, entry: e}
		switch {
		case e.desc.MediaType.IsImage():
			if c.image, err = fetchImage(kids, idx, e.desc); err != nil {
				return nil, fmt.Errorf("entry %s: %w", e.desc.Digest, err)
			}
			if !e.attestation && e.platform == "" {
				if c, err = imageChild(src, c.image, e.desc); err != nil {
					return nil, fmt.Errorf("entry %s: %w", e.desc.Digest, err)
				}
			}
		case e.desc.MediaType.IsIndex() && e.platform != "":
			if c.index, err = kids.index(idx, e.desc); err != nil {
				return nil, fmt.Errorf("entry %s: %w", e.desc.Digest, err)
			}
		case e.desc.MediaType.IsIndex():
			return nil, &Error{Kind: ErrPlatform, Detail: fmt.Sprintf("entry %s is a nested index without a platform", e.desc.Digest),
				Advice: "pass the images of that nested index as sources instead"}
		default:
			return nil, &Error{Kind: ErrUnsupportedMediaType, Detail: fmt.Sprintf("entry %s has media type %q, not an image or an index", e.desc.Digest, e.desc.MediaType)}
		}
		out = append(out, c)
	}
	return out, nil
}

// checkPlatforms refuses two children with the same platform.
func checkPlatforms(children []child) error {
	seen := map[string]string{}
	for _, c := range children {
		if c.attestation {
			continue
		}
		if first, ok := seen[c.platform]; ok {
			return &DuplicatePlatformError{Platform: c.platform, First: first, Second: c.source}
		}
		seen[c.platform] = c.source
	}
	return nil
}

// attestationsAfterSubjects keeps each attestation right after the manifest
// it describes; those whose subject is not in the index go last.
func attestationsAfterSubjects(children []child) []child {
	bySubject := map[string][]child{}
	var out, orphans []child
	present := map[string]bool{}
	for _, c := range children {
		if !c.attestation {
			present[c.desc.Digest.String()] = true
		}
	}
	for _, c := range children {
		switch {
		case !c.attestation:
		case present[c.subject]:
			bySubject[c.subject] = append(bySubject[c.subject], c)
		default:
			orphans = append(orphans, c)
		}
	}
	for _, c := range children {
		if c.attestation {
			continue
		}
		out = append(out, c)
		out = append(out, bySubject[c.desc.Digest.String()]...)
		delete(bySubject, c.desc.Digest.String())
	}
	return append(out, orphans...)
}

// buildIndex writes the index manifest: a Docker manifest list when every
// child is a Docker schema 2 manifest and there are no annotations (Docker
// lists have none), an OCI index otherwise.
func buildIndex(children []child, annotations map[string]string) ([]byte, types.MediaType, error) {
	mt := types.DockerManifestList
	if len(annotations) > 0 {
		mt = types.OCIImageIndex
	}
	im := v1.IndexManifest{SchemaVersion: 2, Annotations: annotations}
	for _, c := range children {
		if c.desc.MediaType != types.DockerManifestSchema2 && c.desc.MediaType != types.DockerManifestList {
			mt = types.OCIImageIndex
		}
		im.Manifests = append(im.Manifests, c.desc)
	}
	im.MediaType = mt
	raw, err := json.Marshal(im)
	return raw, mt, err
}

func report(tags []name.Tag, children []child, raw []byte, mt types.MediaType, dryRun bool) *Created {
	h, size, _ := v1.SHA256(bytes.NewReader(raw))
	c := &Created{Digest: h.String(), MediaType: string(mt), Size: size, DryRun: dryRun, Index: raw}
	for _, t := range tags {
		c.Targets = append(c.Targets, t.String())
	}
	for _, ch := range children {
		c.Manifests = append(c.Manifests, CreatedEntry{
			Platform: ch.platform, Digest: ch.desc.Digest.String(), MediaType: string(ch.desc.MediaType),
			Size: ch.desc.Size, Attestation: ch.attestation, Subject: ch.subject, Source: ch.source,
		})
	}
	return c
}
