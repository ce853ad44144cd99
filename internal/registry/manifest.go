package registry

import (
	"bytes"
	"encoding/json"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	specs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

// Annotations BuildKit puts on attestation manifests in an index.
const (
	annotationReferenceType   = "vnd.docker.reference.type"
	annotationReferenceDigest = "vnd.docker.reference.digest"
	attestationManifestType   = "attestation-manifest"
	annotationPredicateType   = "in-toto.io/predicate-type"
)

// manifestKind checks that raw is a manifest multiarch can read and says
// which kind it is. served is the media type the registry (or the parent
// descriptor) announced; the manifest's own mediaType field, covered by its
// digest, wins over it.
func manifestKind(raw []byte, served types.MediaType) (types.MediaType, error) {
	var probe struct {
		SchemaVersion int             `json:"schemaVersion"`
		MediaType     types.MediaType `json:"mediaType"`
		Manifests     json.RawMessage `json:"manifests"`
		Config        json.RawMessage `json:"config"`
		FSLayers      json.RawMessage `json:"fsLayers"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return "", &Error{Kind: ErrInvalidManifest, Detail: "not valid JSON: " + err.Error(), Err: err,
			Advice: "the registry returned something that is not a manifest; check the reference"}
	}
	mt := probe.MediaType
	if mt == "" {
		mt = served
	}
	if !mt.IsIndex() && !mt.IsImage() && !mt.IsSchema1() && probe.MediaType == "" {
		// OCI allows omitting mediaType: recognise the shape.
		switch {
		case probe.Manifests != nil:
			mt = types.OCIImageIndex
		case probe.Config != nil:
			mt = types.OCIManifestSchema1
		case probe.FSLayers != nil:
			mt = types.DockerManifestSchema1
		}
	}
	switch {
	case mt.IsSchema1() || probe.FSLayers != nil:
		return "", &Error{Kind: ErrUnsupportedMediaType, Detail: "Docker schema 1 manifests are not supported",
			Advice: "re-push the image with a current docker or buildx"}
	case mt.IsIndex():
		if _, err := v1.ParseIndexManifest(bytes.NewReader(raw)); err != nil {
			return "", &Error{Kind: ErrInvalidManifest, Detail: "index: " + err.Error(), Err: err}
		}
	case mt.IsImage():
		m, err := v1.ParseManifest(bytes.NewReader(raw))
		if err != nil {
			return "", &Error{Kind: ErrInvalidManifest, Detail: "image manifest: " + err.Error(), Err: err}
		}
		if m.Config.Digest == (v1.Hash{}) {
			return "", &Error{Kind: ErrInvalidManifest, Detail: "image manifest without a config descriptor"}
		}
	default:
		return "", &Error{Kind: ErrUnsupportedMediaType,
			Detail: fmt.Sprintf("media type %q is not an image manifest or an index", mt),
			Advice: "point at an image or an index, not at a blob or another artifact"}
	}
	if probe.SchemaVersion != 2 {
		return "", &Error{Kind: ErrInvalidManifest, Detail: fmt.Sprintf("schemaVersion %d, want 2", probe.SchemaVersion)}
	}
	return mt, nil
}

// entry is one manifest of an index, classified.
type entry struct {
	desc        v1.Descriptor
	platform    string // normalised os/arch[/variant]; empty without a platform
	attestation bool
	subject     string // attestations: digest of the manifest they describe
}

// Attestation reports whether the index entry d is an attestation manifest
// (SBOM, provenance) rather than a platform, and the digest of the
// manifest it describes (empty when not annotated). BuildKit marks them
// with the platform unknown/unknown and the vnd.docker.reference.*
// annotations. inspect, index create and verify all sort entries by this
// one rule.
func Attestation(d v1.Descriptor) (subject string, ok bool) {
	var p *specs.Platform
	if d.Platform != nil {
		p = &specs.Platform{OS: d.Platform.OS, Architecture: d.Platform.Architecture}
	}
	return attestation(d.Annotations, p)
}

func attestation(annotations map[string]string, p *specs.Platform) (subject string, ok bool) {
	ok = annotations[annotationReferenceType] == attestationManifestType ||
		(p != nil && p.OS == "unknown" && p.Architecture == "unknown")
	if !ok {
		return "", false
	}
	return annotations[annotationReferenceDigest], true
}

// classifyEntries sorts an index's manifests into platform images, nested
// indexes and attestations.
func classifyEntries(m *v1.IndexManifest) []entry {
	out := make([]entry, 0, len(m.Manifests))
	for _, d := range m.Manifests {
		e := entry{desc: d, platform: formatPlatform(d.Platform)}
		e.subject, e.attestation = Attestation(d)
		out = append(out, e)
	}
	return out
}

// formatPlatform normalises a platform to "os/arch[/variant]" through
// internal/platform; nil or empty gives "".
func formatPlatform(p *v1.Platform) string {
	if p == nil || (p.OS == "" && p.Architecture == "") {
		return ""
	}
	return platform.FormatOCI(specs.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant})
}

// normalise returns p with os/architecture/variant normalised by
// internal/platform (arm64/v8 → arm64, aarch64 → arm64, …).
func normalise(p *v1.Platform) *v1.Platform {
	n := platform.Normalize(specs.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant})
	out := *p
	out.OS, out.Architecture, out.Variant = n.OS, n.Architecture, n.Variant
	return &out
}

// parseIndex is the path a fetched index takes: check, parse, classify.
func parseIndex(raw []byte, served types.MediaType) (*v1.IndexManifest, []entry, error) {
	mt, err := manifestKind(raw, served)
	if err != nil {
		return nil, nil, err
	}
	if !mt.IsIndex() {
		return nil, nil, &Error{Kind: ErrUnsupportedMediaType, Detail: fmt.Sprintf("%s is not an index", mt)}
	}
	m, err := v1.ParseIndexManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, nil, &Error{Kind: ErrInvalidManifest, Detail: err.Error(), Err: err}
	}
	return m, classifyEntries(m), nil
}
