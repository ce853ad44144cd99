package build

import (
	"context"
	"encoding/json"
	"fmt"

	provenancetypes "github.com/moby/buildkit/solver/llbsolver/provenance/types"

	"github.com/multiarch-dev/multiarch/internal/registry"
)

// predicateSLSA1 is the predicate type of SLSA provenance v1 (BuildKit's
// default since v0.2 became optional).
const predicateSLSA1 = "https://slsa.dev/provenance/v1"

// MetadataProvenance reads the provenance attestations of the index at ref
// (pushed, REPOSITORY@DIGEST, or an OCI tarball) and returns them as
// buildx writes them into its metadata file: per platform, the SLSA v0.2
// predicate (v1 converted as buildx converts it) with buildConfig and
// metadata dropped (buildx's default "min" metadata). None: no provenance
// was attested.
func MetadataProvenance(ctx context.Context, ref string, opts registry.Options) (map[string]json.RawMessage, error) {
	at, err := registry.Statements(ctx, ref, opts, registry.IsProvenance)
	if err != nil {
		return nil, fmt.Errorf("read provenance of %s: %w", ref, err)
	}
	out := map[string]json.RawMessage{}
	for _, st := range at.Statements {
		b, err := metadataPredicate(st)
		if err != nil {
			return nil, fmt.Errorf("provenance of %s: %w", st.Platform, err)
		}
		out[st.Platform] = b
	}
	return out, nil
}

func metadataPredicate(st registry.Statement) (json.RawMessage, error) {
	var pred *provenancetypes.ProvenancePredicateSLSA02
	if st.PredicateType == predicateSLSA1 {
		var p1 provenancetypes.ProvenancePredicateSLSA1
		if err := json.Unmarshal(st.Predicate, &p1); err != nil {
			return nil, err
		}
		pred = p1.ConvertToSLSA02()
	} else if err := json.Unmarshal(st.Predicate, &pred); err != nil {
		return nil, err
	}
	pred.BuildConfig, pred.Metadata = nil, nil
	return json.Marshal(pred)
}
