package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Predicate types of the attestations BuildKit writes.
const (
	PredicateSPDX = "https://spdx.dev/Document"
	// predicateSLSAPrefix starts every SLSA provenance predicate type
	// (v0.2 and v1).
	predicateSLSAPrefix = "https://slsa.dev/provenance/"
)

// IsProvenance reports whether predicateType is a SLSA provenance.
func IsProvenance(predicateType string) bool {
	return strings.HasPrefix(predicateType, predicateSLSAPrefix)
}

// maxStatementSize bounds one in-toto statement read from an attestation
// manifest: SBOMs of large images run to megabytes, not to hundreds.
const maxStatementSize = 64 << 20

// Statement is one in-toto statement of an attestation manifest, about
// the platform image it is attached to.
type Statement struct {
	// Platform and Digest are the attested image's.
	Platform string `json:"platform"`
	Digest   string `json:"digest"`
	// PredicateType is the layer's in-toto.io/predicate-type annotation.
	PredicateType string `json:"predicate_type"`
	// Predicate is the statement's predicate, as written.
	Predicate json.RawMessage `json:"predicate"`
}

// Attested is an index's platforms and the statements attached to them.
type Attested struct {
	// Digest is the digest of the index (or image) ref resolved to.
	Digest string
	// Platforms are the platform entries, in index order (for a single
	// image, none: attestations live in indexes).
	Platforms []PlatformDigest
	// Statements are the kept statements, in index order.
	Statements []Statement
}

// Statements resolves ref and reads the in-toto statements of its
// attestation manifests whose predicate type keep accepts. An index
// without attestations gives none.
func Statements(ctx context.Context, ref string, opts Options, keep func(predicateType string) bool) (*Attested, error) {
	res, err := Resolve(ctx, ref, opts)
	if err != nil {
		return nil, err
	}
	at := &Attested{Digest: res.Descriptor.Digest.String()}
	if res.Kind != KindIndex {
		return at, nil
	}
	im, err := res.Index.IndexManifest()
	if err != nil {
		return nil, classify(err, ref, res.ref.registry())
	}
	kids := res.children
	if kids == nil {
		kids = viaParent{}
	}
	entries := classifyEntries(im)
	platforms := map[string]string{}
	for _, e := range entries {
		if !e.attestation && e.platform != "" {
			platforms[e.desc.Digest.String()] = e.platform
			at.Platforms = append(at.Platforms, PlatformDigest{Platform: e.platform, Digest: e.desc.Digest.String()})
		}
	}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if !e.attestation || !e.desc.MediaType.IsImage() {
			continue
		}
		st, err := entryStatements(kids, res.Index, e, keep)
		if err != nil {
			return nil, classify(err, fmt.Sprintf("%s: attestation %s", ref, e.desc.Digest), res.ref.registry())
		}
		for i := range st {
			st[i].Platform, st[i].Digest = platforms[e.subject], e.subject
		}
		at.Statements = append(at.Statements, st...)
	}
	return at, nil
}

// entryStatements reads the statements of one attestation manifest.
func entryStatements(kids children, idx v1.ImageIndex, e entry, keep func(string) bool) ([]Statement, error) {
	img, err := fetchImage(kids, idx, e.desc)
	if err != nil {
		return nil, err
	}
	man, err := img.Manifest()
	if err != nil {
		return nil, err
	}
	var out []Statement
	for _, l := range man.Layers {
		pt := l.Annotations[annotationPredicateType]
		if pt == "" || !keep(pt) {
			continue
		}
		layer, err := img.LayerByDigest(l.Digest)
		if err != nil {
			return nil, err
		}
		pred, err := readPredicate(layer, l.Size)
		if err != nil {
			return nil, fmt.Errorf("%s statement %s: %w", pt, l.Digest, err)
		}
		out = append(out, Statement{PredicateType: pt, Predicate: pred})
	}
	return out, nil
}

// readPredicate reads an in-toto statement blob, bounded, and returns its
// predicate.
func readPredicate(l v1.Layer, size int64) (json.RawMessage, error) {
	if size > maxStatementSize {
		return nil, fmt.Errorf("%d bytes, more than the %d read", size, maxStatementSize)
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxStatementSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxStatementSize {
		return nil, fmt.Errorf("more than %d bytes", maxStatementSize)
	}
	var st struct {
		Predicate json.RawMessage `json:"predicate"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("not an in-toto statement: %w", err)
	}
	return st.Predicate, nil
}
