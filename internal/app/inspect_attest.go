package app

import (
	"context"
	"encoding/json"

	"github.com/multiarch-dev/multiarch/internal/registry"
)

// AttestationReport is what InspectAttestations reports: per platform of
// the index, the predicates of its SBOM and provenance attestations. Its
// JSON form is `multiarch inspect --sbom/--provenance --json`.
type AttestationReport struct {
	Reference string                 `json:"reference"`
	Digest    string                 `json:"digest"`
	Platforms []PlatformAttestations `json:"platforms"`
}

// PlatformAttestations are one platform's attestations; a kind that was
// not asked for is left out, one asked for and absent is an empty list.
type PlatformAttestations struct {
	Platform   string       `json:"platform"`
	Digest     string       `json:"digest"`
	SBOM       *[]Predicate `json:"sbom,omitempty"`
	Provenance *[]Predicate `json:"provenance,omitempty"`
}

// Predicate is one in-toto statement's predicate and its type.
type Predicate struct {
	Type      string          `json:"predicate_type"`
	Predicate json.RawMessage `json:"predicate"`
}

// InspectAttestations reads the SBOM (sbom) and/or provenance
// (provenance) attestations of every platform of o.Ref: the predicates
// themselves, not only their types.
func InspectAttestations(ctx context.Context, o InspectOptions, sbom, provenance bool) (*AttestationReport, error) {
	keep := func(pt string) bool {
		return (sbom && pt == registry.PredicateSPDX) || (provenance && registry.IsProvenance(pt))
	}
	at, err := registry.Statements(ctx, o.Ref, o.Registry, keep)
	if err != nil {
		return nil, err
	}
	rep := &AttestationReport{Reference: o.Ref, Digest: at.Digest, Platforms: []PlatformAttestations{}}
	for _, p := range at.Platforms {
		pa := PlatformAttestations{Platform: p.Platform, Digest: p.Digest}
		if sbom {
			pa.SBOM = &[]Predicate{}
		}
		if provenance {
			pa.Provenance = &[]Predicate{}
		}
		for _, st := range at.Statements {
			if st.Digest != p.Digest {
				continue
			}
			list := pa.Provenance
			if st.PredicateType == registry.PredicateSPDX {
				list = pa.SBOM
			}
			*list = append(*list, Predicate{Type: st.PredicateType, Predicate: st.Predicate})
		}
		rep.Platforms = append(rep.Platforms, pa)
	}
	return rep, nil
}
